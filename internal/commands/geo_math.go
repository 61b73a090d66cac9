package commands

import (
	"math"
	"math/big"
)

// Correctly rounded sin, cos and asin for the geo distance formula.
//
// Redis computes distances with the C library's sin/cos/asin, which on
// glibc return the correctly rounded result (in all but vanishingly rare
// cases); Go's math package is accurate to about one unit in the last
// place, which shows in a STOREDIST score's last digits. These evaluate in
// double-double arithmetic (about 106 bits) and round once.

type dd struct{ hi, lo float64 }

func twoSum(a, b float64) dd {
	s := a + b
	bb := s - a
	return dd{s, (a - (s - bb)) + (b - bb)}
}

func quickTwoSum(a, b float64) dd {
	s := a + b
	return dd{s, b - (s - a)}
}

func ddAdd(a, b dd) dd {
	s := twoSum(a.hi, b.hi)
	t := twoSum(a.lo, b.lo)
	s.lo += t.hi
	s = quickTwoSum(s.hi, s.lo)
	s.lo += t.lo
	return quickTwoSum(s.hi, s.lo)
}

func ddMul(a, b dd) dd {
	p := a.hi * b.hi
	e := math.FMA(a.hi, b.hi, -p)
	e += a.hi*b.lo + a.lo*b.hi
	return quickTwoSum(p, e)
}

func ddNeg(a dd) dd { return dd{-a.hi, -a.lo} }

// ddOf splits a big.Float into a double-double.
func ddOf(f *big.Float) dd {
	hi, _ := f.Float64()
	r := new(big.Float).SetPrec(200).Sub(f, new(big.Float).SetFloat64(hi))
	lo, _ := r.Float64()
	return dd{hi, lo}
}

var (
	ddPiOver2 dd
	// invFact[n] = 1/n!
	invFact [24]dd
)

func init() {
	const prec = 200
	pi, _ := new(big.Float).SetPrec(prec).SetString("3.14159265358979323846264338327950288419716939937510582097494459230781640628620899862803482534211706798")
	ddPiOver2 = ddOf(new(big.Float).SetPrec(prec).Quo(pi, big.NewFloat(2)))
	f := new(big.Float).SetPrec(prec).SetInt64(1)
	for n := range invFact {
		if n > 0 {
			f.Mul(f, new(big.Float).SetPrec(prec).SetInt64(int64(n)))
		}
		invFact[n] = ddOf(new(big.Float).SetPrec(prec).Quo(new(big.Float).SetPrec(prec).SetInt64(1), f))
	}
}

// Taylor coefficients with their signs: sinC[k] = (-1)^k/(2k+1)!,
// cosC[k] = (-1)^k/(2k)!; the low orders in double-double, the high ones
// (which contribute less than 1e-6 of the result for |r| <= pi/4) in
// double.
var (
	sinC, cosC   [4]dd
	sinCf, cosCf [8]float64 // k = 4..11
)

func init() {
	for k := 0; k < 12; k++ {
		s, c := invFact[2*k+1], invFact[2*k]
		if k%2 == 1 {
			s, c = ddNeg(s), ddNeg(c)
		}
		if k < 4 {
			sinC[k], cosC[k] = s, c
		} else {
			sinCf[k-4], cosCf[k-4] = s.hi, c.hi
		}
	}
}

// tail evaluates sum_{k>=4} cf[k-4] * x^(k-4) in double.
func tail(cf *[8]float64, x float64) float64 {
	t := cf[7]
	for k := 6; k >= 0; k-- {
		t = t*x + cf[k]
	}
	return t
}

// sinSeries is sin r for |r| <= pi/4, given r2 = r*r.
func sinSeries(r, r2 dd) dd {
	acc := dd{tail(&sinCf, r2.hi), 0}
	for k := 3; k >= 0; k-- {
		acc = ddAdd(ddMul(acc, r2), sinC[k])
	}
	return ddMul(acc, r)
}

// cosSeries is cos r for |r| <= pi/4, given r2 = r*r.
func cosSeries(r2 dd) dd {
	acc := dd{tail(&cosCf, r2.hi), 0}
	for k := 3; k >= 0; k-- {
		acc = ddAdd(ddMul(acc, r2), cosC[k])
	}
	return acc
}

// reduce returns r = x - k*pi/2 (|r| <= pi/4) and k mod 4.
func reduce(x dd) (dd, int) {
	k := math.Round(x.hi / ddPiOver2.hi)
	if k == 0 {
		return x, 0
	}
	return ddAdd(x, ddNeg(ddMul(dd{k, 0}, ddPiOver2))), int(int64(k) & 3)
}

// ddSinCos returns sin x and cos x for |x| < 8 in double-double.
func ddSinCos(x dd) (s, c dd) {
	r, q := reduce(x)
	r2 := ddMul(r, r)
	sr, cr := sinSeries(r, r2), cosSeries(r2)
	switch q {
	case 0:
		return sr, cr
	case 1:
		return cr, ddNeg(sr)
	case 2:
		return ddNeg(sr), ddNeg(cr)
	default:
		return ddNeg(cr), sr
	}
}

// crSin and crCos are correctly rounded for |x| < 8 (other arguments fall
// back to the math package; the geo code never passes them).
func crSin(x float64) float64 {
	if !(math.Abs(x) < 8) || x == 0 {
		return math.Sin(x)
	}
	r, q := reduce(dd{x, 0})
	r2 := ddMul(r, r)
	var v dd
	switch q {
	case 0:
		v = sinSeries(r, r2)
	case 1:
		v = cosSeries(r2)
	case 2:
		v = ddNeg(sinSeries(r, r2))
	default:
		v = ddNeg(cosSeries(r2))
	}
	return v.hi + v.lo
}

func crCos(x float64) float64 {
	if !(math.Abs(x) < 8) {
		return math.Cos(x)
	}
	r, q := reduce(dd{x, 0})
	r2 := ddMul(r, r)
	var v dd
	switch q {
	case 0:
		v = cosSeries(r2)
	case 1:
		v = ddNeg(sinSeries(r, r2))
	case 2:
		v = ddNeg(cosSeries(r2))
	default:
		v = sinSeries(r, r2)
	}
	return v.hi + v.lo
}

// crAsin refines math.Asin by a Newton step in double-double:
// y' = y - (sin y - x) / cos y.
func crAsin(x float64) float64 {
	y := math.Asin(x)
	if x == 0 || math.IsNaN(y) || math.Abs(x) >= 1 {
		return y
	}
	s, c := ddSinCos(dd{y, 0})
	num := ddAdd(s, dd{-x, 0})
	if c.hi == 0 {
		return y
	}
	// the correction is tiny, so a double quotient is accurate enough
	r := ddAdd(dd{y, 0}, dd{-num.hi / c.hi, 0})
	return r.hi + r.lo
}
