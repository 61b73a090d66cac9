// Command memload loads N unique keys into a Redis-compatible server over one
// pipelined connection: SET key:<i> <value> for i in 0..N-1, each value
// `size` bytes. With -type hash, set, zset or list it loads N elements into
// one collection instead (HSET big f<i> <value>, SADD big m<i>, ZADD big <i>
// m<i>, RPUSH big <value>), 100 per command. It is the load step of
// bench/memory.sh.
//
//	go run ./bench/memload -addr 127.0.0.1:6379 -n 1000000 -size 10 [-type hash]
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
	typ := flag.String("type", "string", "string (N keys), or hash, set, zset, list (N elements in one key)")
	flag.Parse()
	var err error
	if *typ == "string" {
		err = load(*addr, *n, *size, *prefix)
	} else {
		err = loadCollection(*addr, *typ, *n, *size)
	}
	if err != nil {
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

// loadCollection puts n elements into the key "big".
func loadCollection(addr, typ string, n, size int) error {
	const per = 100
	var cmd string
	switch typ {
	case "hash":
		cmd = "HSET"
	case "set":
		cmd = "SADD"
	case "zset":
		cmd = "ZADD"
	case "list":
		cmd = "RPUSH"
	default:
		return fmt.Errorf("unknown -type %q", typ)
	}
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return err
	}
	defer nc.Close()
	start := time.Now()
	batches := (n + per - 1) / per
	errc := make(chan error, 1)
	go func() {
		r := resp.NewReader(nc, 64*1024)
		for i := 0; i < batches; i++ {
			nc.SetReadDeadline(time.Now().Add(30 * time.Second))
			v, err := r.ReadValue()
			if err != nil {
				errc <- fmt.Errorf("reply %d: %w", i, err)
				return
			}
			if v.Kind == resp.KindError {
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
	var buf []byte
	for b := 0; b < batches; b++ {
		lo, hi := b*per, min((b+1)*per, n)
		argc := 2
		switch typ {
		case "hash", "zset":
			argc += 2 * (hi - lo)
		default:
			argc += hi - lo
		}
		w.ArrayLen(argc)
		w.BulkString(cmd)
		w.BulkString("big")
		for i := lo; i < hi; i++ {
			switch typ {
			case "hash":
				buf = strconv.AppendInt(append(buf[:0], 'f'), int64(i), 10)
				w.Bulk(buf)
				w.Bulk(val)
			case "set":
				buf = strconv.AppendInt(append(buf[:0], 'm'), int64(i), 10)
				w.Bulk(buf)
			case "zset":
				w.Bulk(strconv.AppendInt(buf[:0], int64(i), 10))
				buf = strconv.AppendInt(append(buf[:0], 'm'), int64(i), 10)
				w.Bulk(buf)
			case "list":
				w.Bulk(val)
			}
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if err := <-errc; err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "memload: %d %s elements in %v\n", n, typ, time.Since(start).Round(time.Millisecond))
	return nil
}
