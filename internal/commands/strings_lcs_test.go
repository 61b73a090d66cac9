package commands

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

func TestLcsObserved(t *testing.T) {
	// Replies observed from Redis 7.0.
	for _, c := range []struct {
		a, b string
		seq  string
		runs []lcsMatch
	}{
		{"ohmytext", "mynewtext", "mytext", []lcsMatch{{4, 7, 5, 8}, {2, 3, 0, 1}}},
		{"AAABBBCCC", "AAACCCBBB", "AAACCC", []lcsMatch{{6, 8, 3, 5}, {0, 2, 0, 2}}},
		{"abcabcabc", "cbacbacba", "cbabc", []lcsMatch{{8, 8, 6, 6}, {7, 7, 4, 4}, {6, 6, 2, 2}, {4, 4, 1, 1}, {2, 2, 0, 0}}},
		{"hello", "hello", "hello", []lcsMatch{{0, 4, 0, 4}}},
		{"", "abc", "", nil},
		{"abc", "", "", nil},
		{"abc", "xyz", "", nil},
	} {
		seq, n, runs := lcs([]byte(c.a), []byte(c.b), true, true)
		if string(seq) != c.seq || n != len(c.seq) {
			t.Errorf("lcs(%q, %q) = %q (%d), want %q", c.a, c.b, seq, n, c.seq)
		}
		if len(runs) != len(c.runs) {
			t.Errorf("lcs(%q, %q) runs = %v, want %v", c.a, c.b, runs, c.runs)
			continue
		}
		for i := range runs {
			if runs[i] != c.runs[i] {
				t.Errorf("lcs(%q, %q) runs = %v, want %v", c.a, c.b, runs, c.runs)
				break
			}
		}
	}
}

// isSubseq reports whether s is a subsequence of t.
func isSubseq(s, t []byte) bool {
	i := 0
	for _, c := range t {
		if i < len(s) && s[i] == c {
			i++
		}
	}
	return i == len(s)
}

// refLcsLen is the LCS length by memoised recursion from the start.
func refLcsLen(a, b []byte) int {
	memo := map[[2]int]int{}
	var f func(i, j int) int
	f = func(i, j int) int {
		if i == len(a) || j == len(b) {
			return 0
		}
		k := [2]int{i, j}
		if v, ok := memo[k]; ok {
			return v
		}
		v := max(f(i+1, j), f(i, j+1))
		if a[i] == b[j] {
			v = max(v, 1+f(i+1, j+1))
		}
		memo[k] = v
		return v
	}
	return f(0, 0)
}

func TestLcsProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	gen := func() []byte {
		b := make([]byte, r.IntN(30))
		for i := range b {
			b[i] = "abc"[r.IntN(3)]
		}
		return b
	}
	for n := 0; n < 5000; n++ {
		a, b := gen(), gen()
		seq, l, runs := lcs(a, b, true, true)
		_, l2, _ := lcs(a, b, false, false)
		if l != len(seq) || l2 != l {
			t.Fatalf("lcs(%q, %q): length %d/%d, sequence %q", a, b, l, l2, seq)
		}
		if want := refLcsLen(a, b); l != want {
			t.Fatalf("lcs(%q, %q) length %d, want %d", a, b, l, want)
		}
		if !isSubseq(seq, a) || !isSubseq(seq, b) {
			t.Fatalf("lcs(%q, %q) = %q is not common", a, b, seq)
		}
		// the runs, read from the last, spell the sequence
		var spelled []byte
		lastA, lastB := -1, -1
		for i := len(runs) - 1; i >= 0; i-- {
			m := runs[i]
			if m.A1-m.A0 != m.B1-m.B0 || m.A0 <= lastA || m.B0 <= lastB {
				t.Fatalf("lcs(%q, %q): bad runs %v", a, b, runs)
			}
			if !bytes.Equal(a[m.A0:m.A1+1], b[m.B0:m.B1+1]) {
				t.Fatalf("lcs(%q, %q): run %v differs", a, b, m)
			}
			spelled = append(spelled, a[m.A0:m.A1+1]...)
			lastA, lastB = m.A1, m.B1
		}
		if !bytes.Equal(spelled, seq) {
			t.Fatalf("lcs(%q, %q): runs spell %q, sequence %q", a, b, spelled, seq)
		}
	}
}

func TestLcsTableFits(t *testing.T) {
	const mb = 1 << 20
	for _, c := range []struct {
		a, b int
		ok   bool
	}{
		{511, 511, true}, {511, 512, false}, {10, 23830, true}, {10, 23831, false}, {0, 0, true},
	} {
		if got := lcsTableFits(c.a, c.b, mb); got != c.ok {
			t.Errorf("lcsTableFits(%d, %d, 1mb) = %v, want %v", c.a, c.b, got, c.ok)
		}
	}
}
