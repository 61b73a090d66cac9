package rdb

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand"
	"sort"
	"strconv"
	"strings"
	"testing"
)

type zpair struct {
	m string
	s float64
}

// randomZSet makes distinct members with scores in ascending order, sized
// and shaped to land in either of Redis' encodings.
func randomZSet(r *rand.Rand) []zpair {
	n := 1 + r.Intn(40)
	switch r.Intn(4) {
	case 0:
		n = 120 + r.Intn(20) // around the 128-entry limit
	case 1:
		n = 1 + r.Intn(5)
	}
	seen := map[string]bool{}
	var out []zpair
	for len(out) < n {
		var m string
		switch r.Intn(8) {
		case 0:
			m = strconv.Itoa(r.Intn(1000) - 500)
		case 1:
			m = strconv.FormatInt(r.Int63()-r.Int63(), 10)
		case 2:
			m = strings.Repeat(string(rune('a'+r.Intn(3))), 10+r.Intn(60)) // LZF, long
		case 3:
			m = "007"
		case 4:
			m = ""
		default:
			m = "m" + strconv.Itoa(r.Intn(500))
		}
		if r.Intn(60) == 0 {
			m = strings.Repeat("L", 65) + strconv.Itoa(r.Intn(9))
		}
		if seen[m] {
			continue
		}
		seen[m] = true
		var s float64
		switch r.Intn(10) {
		case 0:
			s = math.Inf(1 - 2*r.Intn(2))
		case 1:
			s = []float64{0.1, 1.5, -2.25, 1e17, 4503599627370496, 4503599627370495, -4503599627370495, 1e300, 3e-310, 123456789.125}[r.Intn(10)]
		case 2:
			s = float64(r.Int63n(1<<40) - 1<<39)
		case 3:
			s = r.NormFloat64() * 1000
		default:
			s = float64(r.Intn(300) - 100)
		}
		out = append(out, zpair{m, s})
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].s < out[j].s || out[i].s == out[j].s && out[i].m < out[j].m
	})
	return out
}

func isListpack(ps []zpair) bool {
	if len(ps) > 128 {
		return false
	}
	for _, p := range ps {
		if len(p.m) > 64 {
			return false
		}
	}
	return true
}

func dumpPairs(ps []zpair, listpack bool) []byte {
	return DumpZSet(listpack, len(ps), func(desc bool, yield func(string, float64) bool) {
		if desc {
			for i := len(ps) - 1; i >= 0; i-- {
				if !yield(ps[i].m, ps[i].s) {
					return
				}
			}
			return
		}
		for _, p := range ps {
			if !yield(p.m, p.s) {
				return
			}
		}
	})
}

func checkDecoded(t *testing.T, what string, v any, ps []zpair) {
	t.Helper()
	z, ok := v.(*ZSet)
	if !ok || len(z.Members) != len(ps) {
		t.Fatalf("%s: decoded %T with %d members, want %d", what, v, len(z.Members), len(ps))
	}
	got := map[string]float64{}
	for i, m := range z.Members {
		got[string(m)] = z.Scores[i]
	}
	for _, p := range ps {
		if s, ok := got[p.m]; !ok || s != p.s {
			t.Fatalf("%s: member %q score %v (present %v), want %v", what, p.m, s, ok, p.s)
		}
	}
}

// Our DUMP of a sorted set is byte for byte Redis' (listpack and skiplist),
// we decode Redis' DUMPs, and Redis restores ours.
func TestZSetDumpMatchesRedis(t *testing.T) {
	rc := startRedis(t)
	r := rand.New(rand.NewSource(1))
	lp, sl := 0, 0
	for iter := 0; iter < 300; iter++ {
		ps := randomZSet(r)
		args := []any{"ZADD", "z"}
		for _, p := range ps {
			args = append(args, strconv.FormatFloat(p.s, 'g', -1, 64), p.m)
		}
		rc.do("DEL", "z", "r")
		if _, err := rc.do(args...); err != nil {
			t.Fatal(err)
		}
		enc, _ := rc.do("OBJECT", "ENCODING", "z")
		listpack := isListpack(ps)
		if (string(enc.([]byte)) == "listpack") != listpack {
			t.Fatalf("iter %d: Redis says %v, model says listpack=%v", iter, enc, listpack)
		}
		if listpack {
			lp++
		} else {
			sl++
		}
		theirs, err := rc.do("DUMP", "z")
		if err != nil {
			t.Fatal(err)
		}
		ours := dumpPairs(ps, listpack)
		if !bytes.Equal(ours, theirs.([]byte)) {
			t.Fatalf("iter %d (%d members, listpack %v): DUMP differs\nredis: %q\nours:  %q", iter, len(ps), listpack, clip(theirs.([]byte)), clip(ours))
		}
		obj, err := Decode(theirs.([]byte))
		if err != nil {
			t.Fatalf("iter %d: decoding Redis' DUMP: %v", iter, err)
		}
		checkDecoded(t, fmt.Sprintf("iter %d", iter), obj.Value, ps)
		if _, err := rc.do("RESTORE", "r", 0, ours); err != nil {
			t.Fatalf("iter %d: Redis refuses our DUMP: %v", iter, err)
		}
		a, _ := rc.do("ZRANGE", "z", 0, -1, "WITHSCORES")
		b, _ := rc.do("ZRANGE", "r", 0, -1, "WITHSCORES")
		if fmt.Sprint(a) != fmt.Sprint(b) {
			t.Fatalf("iter %d: restored value differs", iter)
		}
	}
	t.Logf("%d listpack and %d skiplist dumps compared", lp, sl)
}

