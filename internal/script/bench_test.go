package script

import (
	"io"
	"testing"

	"github.com/lightconedb/lightcone/internal/resp"
)

type nopHost struct{}

func (nopHost) Call(args [][]byte, w *resp.Writer) string { w.Int(1); return "" }
func (nopHost) Log(int, string)                           {}

// BenchmarkEvalIncr is the Lua side of EVALSHA of a script that INCRs a key.
func BenchmarkEvalIncr(b *testing.B) {
	e := NewEngine()
	s, err := e.Load([]byte("return redis.call('incr','counter')"))
	if err != "" {
		b.Fatal(err)
	}
	w := resp.NewWriter(io.Discard, 0)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		e.RunEval(s, nopHost{}, nil, nil, w)
		w.Flush()
	}
}
