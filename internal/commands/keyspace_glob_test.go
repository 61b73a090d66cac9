package commands

import (
	"bufio"
	"fmt"
	"io"
	"math/rand"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
)

func TestGlobMatch(t *testing.T) {
	cases := []struct {
		pat, s string
		want   bool
	}{
		{"", "", true},
		{"", "a", false},
		{"*", "", false}, // the raw matcher; KEYS special-cases "*"
		{"**", "", false},
		{"?", "", false},
		{"*", "abc", true},
		{"a*", "a", true},
		{"a*", "abc", true},
		{"a**", "a", true},
		{"*a", "a", true},
		{"*a", "ba", true},
		{"*a", "ab", false},
		{"a*b", "ab", true},
		{"a*b", "axxb", true},
		{"a*b", "axxbc", false},
		{"a*b*c", "abbbc", true},
		{"a*b*c", "acb", false},
		{"*a*b*", "xxaxxbxx", true},
		{"h?llo", "hello", true},
		{"h?llo", "hllo", false},
		{"h??lo", "hello", true},
		{"h[ae]llo", "hallo", true},
		{"h[ae]llo", "hillo", false},
		{"h[^e]llo", "hallo", true},
		{"h[^e]llo", "hello", false},
		{"h[a-b]llo", "hbllo", true},
		{"h[a-b]llo", "hcllo", false},
		{"h[b-a]llo", "hallo", true}, // reversed range
		{"[a-c-e]", "-", true},       // a-c, then "-e]" is no range: '-' and 'e' literal
		{"[a-c-e]", "e", true},
		{"[\\]]", "]", true},
		{"[\\-]", "-", true},
		{"[\\a-c]", "b", false}, // escape, then literal '-', then 'c'
		{"[\\a-c]", "-", true},
		{"[]]", "]", false}, // "[]" is an empty class, then ']' literal
		{"[]]", "]]", false},
		{"[]", "a", false},
		{"[^]", "a", true},
		{"[^]", "", false},
		{"[", "[", false},
		{"[", "", false},
		{"[^", "x", true},
		{"[abc", "b", true}, // unterminated class runs to the end
		{"[abc", "bc", false},
		{"[a-", "-", true},  // too short for a range: literal a and -
		{"[a-]", "]", true}, // range a..] (swapped)
		{"[a-]", "^", true},
		{"[a-]", "b", false},
		{"\\*", "*", true},
		{"\\*", "a", false},
		{"\\?", "?", true},
		{"\\[a]", "[a]", true},
		{"a\\", "a\\", true}, // trailing backslash is literal
		{"\\", "\\", true},
		{"\\\\", "\\", true},
		{"*\\*", "ab*", true},
		{"[*]", "*", true},
		{"[*]", "a", false},
		{"a[*]*", "a*bc", true},
		{"[\x80-\xff]", "\x90", true}, // both negative as signed chars
		{"[a-\xff]", "\x00", true},    // 'a'..-1 swapped: -1..97
		{"[a-\xff]", "\xff", true},    // -1
		{"[a-\xff]", "\xfe", false},   // -2
		{"[a-\xff]", "b", false},      // 98
		{"[^a-\xff]", "\x80", true},   // -128
		{"\x00*", "\x00abc", true},    // NUL is an ordinary byte
		{"a\x00", "a", false},
	}
	for _, c := range cases {
		if got := compileGlob([]byte(c.pat)).match(c.s); got != c.want {
			t.Errorf("match(%q, %q) = %v, want %v", c.pat, c.s, got, c.want)
		}
	}
	if !compileGlob([]byte("*")).matchKey("") {
		t.Error(`matchKey("*", "") = false: KEYS * lists the empty key`)
	}
	if compileGlob([]byte("**")).matchKey("") {
		t.Error(`matchKey("**", "") = true: only the literal "*" is special`)
	}
}

