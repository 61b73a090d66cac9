package rdb

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/lightconedb/lightcone/internal/crdt"
	"github.com/lightconedb/lightcone/internal/effect"
	"github.com/lightconedb/lightcone/internal/listpack"
)

// listSim applies list commands to a crdt.List the way the command layer
// decides them, so that node layouts can be compared with Redis'.
type listSim struct {
	obj crdt.Object
	seq uint64
}

func (s *listSim) list() *crdt.List {
	l, _ := s.obj.(*crdt.List)
	return l
}

func (s *listSim) apply(p *crdt.Enc) {
	if len(p.B) == 0 {
		return
	}
	s.seq++
	e := &effect.Effect{ID: effect.ID{Node: 1, Seq: s.seq}, Op: effect.OpList, Value: append([]byte(nil), p.B...)}
	s.obj = crdt.For(effect.OpList).Apply(s.obj, e, crdt.Ctx{})
}

func (s *listSim) dump() []byte {
	l := s.list()
	if l == nil {
		return nil
	}
	return DumpList(l.Nodes(), l.NodeEntries)
}

// do runs one command; it returns the Redis command to send.
func (s *listSim) do(r *rand.Rand, vals []string) []any {
	l := s.list()
	var p crdt.Enc
	pick := func() string { return vals[r.IntN(len(vals))] }
	switch op := r.IntN(10); {
	case l == nil || op <= 2:
		args := []any{"RPUSH", "l"}
		head := r.IntN(2) == 0
		if head {
			args[0] = "LPUSH"
		}
		var vs [][]byte
		for n := 1 + r.IntN(6); n > 0; n-- {
			v := pick()
			vs = append(vs, []byte(v))
			args = append(args, v)
		}
		crdt.EncodeListPush(&p, head, vs)
		s.apply(&p)
		return args
	case op <= 5:
		pivot, v := pick(), pick()
		after := r.IntN(2) == 0
		where := "BEFORE"
		if after {
			where = "AFTER"
		}
		it := l.Iter(0, false)
		for i := 0; ; i++ {
			eq, more := it.NextEqual([]byte(pivot))
			if !more {
				break
			}
			if eq {
				crdt.EncodeListInsert(&p, l, i, after, []byte(v))
				s.apply(&p)
				break
			}
		}
		return []any{"LINSERT", "l", where, pivot, v}
	case op == 6:
		i := r.IntN(l.Len())
		v := pick()
		crdt.EncodeListSet(&p, l, i, []byte(v))
		s.apply(&p)
		return []any{"LSET", "l", i, v}
	case op == 7:
		target := pick()
		var idx []int
		it := l.Iter(0, false)
		for i := 0; len(idx) < 2; i++ {
			eq, more := it.NextEqual([]byte(target))
			if !more {
				break
			}
			if eq {
				idx = append(idx, i)
			}
		}
		crdt.EncodeListRemove(&p, l, idx, nil)
		s.apply(&p)
		return []any{"LREM", "l", 2, target}
	case op == 8:
		n := 1 + r.IntN(3)
		head := r.IntN(2) == 0
		crdt.EncodeListPop(&p, l, head, n)
		s.apply(&p)
		if head {
			return []any{"LPOP", "l", n}
		}
		return []any{"RPOP", "l", n}
	default:
		n := l.Len()
		a, b := r.IntN(3), r.IntN(3)
		crdt.EncodeListPop(&p, l, true, min(a, n))
		if a < n {
			crdt.EncodeListPop(&p, l, false, min(b, n-a))
		}
		s.apply(&p)
		return []any{"LTRIM", "l", a, -1 - b}
	}
}

