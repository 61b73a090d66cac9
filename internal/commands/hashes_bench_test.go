package commands

import (
	"io"
	"strconv"
	"testing"
	"time"

	"github.com/lightconedb/lightcone/internal/engine"
	"github.com/lightconedb/lightcone/internal/resp"
)

// benchHash runs HSET (or another command) against one engine, the way the
// server calls handlers, to watch time and allocations per call.
func benchHash(b *testing.B, fields int, name string, args func(i int) [][]byte) {
	en := engine.New(engine.Config{Databases: 1})
	table := NewTable()
	RegisterAll(table)
	w := resp.NewWriter(io.Discard, 1<<16)
	hset := table.Lookup([]byte("hset"))
	for i := 0; i < fields; i++ {
		c := &Ctx{W: w, Eng: en, Cmd: hset, Args: [][]byte{[]byte("hset"), []byte("h"), []byte("element:" + strconv.Itoa(i)), []byte("xxx")}}
		hset.Handler(c)
	}
	cmd := table.Lookup([]byte(name))
	c := &Ctx{W: w, Eng: en, Cmd: cmd}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i%16 == 0 {
			en.Tick(time.Now().UnixMilli()) // as the server does per command
		}
		c.Args = args(i)
		cmd.Handler(c)
		if w.Buffered() > 1<<15 {
			w.Flush()
		}
	}
}

func BenchmarkHsetListpack(b *testing.B) {
	args := [][]byte{[]byte("hset"), []byte("h"), []byte("element:__rand_int__"), []byte("xxx")}
	benchHash(b, 1, "hset", func(int) [][]byte { return args })
}

func BenchmarkHsetHashtable(b *testing.B) {
	fs := make([][]byte, 100000)
	for i := range fs {
		fs[i] = []byte("element:" + strconv.Itoa(i))
	}
	args := [][]byte{[]byte("hset"), []byte("h"), nil, []byte("xxx")}
	benchHash(b, 100000, "hset", func(i int) [][]byte { args[2] = fs[i%len(fs)]; return args })
}

func BenchmarkHgetHashtable(b *testing.B) {
	fs := make([][]byte, 100000)
	for i := range fs {
		fs[i] = []byte("element:" + strconv.Itoa(i))
	}
	args := [][]byte{[]byte("hget"), []byte("h"), nil}
	benchHash(b, 100000, "hget", func(i int) [][]byte { args[2] = fs[i%len(fs)]; return args })
}

func BenchmarkSetBaseline(b *testing.B) {
	args := [][]byte{[]byte("set"), []byte("k"), []byte("xxx")}
	benchHash(b, 0, "set", func(int) [][]byte { return args })
}

func BenchmarkGetBaseline(b *testing.B) {
	args := [][]byte{[]byte("get"), []byte("k")}
	benchHash(b, 0, "get", func(int) [][]byte { return args })
}

// BenchmarkLpush is redis-benchmark's LPUSH: one list growing at its head.
func BenchmarkLpush(b *testing.B) {
	args := [][]byte{[]byte("lpush"), []byte("mylist"), []byte("xxx")}
	benchHash(b, 0, "lpush", func(int) [][]byte { return args })
}

// BenchmarkSadd is redis-benchmark's SADD: one set of up to 100,000 members.
func BenchmarkSadd(b *testing.B) {
	ms := make([][]byte, 100000)
	for i := range ms {
		ms[i] = []byte("element:" + strconv.Itoa(i))
	}
	args := [][]byte{[]byte("sadd"), []byte("myset"), nil}
	benchHash(b, 0, "sadd", func(i int) [][]byte { args[2] = ms[i%len(ms)]; return args })
}
