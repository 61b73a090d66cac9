package crdt

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// PrefetchMembers only warms caches: after any mix of adds and removes, in
// every encoding, it changes nothing a reader can see, for present and
// absent members alike.
func TestPrefetchMembersChangesNothing(t *testing.T) {
	for _, size := range []int{3, 100, 5000} {
		r := rand.New(rand.NewPCG(uint64(size), 7))
		h, s, z := NewHash(), NewSet(), NewZSet()
		var p Enc
		var names [][]byte
		for i := 0; i < size*2; i++ {
			m := []byte(fmt.Sprintf("m:%d", r.IntN(size*2)))
			names = append(names, m)
			if r.IntN(4) == 0 {
				h.del(m)
				s.Remove(m)
				z.Remove(m)
				continue
			}
			p.Reset()
			EncodeHashSet(&p, 0, [][]byte{m, []byte(fmt.Sprint(i))})
			h.apply(p.B)
			s.Add(m)
			z.Set(m, float64(r.IntN(50)))
		}
		state := func() string {
			var out []string
			h.Each(func(f, v []byte) bool { out = append(out, "h"+string(f)+"="+string(v)); return true })
			s.Each(func(m []byte) bool { out = append(out, "s"+string(m)); return true })
			z.Each(func(m string, sc float64) bool { out = append(out, fmt.Sprintf("z%s=%v", m, sc)); return true })
			slices.Sort(out)
			return fmt.Sprint(out, z.Len())
		}
		before := state()
		for i := 0; i+40 <= len(names); i += 40 {
			batch := append(names[i:i+40:i+40], []byte("absent"), nil, []byte{})
			h.PrefetchMembers(batch)
			s.PrefetchMembers(batch)
			z.PrefetchMembers(batch)
		}
		if after := state(); after != before {
			t.Fatalf("size %d: PrefetchMembers changed the collections", size)
		}
		for _, m := range names {
			_, hok := h.Get(m)
			_, zok := z.Score(m)
			if hok != s.Contains(m) || hok != zok {
				t.Fatalf("size %d: %s present in hash %v, set %v, zset %v", size, m, hok, s.Contains(m), zok)
			}
		}
	}
}
