package longdouble

import (
	"strings"
	"testing"
)

// incr is INCRBYFLOAT: the reply, or "invalid" when a value is not a valid
// float and "inf" when the result would not be finite.
func incr(cur, by string) string {
	c, ok := Parse([]byte(cur))
	if !ok {
		return "invalid"
	}
	b, ok := Parse([]byte(by))
	if !ok {
		return "invalid"
	}
	s, ok := Add(c, b)
	if !ok {
		return "inf"
	}
	return string(Format(s))
}

// Replies of redis-server 7.0.15 to SET k cur, INCRBYFLOAT k by.
func TestLikeRedis(t *testing.T) {
	for _, c := range []struct{ cur, by, want string }{
		{"10.5", "0.1", "10.6"},
		{"0.1", "0.2", "0.3"},
		{"1.0e3", "0", "1000"},
		{"0", "5.0e3", "5000"},
		{"0", "-0", "0"},
		{"3.0", "-3.0", "0"},
		{"-5", "5", "0"},
		{"0", "0x1p4", "16"},
		{"0", "0x1A", "26"},
		{"0", "0x1.8p1", "3"},
		{"0", ".5", "0.5"},
		{"0", "5.", "5"},
		{"0", "+.5e1", "5"},
		{"1", "0.0000000000000000001", "1"},
		{"1e-17", "0", "0.00000000000000001"},
		{"0", "1e-17", "0.00000000000000001"},
		{"0", "0.000000000000000005", "0"},
		{"0", "-0.000000000000000005", "0"},
		{"0", "-1e-30", "0"},
		{"0", "-1.5e-10", "-0.00000000015"},
		{"0", "3.14159265358979323846264338327950288", "3.14159265358979324"},
		{"0", "123456789012345678901234567890", "123456789012345678899921813504"},
		{"0", "1e-4950", "0"},
		{"0", "1e-4930", "0"},
		{"0", "1e308", "99999999999999999996685879655845645660560099847415567207797047994921734868838061872100126921888539320446747225054013223152134749593960583597420814430196418767959100019603190778663109604507106667939153395788938914560543563061268364901618630217086589253444881623791300855757318142424510452728255046343928578048"},
		{"0", "1e-4951", "invalid"},
		{"0", "1e-4955", "invalid"},
		{"0", "1.2e4932", "invalid"},
		{"0", "nan", "invalid"},
		{"0", "1_0", "invalid"},
		{"0", "0x", "invalid"},
		{"0", "1e", "invalid"},
		{"abc", "1", "invalid"},
		{" 1", "1", "invalid"},
		{"1", " 1", "invalid"},
		{"1", "1 ", "invalid"},
		{"0", "inf", "inf"},
		{"0", "Infinity", "inf"},
		{"0", "-INF", "inf"},
		{"1e4932", "1e4932", "inf"},
		{"1.18e4932", "1e4931", "inf"},
	} {
		if got := incr(c.cur, c.by); got != c.want {
			t.Errorf("%s + %s = %.60s, want %.60s", c.cur, c.by, got, c.want)
		}
	}
	// the largest: 4933 digits
	got := incr("0", "1e4932")
	if len(got) != 4933 || !strings.HasPrefix(got, "10000000000000000000060189493879638913") ||
		!strings.HasSuffix(got, "54741783354728589350876379371163141086538418113791886622720") {
		t.Errorf("0 + 1e4932: %d digits, %.40s...", len(got), got)
	}
}

func TestFormatInf(t *testing.T) {
	inf, ok := Parse([]byte("-infinity"))
	if !ok || string(Format(inf)) != "-inf" || Zero().Sign() != 0 || Zero().Prec() != Prec {
		t.Fatal("infinities or zero")
	}
}
