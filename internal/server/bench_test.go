package server

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"testing"
)

// startBench starts a server on a free loopback port for benchmarks.
func startBench(tb testing.TB) (*Server, string) {
	set := NewSettings()
	set.Set("port", "0")
	set.Set("dir", tb.TempDir())
	s, err := New(set, nil)
	if err != nil {
		tb.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	s.listeners = append(s.listeners, ln)
	go s.Serve()
	tb.Cleanup(s.Shutdown)
	return s, ln.Addr().String()
}

func benchPipeline(b *testing.B, cmdf func(i int) string, clients, pipeline int) {
	_, addr := startBench(b)
	cmds := make([]string, 100000)
	for i := range cmds {
		cmds[i] = cmdf(i)
	}
	cmd := func(i int) string { return cmds[i%len(cmds)] }
	b.ResetTimer()
	var wg sync.WaitGroup
	per := b.N/clients + 1
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				b.Error(err)
				return
			}
			defer conn.Close()
			r := bufio.NewReader(conn)
			w := bufio.NewWriter(conn)
			for done := 0; done < per; done += pipeline {
				for i := 0; i < pipeline; i++ {
					io.WriteString(w, cmd(c*per+done+i))
				}
				w.Flush()
				for i := 0; i < pipeline; i++ {
					line, err := r.ReadString('\n')
					if err != nil {
						b.Error(err)
						return
					}
					if line[0] == '$' {
						n, _ := strconv.Atoi(line[1 : len(line)-2])
						if n >= 0 {
							r.Discard(n + 2)
						}
					}
				}
			}
		}(c)
	}
	wg.Wait()
}

func setCmd(i int) string {
	k := fmt.Sprintf("key:%06d", i%100000)
	return fmt.Sprintf("*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$3\r\nxxx\r\n", len(k), k)
}

func getCmd(i int) string {
	k := fmt.Sprintf("key:%06d", i%100000)
	return fmt.Sprintf("*2\r\n$3\r\nGET\r\n$%d\r\n%s\r\n", len(k), k)
}

func BenchmarkServerSetP16(b *testing.B) { benchPipeline(b, setCmd, 8, 16) }
func BenchmarkServerGetP16(b *testing.B) { benchPipeline(b, getCmd, 8, 16) }
func BenchmarkServerSetP1(b *testing.B)  { benchPipeline(b, setCmd, 8, 1) }