// The older encodings Redis 7.0 still loads: a ziplist (type 12) and text
// scores (type 3). Redis and we read the same payloads the same way.
func TestZSetRestoreOlderEncodings(t *testing.T) {
	rc := startRedis(t)
	r := rand.New(rand.NewSource(2))
	for iter := 0; iter < 200; iter++ {
		ps := randomZSet(r)
		var entries []string
		for _, p := range ps {
			var b []byte
			entries = append(entries, p.m, string(zAppendD2String(b, p.s)))
		}
		var payloads [][]byte
		zl := append([]byte{TypeZSetZiplist}, AppendString(nil, testZiplist(entries))...)
		payloads = append(payloads, appendFooter(zl))
		old := []byte{TypeZSet}
		old = AppendLength(old, uint64(len(ps)))
		for _, p := range ps {
			old = AppendString(old, []byte(p.m))
			switch {
			case math.IsInf(p.s, 1):
				old = append(old, 254)
			case math.IsInf(p.s, -1):
				old = append(old, 255)
			default:
				txt := strconv.FormatFloat(p.s, 'g', 17, 64)
				old = append(old, byte(len(txt)))
				old = append(old, txt...)
			}
		}
		payloads = append(payloads, appendFooter(old))
		for k, pl := range payloads {
			rc.do("DEL", "r")
			if _, err := rc.do("RESTORE", "r", 0, pl); err != nil {
				t.Fatalf("iter %d payload %d: Redis refuses it: %v", iter, k, err)
			}
			obj, err := Decode(pl)
			if err != nil {
				t.Fatalf("iter %d payload %d: %v", iter, k, err)
			}
			checkDecoded(t, fmt.Sprintf("iter %d payload %d", iter, k), obj.Value, ps)
			got, _ := rc.do("ZCARD", "r")
			if got.(int64) != int64(len(ps)) {
				t.Fatalf("iter %d payload %d: Redis restored %v members", iter, k, got)
			}
		}
	}
}

// Malformed payloads never panic and are refused.
func TestZSetDecodeMalformed(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	good := dumpPairs([]zpair{{"a", 1}, {"b", 2.5}, {"c", math.Inf(1)}}, true)
	goodSL := dumpPairs([]zpair{{"a", 1}, {"b", 2.5}}, false)
	for i := 0; i < 20000; i++ {
		src := good
		if i%2 == 1 {
			src = goodSL
		}
		body := append([]byte(nil), src[:len(src)-10]...)
		for k := r.Intn(3) + 1; k > 0; k-- {
			body[1+r.Intn(len(body)-1)] = byte(r.Intn(256))
		}
		if r.Intn(4) == 0 {
			body = body[:1+r.Intn(len(body)-1)]
		}
		Decode(withFooter(body, Version)) // must not panic
	}
	// duplicates and empty sets are refused
	dup := dumpPairs([]zpair{{"a", 1}, {"a", 2}}, true)
	if _, err := Decode(dup); err == nil {
		t.Error("duplicate members accepted")
	}
	empty := dumpPairs(nil, true)
	if _, err := Decode(empty); err == nil {
		t.Error("empty listpack accepted")
	}
}

// A ziplist whose zltail is not its last entry's offset: redis-server
// 7.0.15 refuses it for a sorted set as for a hash or a list (RESTORE: Bad
// data format), and so do we (one ziplist reader for all three).
func TestZSetZiplistBadTail(t *testing.T) {
	zl := testZiplist([]string{"a", "1", "b", "2"})
	binary.LittleEndian.PutUint32(zl[4:], 10) // the first entry
	p := appendFooter(append([]byte{TypeZSetZiplist}, AppendString(nil, zl)...))
	if _, err := Decode(p); err == nil {
		t.Fatal("a ziplist with a wrong zltail was accepted")
	}
	rc := startRedis(t)
	if _, err := rc.do("RESTORE", "r", 0, p); err == nil {
		t.Fatal("redis-server accepts it")
	}
}
