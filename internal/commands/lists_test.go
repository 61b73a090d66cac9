package commands

import (
	"bytes"
	"io"
	"strconv"
	"testing"

	"github.com/lightconedb/lightcone/internal/engine"
	"github.com/lightconedb/lightcone/internal/resp"
)

// listCall runs one command against en (db 0) and returns the raw reply.
func listCall(en *engine.Engine, h Handler, args ...string) string {
	var buf bytes.Buffer
	w := resp.NewWriter(&buf, 0)
	c := &Ctx{W: w, Eng: en, Cmd: &Command{Name: args[0]}}
	for _, a := range args {
		c.Args = append(c.Args, []byte(a))
	}
	h(c)
	w.Flush()
	return buf.String()
}

func TestListCommandsBasics(t *testing.T) {
	en := engine.New(engine.Config{})
	for _, c := range []struct {
		h    Handler
		args []string
		want string
	}{
		{func(c *Ctx) { cmdPush(c, false, false) }, []string{"rpush", "l", "a", "b", "c"}, ":3\r\n"},
		{func(c *Ctx) { cmdPush(c, true, false) }, []string{"lpush", "l", "z"}, ":4\r\n"},
		{cmdLrange, []string{"lrange", "l", "0", "-1"}, "*4\r\n$1\r\nz\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n"},
		{func(c *Ctx) { cmdPop(c, false) }, []string{"rpop", "l", "2"}, "*2\r\n$1\r\nc\r\n$1\r\nb\r\n"},
		{cmdLinsert, []string{"linsert", "l", "after", "z", "12"}, ":3\r\n"},
		{cmdLindex, []string{"lindex", "l", "1"}, "$2\r\n12\r\n"},
		{cmdLpos, []string{"lpos", "l", "a"}, ":2\r\n"},
		{cmdLrem, []string{"lrem", "l", "0", "12"}, ":1\r\n"},
		{cmdLtrim, []string{"ltrim", "l", "1", "1"}, "+OK\r\n"},
		{cmdLlen, []string{"llen", "l"}, ":1\r\n"},
		{func(c *Ctx) { cmdPop(c, true) }, []string{"lpop", "l"}, "$1\r\na\r\n"},
		{cmdLlen, []string{"llen", "l"}, ":0\r\n"},
		{func(c *Ctx) { cmdPop(c, true) }, []string{"lpop", "l", "1"}, "*-1\r\n"},
	} {
		if got := listCall(en, c.h, c.args...); got != c.want {
			t.Errorf("%v: %q, want %q", c.args, got, c.want)
		}
	}
}

func benchList(b *testing.B, n int) *engine.Engine {
	en := engine.New(engine.Config{})
	args := []string{"rpush", "mylist"}
	for i := 0; i < n; i++ {
		args = append(args, "xxx")
	}
	listCall(en, func(c *Ctx) { cmdPush(c, false, false) }, args...)
	return en
}

func benchCmd(b *testing.B, en *engine.Engine, h Handler, args ...string) {
	w := resp.NewWriter(io.Discard, 0)
	c := &Ctx{W: w, Eng: en, Cmd: &Command{Name: args[0]}}
	for _, a := range args {
		c.Args = append(c.Args, []byte(a))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		h(c)
	}
}

func BenchmarkLrange600(b *testing.B) {
	benchCmd(b, benchList(b, 600), cmdLrange, "lrange", "mylist", "0", "599")
}

func BenchmarkLrange100(b *testing.B) {
	benchCmd(b, benchList(b, 600), cmdLrange, "lrange", "mylist", "0", "99")
}

func BenchmarkLpushLpop(b *testing.B) {
	en := benchList(b, 100)
	push := func(c *Ctx) { cmdPush(c, true, false) }
	w := resp.NewWriter(io.Discard, 0)
	pc := &Ctx{W: w, Eng: en, Cmd: &Command{Name: "lpush"}, Args: [][]byte{[]byte("lpush"), []byte("mylist"), []byte("xxx")}}
	oc := &Ctx{W: w, Eng: en, Cmd: &Command{Name: "lpop"}, Args: [][]byte{[]byte("lpop"), []byte("mylist")}}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		push(pc)
		cmdPop(oc, true)
	}
}

func BenchmarkRpush1M(b *testing.B) {
	for i := 0; i < b.N; i++ {
		en := engine.New(engine.Config{})
		w := resp.NewWriter(io.Discard, 0)
		c := &Ctx{W: w, Eng: en, Cmd: &Command{Name: "rpush"}, Args: [][]byte{[]byte("rpush"), []byte("l"), nil}}
		for j := 0; j < 1_000_000; j++ {
			c.Args[2] = strconv.AppendInt(c.Args[2][:0], int64(j), 10)
			cmdPush(c, false, false)
		}
	}
}
