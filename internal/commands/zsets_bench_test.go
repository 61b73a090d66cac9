package commands

import (
	"io"
	"math/rand"
	"strconv"
	"testing"
	"time"

	"github.com/lightconedb/lightcone/internal/engine"
	"github.com/lightconedb/lightcone/internal/resp"
)

// benchZ runs a command against one engine holding a sorted set "z" of
// members members, the way the server calls handlers.
func benchZ(b *testing.B, members int, name string, args func(i int) [][]byte) {
	en := engine.New(engine.Config{Databases: 1})
	table := NewTable()
	RegisterAll(table)
	w := resp.NewWriter(io.Discard, 1<<16)
	zadd := table.Lookup([]byte("zadd"))
	for i := 0; i < members; i++ {
		c := &Ctx{W: w, Eng: en, Cmd: zadd, Args: [][]byte{[]byte("zadd"), []byte("z"), []byte(strconv.Itoa(i)), []byte("element:" + strconv.Itoa(i))}}
		zadd.Handler(c)
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

// As redis-benchmark -t zadd -r 100000: random scores for random members.
func BenchmarkZaddRandom(b *testing.B) {
	const n = 100000
	r := rand.New(rand.NewSource(1))
	ms := make([][]byte, n)
	scores := make([][]byte, n)
	for i := range ms {
		ms[i] = []byte("element:" + strconv.Itoa(i))
		scores[i] = []byte(strconv.Itoa(r.Intn(n)))
	}
	args := [][]byte{[]byte("zadd"), []byte("z"), nil, nil}
	benchZ(b, n, "zadd", func(i int) [][]byte {
		args[2], args[3] = scores[r.Intn(n)], ms[r.Intn(n)]
		return args
	})
}

func BenchmarkZaddSame(b *testing.B) {
	args := [][]byte{[]byte("zadd"), []byte("z"), []byte("0"), []byte("element:1")}
	benchZ(b, 1, "zadd", func(int) [][]byte { return args })
}

func BenchmarkZpopminEmpty(b *testing.B) {
	args := [][]byte{[]byte("zpopmin"), []byte("none")}
	benchZ(b, 0, "zpopmin", func(int) [][]byte { return args })
}

func BenchmarkZscore(b *testing.B) {
	const n = 100000
	ms := make([][]byte, n)
	for i := range ms {
		ms[i] = []byte("element:" + strconv.Itoa(i))
	}
	args := [][]byte{[]byte("zscore"), []byte("z"), nil}
	benchZ(b, n, "zscore", func(i int) [][]byte { args[2] = ms[i%n]; return args })
}

func BenchmarkZrangeSmall(b *testing.B) {
	args := [][]byte{[]byte("zrange"), []byte("z"), []byte("0"), []byte("9"), []byte("WITHSCORES")}
	benchZ(b, 100000, "zrange", func(int) [][]byte { return args })
}
