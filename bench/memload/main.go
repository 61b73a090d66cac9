// Command memload loads N unique keys into a Redis-compatible server over one
// pipelined connection: SET key:<i> <value> for i in 0..N-1, each value
// `size` bytes. It is the load step of bench/memory.sh.
//
//	go run ./bench/memload -addr 127.0.0.1:6379 -n 1000000 -size 10
package main

import (
	"flag"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/lightconedb/lightcone/internal/resp"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:6379", "server address")
	n := flag.Int("n", 1000000, "number of keys")
	size := flag.Int("size", 10, "value size in bytes")
	prefix := flag.String("prefix", "key:", "key prefix")
	flag.Parse()
	if err := load(*addr, *n, *size, *prefix); err != nil {
		fmt.Fprintln(os.Stderr, "memload:", err)
		os.Exit(1)
	}
}

func load(addr string, n, size int, prefix string) error {
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return err
	}
	defer nc.Close()
	start := time.Now()

	// Replies are read concurrently so that neither side's buffers fill up.
	errc := make(chan error, 1)
	go func() {
		r := resp.NewReader(nc, 64*1024)
		for i := 0; i < n; i++ {
			nc.SetReadDeadline(time.Now().Add(30 * time.Second))
			v, err := r.ReadValue()
			if err != nil {
				errc <- fmt.Errorf("reply %d: %w", i, err)
				return
			}
			if v.Kind != resp.KindSimple || string(v.Str) != "OK" {
				errc <- fmt.Errorf("reply %d: %s", i, v)
				return
			}
		}
		errc <- nil
	}()

	w := resp.NewWriter(nc, 64*1024)
	val := make([]byte, size)
	for i := range val {
		val[i] = 'v'
	}
	key := []byte(prefix)
	set := []byte("SET")
	for i := 0; i < n; i++ {
		key = strconv.AppendInt(key[:len(prefix)], int64(i), 10)
		w.ArrayLen(3)
		w.Bulk(set)
		w.Bulk(key)
		w.Bulk(val)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if err := <-errc; err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "memload: %d keys in %v\n", n, time.Since(start).Round(time.Millisecond))
	return nil
}
