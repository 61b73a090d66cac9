package keyspace

import (
	"fmt"
	"math/rand"
	"testing"
)

func TestShardAgainstMap(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	var s Shard
	ref := map[string]*Entry{}
	for i := 0; i < 200000; i++ {
		k := []byte(fmt.Sprintf("k%d", r.Intn(5000)))
		switch r.Intn(3) {
		case 0, 1:
			e := NewEntry(k)
			e.Kind = KindString
			e.SetStr([]byte(fmt.Sprintf("v%d", i)))
			s.Put(e)
			ref[string(k)] = e
		case 2:
			s.Delete(k)
			delete(ref, string(k))
		}
		if i%1000 == 0 {
			if s.Len() != len(ref) {
				t.Fatalf("len %d want %d", s.Len(), len(ref))
			}
			for k, want := range ref {
				if got := s.Get([]byte(k)); got != want {
					t.Fatalf("get %s: %p want %p", k, got, want)
				}
			}
		}
	}
	n := 0
	s.Range(func(e *Entry) bool {
		if ref[string(e.Key())] != e {
			t.Fatalf("range returned a stale entry %s", e.Key())
		}
		n++
		return true
	})
	if n != len(ref) {
		t.Fatalf("range saw %d want %d", n, len(ref))
	}
}

func TestEntryKeyAndValueShareAllocation(t *testing.T) {
	for _, k := range []string{"", "a", "key:1", string(make([]byte, 70000))} {
		e := NewEntry([]byte(k))
		if string(e.Key()) != k {
			t.Fatalf("key %q", e.Key())
		}
		e.SetStr([]byte("hello"))
		e.AppendStr([]byte(" world, a much longer tail that forces a reallocation"))
		e.GrowStr(100)
		if string(e.Key()) != k || string(e.Str[:11]) != "hello world" || len(e.Str) != 100 {
			t.Fatalf("after growth: key %q value %q", e.Key(), e.Str)
		}
		e.SetStr(nil)
		if string(e.Key()) != k || len(e.Str) != 0 {
			t.Fatalf("after clearing: key %q", e.Key())
		}
	}
}
