package engine

import (
	"math/big"

	"github.com/lightconedb/lightcone/internal/longdouble"
)

// INCRBYFLOAT's long double arithmetic lives in package longdouble (shared
// with HINCRBYFLOAT in crdt); these names are the engine's and the command
// layer's.

// ParseLongDouble parses s as Redis' string2ld does (longdouble.Parse).
func ParseLongDouble(s []byte) (*big.Float, bool) { return longdouble.Parse(s) }

// AddLongDouble returns a+b rounded to long double precision and whether the
// result is finite (longdouble.Add).
func AddLongDouble(a, b *big.Float) (*big.Float, bool) { return longdouble.Add(a, b) }

// FormatLongDouble prints f as Redis' ld2string in human mode
// (longdouble.Format).
func FormatLongDouble(f *big.Float) []byte { return longdouble.Format(f) }