// TestListLayoutsMatchRedis: random list histories under every kind of
// list-max-listpack-size, DUMP compared byte for byte with redis-server.
func TestListLayoutsMatchRedis(t *testing.T) {
	rc := startRedis(t)
	old := crdt.ListMaxListpackSize
	defer func() { crdt.ListMaxListpackSize = old }()
	var vals []string
	for i := 0; i < 16; i++ {
		switch i % 3 {
		case 0:
			vals = append(vals, strconv.Itoa(i*i*97-300))
		case 1:
			vals = append(vals, strings.Repeat(string(rune('a'+i)), i*i*3))
		default:
			vals = append(vals, fmt.Sprintf("v%d", i))
		}
	}
	for _, fill := range []int{-1, -2, -3, -5, -7, 0, 1, 2, 3, 5, 10, 100} {
		for seed := uint64(0); seed < 6; seed++ {
			crdt.ListMaxListpackSize = fill
			if _, err := rc.do("CONFIG", "SET", "list-max-listpack-size", strconv.Itoa(fill)); err != nil {
				t.Fatal(err)
			}
			rc.do("DEL", "l")
			r := rand.New(rand.NewPCG(seed, uint64(fill+100)))
			s := &listSim{}
			for i := 0; i < 300; i++ {
				args := s.do(r, vals)
				if _, err := rc.do(args...); err != nil {
					t.Fatalf("fill %d: %v: %v", fill, args, err)
				}
				theirs, err := rc.do("DUMP", "l")
				if err != nil {
					t.Fatal(err)
				}
				if ours := s.dump(); !bytes.Equal(ours, theirs.([]byte)) {
					t.Fatalf("fill %d seed %d op %d %v: DUMP differs\nredis: %q\nours:  %q", fill, seed, i, args, theirs, ours)
				}
			}
		}
	}
	rc.do("CONFIG", "SET", "list-max-listpack-size", "-2")
}

// TestListRestoreBothWays: Redis' DUMP of a list decodes to its elements,
// and Redis RESTOREs our DUMP to the same list.
func TestListRestoreBothWays(t *testing.T) {
	rc := startRedis(t)
	for n, vals := range [][]string{
		{"a"},
		{"1", "-1", "", "x y", "9223372036854775808", "-9223372036854775808", strings.Repeat("z", 5000)},
		strings.Split(strings.Repeat("element,", 3000), ","),
	} {
		key := fmt.Sprintf("l%d", n)
		args := []any{"RPUSH", key}
		var bs [][]byte
		for _, v := range vals {
			args = append(args, v)
			bs = append(bs, []byte(v))
		}
		if _, err := rc.do(args...); err != nil {
			t.Fatal(err)
		}
		theirs, _ := rc.do("DUMP", key)
		obj, err := Decode(theirs.([]byte))
		if err != nil || obj.Type != TypeListQuicklist2 {
			t.Fatalf("%s: decode: %v type %d", key, err, obj.Type)
		}
		if got := listValueStrings(obj.Value.(*ListValue)); strings.Join(got, "|") != strings.Join(vals, "|") {
			t.Fatalf("%s: decoded %d values, want %d", key, len(got), len(vals))
		}
		l := crdt.ListFromValues(bs, false)
		ours := DumpList(l.Nodes(), l.NodeEntries)
		if !bytes.Equal(ours, theirs.([]byte)) {
			t.Errorf("%s: DUMP differs", key)
		}
		if _, err := rc.do("RESTORE", key+"r", 0, ours); err != nil {
			t.Fatal(err)
		}
		got, _ := rc.do("LRANGE", key+"r", 0, -1)
		if len(got.([]any)) != len(vals) {
			t.Fatalf("%s: Redis restored %d elements", key, len(got.([]any)))
		}
	}
}

func listValueStrings(v *ListValue) []string {
	var out []string
	for _, nd := range v.Nodes {
		listpack.Each(nd.Entries, func(x []byte) { out = append(out, string(x)) })
	}
	for _, x := range v.Values {
		out = append(out, string(x))
	}
	return out
}

