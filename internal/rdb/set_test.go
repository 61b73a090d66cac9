package rdb

import (
	"bytes"
	"math/rand/v2"
	"sort"
	"strconv"
	"testing"
)

// TestIntsetDumpMatchesRedis builds intsets in redis-server with a history
// (SADD of wide members, then SREM of them: the width stays) and compares
// DUMP with DumpIntset of the same members and width; it also decodes
// Redis' DUMP of hashtable sets.
func TestIntsetDumpMatchesRedis(t *testing.T) {
	rc := startRedis(t)
	r := rand.New(rand.NewPCG(5, 6))
	pools := [][]int64{
		{0, 1, -1, 127, -128, 32767, -32768},
		{32768, -32769, 70000, -2147483648, 2147483647},
		{2147483648, -2147483649, 5000000000, -9223372036854775808, 9223372036854775807},
	}
	for round := 0; round < 300; round++ {
		key := "s" + strconv.Itoa(round)
		members := map[int64]bool{}
		width := 2
		for k := 1 + r.IntN(40); k > 0; k-- {
			pool := pools[r.IntN(3)]
			v := pool[r.IntN(len(pool))]
			if r.IntN(3) == 0 {
				v = int64(r.IntN(1000)) - 500
			}
			if _, err := rc.do("SADD", key, strconv.FormatInt(v, 10)); err != nil {
				t.Fatal(err)
			}
			members[v] = true
			if w := IntWidth(v); w > width {
				width = w
			}
		}
		// remove some, never all: the width does not narrow
		for v := range members {
			if len(members) > 1 && r.IntN(2) == 0 {
				rc.do("SREM", key, strconv.FormatInt(v, 10))
				delete(members, v)
			}
		}
		vals := make([]int64, 0, len(members))
		for v := range members {
			vals = append(vals, v)
		}
		sort.Slice(vals, func(i, j int) bool { return vals[i] < vals[j] })
		got, err := rc.do("DUMP", key)
		if err != nil {
			t.Fatal(err)
		}
		if want := DumpIntset(vals, width); !bytes.Equal(got.([]byte), want) {
			t.Fatalf("round %d %v width %d:\nredis %q\nours  %q", round, vals, width, got, want)
		}
		obj, err := Decode(got.([]byte))
		if err != nil || obj.Type != TypeSetIntset || obj.Value.(*SetObject).IntsetWidth != width {
			t.Fatalf("round %d: decode %v %+v", round, err, obj)
		}
	}
	// hashtable sets: type 2, every member back (order is Redis' own)
	for round := 0; round < 50; round++ {
		key := "h" + strconv.Itoa(round)
		want := map[string]bool{}
		for k := 1 + r.IntN(600); k > 0; k-- {
			var m string
			switch r.IntN(3) {
			case 0:
				m = strconv.Itoa(r.IntN(100000) - 50000)
			case 1:
				m = "m" + strconv.Itoa(r.IntN(1000))
			default:
				m = string(bytes.Repeat([]byte{'x'}, r.IntN(60))) + strconv.Itoa(r.IntN(10))
			}
			rc.do("SADD", key, m)
			want[m] = true
		}
		rc.do("SADD", key, "not-an-integer")
		want["not-an-integer"] = true
		p, err := rc.do("DUMP", key)
		if err != nil {
			t.Fatal(err)
		}
		obj, err := Decode(p.([]byte))
		if err != nil || obj.Type != TypeSet {
			t.Fatalf("round %d: %v type %d", round, err, obj.Type)
		}
		so := obj.Value.(*SetObject)
		if len(so.Members) != len(want) {
			t.Fatalf("round %d: %d members, want %d", round, len(so.Members), len(want))
		}
		for _, m := range so.Members {
			if !want[string(m)] {
				t.Fatalf("round %d: unexpected member %q", round, m)
			}
		}
		// our type 2 payload of the same members restores in Redis
		ours := DumpSet(len(so.Members), func(fn func(m []byte)) {
			for _, m := range so.Members {
				fn(m)
			}
		})
		if _, err := rc.do("RESTORE", key+"copy", "0", ours); err != nil {
			t.Fatalf("round %d: Redis refuses our payload: %v", round, err)
		}
		n, _ := rc.do("SCARD", key+"copy")
		if n.(int64) != int64(len(want)) {
			t.Fatalf("round %d: restored %d members", round, n)
		}
	}
}

func TestSetDecodeRefusals(t *testing.T) {
	intset := func(width, count int, body ...byte) []byte {
		b := []byte{byte(width), 0, 0, 0, byte(count), 0, 0, 0}
		return append(b, body...)
	}
	payload := func(typ byte, body []byte) []byte {
		return appendFooter(append([]byte{typ}, body...))
	}
	bad := [][]byte{
		payload(TypeSetIntset, AppendString(nil, intset(2, 0))),
		payload(TypeSetIntset, AppendString(nil, intset(3, 1, 1, 0, 0))),
		payload(TypeSetIntset, AppendString(nil, intset(2, 2, 1, 0))),
		payload(TypeSetIntset, AppendString(nil, intset(2, 2, 2, 0, 1, 0))), // out of order
		payload(TypeSetIntset, AppendString(nil, intset(2, 2, 1, 0, 1, 0))), // repeated
		payload(TypeSetIntset, AppendString(nil, []byte{2, 0, 0})),
		payload(TypeSet, []byte{0}),
		payload(TypeSet, []byte{2, 1, 'a', 1, 'a'}),
		payload(TypeSet, []byte{3, 1, 'a'}),
	}
	for _, p := range bad {
		if _, err := Decode(p); err == nil {
			t.Errorf("%q decoded", p)
		}
	}
	good := payload(TypeSetIntset, AppendString(nil, intset(4, 2, 0xff, 0xff, 0xff, 0xff, 7, 0, 0, 0)))
	obj, err := Decode(good)
	if err != nil {
		t.Fatal(err)
	}
	so := obj.Value.(*SetObject)
	if so.IntsetWidth != 4 || len(so.Members) != 2 || string(so.Members[0]) != "-1" || string(so.Members[1]) != "7" {
		t.Fatalf("%+v", so)
	}
}

func FuzzSetDecode(f *testing.F) {
	f.Add(byte(TypeSetIntset), AppendString(nil, []byte{2, 0, 0, 0, 1, 0, 0, 0, 5, 0}))
	f.Add(byte(TypeSet), []byte{2, 1, 'a', 0xc0, 5})
	f.Fuzz(func(t *testing.T, typ byte, body []byte) {
		obj, err := Decode(appendFooter(append([]byte{typ}, body...)))
		if err != nil || (obj.Type != TypeSet && obj.Type != TypeSetIntset) {
			return
		}
		so := obj.Value.(*SetObject)
		again, err := Decode(DumpSet(len(so.Members), func(fn func(m []byte)) {
			for _, m := range so.Members {
				fn(m)
			}
		}))
		if err != nil || len(again.Value.(*SetObject).Members) != len(so.Members) {
			t.Fatalf("re-encoding %q fails: %v", so.Members, err)
		}
	})
}
