package commands

import (
	"fmt"
	"math"

	"github.com/lightconedb/lightcone/internal/engine"
)

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

func inf(sign int) float64 { return math.Inf(sign) }

func parseInt(b []byte) (int64, bool) { return engine.ParseInt(b) }

// Upper returns an upper-cased copy of an ASCII name (for error messages).
func Upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 32
		}
	}
	return string(b)
}