// TestListOlderTypes: RDB types 14 (quicklist of ziplists) and 1 (plain
// list) decode to what Redis 7.0 restores from them.
func TestListOlderTypes(t *testing.T) {
	rc := startRedis(t)
	a := []string{"a", "0", "12", "13", "-1", "127", "-129", "40000", "-8388608", "2147483647", "9223372036854775807", "", strings.Repeat("q", 300)}
	b := []string{"x", strings.Repeat("w", 20000), "5"}
	body := []byte{TypeListQuicklist}
	body = AppendLength(body, 3)
	body = AppendString(body, testZiplist(a))
	body = AppendString(body, testZiplist(nil)) // an empty ziplist is skipped
	body = AppendString(body, testZiplist(b))
	p14 := appendFooter(body)
	body = []byte{TypeList}
	body = AppendLength(body, uint64(len(a)))
	for _, v := range a {
		body = AppendString(body, []byte(v))
	}
	p1 := appendFooter(body)
	for name, c := range map[string]struct {
		p    []byte
		want []string
	}{"type14": {p14, append(append([]string(nil), a...), b...)}, "type1": {p1, a}} {
		obj, err := Decode(c.p)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := listValueStrings(obj.Value.(*ListValue)); strings.Join(got, "|") != strings.Join(c.want, "|") {
			t.Errorf("%s: decoded %q", name, got)
		}
		if _, err := rc.do("RESTORE", name, 0, c.p); err != nil {
			t.Fatalf("%s: Redis refuses the payload: %v", name, err)
		}
		got, _ := rc.do("LRANGE", name, 0, -1)
		var gs []string
		for _, x := range got.([]any) {
			gs = append(gs, string(x.([]byte)))
		}
		if strings.Join(gs, "|") != strings.Join(c.want, "|") {
			t.Errorf("%s: Redis restored %q", name, gs)
		}
	}
}

// TestListDecodeRejects: malformed list payloads fail cleanly.
func TestListDecodeRejects(t *testing.T) {
	good := DumpList(1, func(int) ([]byte, int) { return listpack.Append(nil, []byte("a")), 1 })
	if _, err := Decode(good); err != nil {
		t.Fatal(err)
	}
	lp := listpack.Wrap(nil, listpack.Append(nil, []byte("abc")), 1)
	cases := map[string][]byte{
		"no nodes":      {TypeListQuicklist2, 0},
		"bad container": append([]byte{TypeListQuicklist2, 1, 3}, AppendString(nil, lp)...),
		"size mismatch": append([]byte{TypeListQuicklist2, 1, 2}, AppendString(nil, append(append([]byte(nil), lp...), 0))...),
		"wrong count":   append([]byte{TypeListQuicklist2, 1, 2}, AppendString(nil, append([]byte{lp[0], 0, 0, 0, 2, 0}, lp[6:]...))...),
		"only empty":    append([]byte{TypeListQuicklist2, 1, 2}, AppendString(nil, listpack.Wrap(nil, nil, 0))...),
		"truncated":     {TypeListQuicklist2, 2, 2},
		"bad ziplist":   append([]byte{TypeListQuicklist, 1}, AppendString(nil, []byte("0123456789ab"))...),
		"empty plain":   {TypeList, 0},
	}
	for name, body := range cases {
		if _, err := Decode(appendFooter(append([]byte(nil), body...))); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// random corruption never panics
	r := rand.New(rand.NewPCG(1, 1))
	big := DumpList(2, func(i int) ([]byte, int) {
		var e []byte
		for j := 0; j < 50; j++ {
			e = listpack.Append(e, []byte(strconv.Itoa(j*i*1000)+"x"))
		}
		return e, 50
	})
	for i := 0; i < 5000; i++ {
		b := append([]byte(nil), big[:len(big)-10]...)
		for k := 1 + r.IntN(4); k > 0; k-- {
			b[r.IntN(len(b))] = byte(r.IntN(256))
		}
		Decode(appendFooter(b))
	}
}