func TestGlobNestingLimit(t *testing.T) {
	for _, c := range []struct {
		stars int
		tail  bool // pattern "*a" repeated, plus a final '*' run
		want  bool
	}{
		{999, false, true},
		{1000, false, true},
		{1001, false, false},
		{1000, true, true}, // 1001st star run is the last token
		{1001, true, false},
	} {
		pat := strings.Repeat("*a", c.stars)
		if c.tail {
			pat += "*"
		}
		s := strings.Repeat("a", c.stars)
		if got := compileGlob([]byte(pat)).match(s); got != c.want {
			t.Errorf("%d x \"*a\" (tail %v) = %v, want %v", c.stars, c.tail, got, c.want)
		}
	}
	// "a*" repeated: the last star run is the final token, so 1001 runs match.
	for n, want := range map[int]bool{1001: true, 1002: false} {
		pat := strings.Repeat("a*", n)
		if got := compileGlob([]byte(pat)).match(strings.Repeat("a", n)); got != want {
			t.Errorf("%d x \"a*\" = %v, want %v", n, got, want)
		}
	}
}

// Patterns that make a naive backtracking matcher exponential must finish.
func TestGlobPathological(t *testing.T) {
	long := strings.Repeat("a", 20000)
	for _, pat := range []string{
		strings.Repeat("*a", 40) + "b",
		strings.Repeat("a*", 40) + "b",
		strings.Repeat("*?", 500) + "b",
		strings.Repeat("*[a-z]", 900) + "[^a]",
		"*" + strings.Repeat("a", 10000) + "*b",
	} {
		if compileGlob([]byte(pat)).match(long) {
			t.Errorf("pattern %.20q... matched", pat)
		}
	}
	if !compileGlob([]byte(strings.Repeat("*a", 900))).match(long) {
		t.Error("900 x *a should match a long run of a")
	}
}

// TestGlobAgainstRedis compares the matcher with a real redis-server's KEYS
// on random patterns and keys. Set LIGHTCONE_REDIS_ADDR=host:port to run it
// (it flushes that server).
func TestGlobAgainstRedis(t *testing.T) {
	addr := os.Getenv("LIGHTCONE_REDIS_ADDR")
	if addr == "" {
		t.Skip("LIGHTCONE_REDIS_ADDR not set")
	}
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	r := bufio.NewReader(conn)
	send := func(args ...string) []string {
		var b strings.Builder
		fmt.Fprintf(&b, "*%d\r\n", len(args))
		for _, a := range args {
			fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
		}
		if _, err := conn.Write([]byte(b.String())); err != nil {
			t.Fatal(err)
		}
		var read func() []string
		read = func() []string {
			line, err := r.ReadString('\n')
			if err != nil {
				t.Fatal(err)
			}
			line = strings.TrimSuffix(line, "\r\n")
			switch line[0] {
			case '*':
				n, _ := strconv.Atoi(line[1:])
				var out []string
				for i := 0; i < n; i++ {
					out = append(out, read()...)
				}
				return out
			case '$':
				n, _ := strconv.Atoi(line[1:])
				buf := make([]byte, n+2)
				if _, err := io.ReadFull(r, buf); err != nil {
					t.Fatal(err)
				}
				return []string{string(buf[:n])}
			case '-':
				t.Fatalf("redis error %s", line)
			}
			return []string{line[1:]}
		}
		return read()
	}
	rng := rand.New(rand.NewSource(1))
	alpha := []byte("ab-^]\\[*?\x80\xff")
	randStr := func(n int, a []byte) string {
		b := make([]byte, rng.Intn(n+1))
		for i := range b {
			b[i] = a[rng.Intn(len(a))]
		}
		return string(b)
	}
	for round := 0; round < 200; round++ {
		send("FLUSHALL")
		keys := map[string]bool{}
		for len(keys) < 30 {
			k := randStr(5, []byte("ab-^]\\[*?\x80\xff"))
			keys[k] = true
			send("SET", k, "1")
		}
		for p := 0; p < 30; p++ {
			pat := randStr(7, alpha)
			got := map[string]bool{}
			for _, k := range send("KEYS", pat) {
				got[k] = true
			}
			g := compileGlob([]byte(pat))
			for k := range keys {
				if g.matchKey(k) != got[k] {
					t.Errorf("pattern %q key %q: redis %v, ours %v", pat, k, got[k], !got[k])
				}
			}
		}
	}
}
