package commands

import (
	"bufio"
	"fmt"
	"math"
	"math/big"
	"math/rand"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// crSin, crCos and crAsin agree with the C library's sin, cos and asin
// (through python3, which calls them) on arguments the geo code uses —
// except where glibc itself is not correctly rounded (about one result in
// a thousand, all within a hair of a rounding midpoint; Go's math package
// differs on about a third of them). The check below also verifies, with
// exact arithmetic, that every difference is glibc's misrounding.
func TestGeoMathMatchesLibm(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed")
	}
	r := rand.New(rand.NewSource(1))
	var xs []float64
	for i := 0; i < 20000; i++ {
		switch i % 4 {
		case 0:
			xs = append(xs, (r.Float64()*2-1)*1.5) // latitudes in radians
		case 1:
			xs = append(xs, (r.Float64()*2-1)*math.Pi/2) // half differences
		case 2:
			xs = append(xs, (r.Float64()*2-1)*1e-3*math.Pow(10, -r.Float64()*6))
		default:
			xs = append(xs, degRad((r.Float64()*2-1)*180)/2)
		}
	}
	var in strings.Builder
	for _, x := range xs {
		fmt.Fprintf(&in, "%s\n", strconv.FormatFloat(x, 'g', 17, 64))
	}
	cmd := exec.Command(py, "-c", `
import sys, math
for line in sys.stdin:
    x = float(line)
    a = abs(x) if abs(x) <= 1 else 1/abs(x)
    print(repr(math.sin(x)), repr(math.cos(x)), repr(math.asin(a)))
`)
	cmd.Stdin = strings.NewReader(in.String())
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	bad := 0
	for i := 0; sc.Scan(); i++ {
		f := strings.Fields(sc.Text())
		x := xs[i]
		a := math.Abs(x)
		if a > 1 {
			a = 1 / a
		}
		for j, got := range []float64{crSin(x), crCos(x), crAsin(a)} {
			want, _ := strconv.ParseFloat(f[j], 64)
			if got != want {
				bad++
				arg := []float64{x, x, a}[j]
				if !closerToExact(j, arg, got, want) {
					t.Errorf("%s(%v) = %v, libm %v, and libm is closer to the exact value", []string{"sin", "cos", "asin"}[j], arg, got, want)
				}
			}
		}
	}
	if bad*500 > 3*len(xs) {
		t.Errorf("%d of %d results differ from libm", bad, 3*len(xs))
	}
	t.Logf("%d of %d results differ from glibc's (glibc misrounds)", bad, 3*len(xs))
}

// closerToExact reports whether got is at least as close as other to the
// exact sin/cos/asin (fn 0/1/2) of x, evaluated with big floats.
func closerToExact(fn int, x, got, other float64) bool {
	const prec = 300
	bx := new(big.Float).SetPrec(prec).SetFloat64(x)
	var exact *big.Float
	switch fn {
	case 0:
		exact = bigSin(bx)
	case 1:
		exact = bigCos(bx)
	default:
		// asin by bisection on bigSin over [0, pi/2]
		lo, hi := new(big.Float).SetPrec(prec), new(big.Float).SetPrec(prec).SetFloat64(1.5707963267948967)
		for i := 0; i < 200; i++ {
			mid := new(big.Float).SetPrec(prec).Add(lo, hi)
			mid.Quo(mid, big.NewFloat(2))
			if bigSin(mid).Cmp(bx) < 0 {
				lo = mid
			} else {
				hi = mid
			}
		}
		exact = lo
	}
	dg := new(big.Float).SetPrec(prec).Sub(new(big.Float).SetPrec(prec).SetFloat64(got), exact)
	do := new(big.Float).SetPrec(prec).Sub(new(big.Float).SetPrec(prec).SetFloat64(other), exact)
	return dg.Abs(dg).Cmp(do.Abs(do)) <= 0
}

func bigSin(x *big.Float) *big.Float {
	const prec = 300
	sum := new(big.Float).SetPrec(prec)
	term := new(big.Float).SetPrec(prec).Set(x)
	x2 := new(big.Float).SetPrec(prec).Mul(x, x)
	for n := 1; n < 120; n += 2 {
		sum.Add(sum, term)
		term.Mul(term, x2)
		term.Quo(term, new(big.Float).SetPrec(prec).SetInt64(int64(-(n+1)*(n+2))))
	}
	return sum
}

func bigCos(x *big.Float) *big.Float {
	const prec = 300
	sum := new(big.Float).SetPrec(prec)
	term := new(big.Float).SetPrec(prec).SetInt64(1)
	x2 := new(big.Float).SetPrec(prec).Mul(x, x)
	for n := 0; n < 120; n += 2 {
		sum.Add(sum, term)
		term.Mul(term, x2)
		term.Quo(term, new(big.Float).SetPrec(prec).SetInt64(int64(-(n+1)*(n+2))))
	}
	return sum
}

func BenchmarkGeoDistance(b *testing.B) {
	for i := 0; i < b.N; i++ {
		geoDistance(15, 37, 13.583331406116486, 37.316668049938169)
	}
}
