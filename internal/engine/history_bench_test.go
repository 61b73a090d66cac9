package engine

import (
	"strconv"
	"testing"

	"github.com/lightconedb/lightcone/internal/effect"
)

// benchCluster is three engines that exchange every effect at once but
// learn each other's frontiers (and so fold history) only every lag
// rounds: hot keys carry up to about 3 × lag unfolded effects, as under
// sustained load on all nodes between heartbeats.
type benchCluster struct {
	ens   []*Engine
	sinks []*collector
}

func newBenchCluster() *benchCluster {
	members := []effect.NodeID{1, 2, 3}
	c := &benchCluster{}
	for _, m := range members {
		s := &collector{}
		c.sinks = append(c.sinks, s)
		c.ens = append(c.ens, New(Config{Node: m, Members: members, Databases: 1, Sink: s}))
	}
	return c
}

// exchange hands every node's new local effects to the others.
func (c *benchCluster) exchange() {
	for i, s := range c.sinks {
		for k := range s.out {
			for j, en := range c.ens {
				if j != i {
					en.Apply(&s.out[k])
				}
			}
		}
		clear(s.out)
		s.out = s.out[:0]
	}
}

func (c *benchCluster) stabilise() {
	for i, en := range c.ens {
		for j, other := range c.ens {
			if i != j {
				en.ObserveFrontier(other.Node(), other.Frontier())
			}
		}
	}
	for _, en := range c.ens {
		en.CompactFast()
	}
}

// BenchmarkHotKeyLagging: one op = every node of three writes the same hot
// key (one of 4, in turn) concurrently — SET on one, INCRBY on another,
// APPEND on the third — and the writes are exchanged (so each node merges
// two concurrent remote writes); frontiers are exchanged every lag ops.
func BenchmarkHotKeyLagging(b *testing.B) {
	for _, lag := range []int{16, 256, 2048} {
		b.Run("lag="+strconv.Itoa(lag), func(b *testing.B) {
			c := newBenchCluster()
			keys := [][]byte{[]byte("h0"), []byte("h1"), []byte("h2"), []byte("h3")}
			val := []byte("0123456789")
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				for n, en := range c.ens {
					k := keys[i%len(keys)]
					tx := en.Begin1(0, k)
					switch n {
					case 0:
						tx.Assign(0, k, val, 0, false)
					case 1:
						if e := tx.Get(0, k); e == nil || isInt(e.Str) {
							tx.AddInt(0, k, 1)
						} else {
							tx.Append(0, k, []byte("x"))
						}
					default:
						tx.Append(0, k, []byte("y"))
					}
					tx.End()
				}
				c.exchange()
				if (i+1)%lag == 0 {
					c.stabilise()
				}
			}
			b.StopTimer()
			c.stabilise()
		})
	}
}

func isInt(b []byte) bool { _, ok := ParseInt(b); return ok }

// BenchmarkStandalone is the single-node path (no members, no history):
// it must not get slower because of the cluster's bookkeeping.
func BenchmarkStandalone(b *testing.B) {
	en := New(Config{Node: 1, Databases: 1})
	keys := make([][]byte, 1024)
	for i := range keys {
		keys[i] = []byte("key:" + strconv.Itoa(i))
	}
	val := []byte("0123456789")
	b.Run("set", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			k := keys[i&1023]
			tx := en.Begin1(0, k)
			tx.Assign(0, k, val, 0, false)
			tx.End()
		}
	})
	b.Run("incr", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			k := keys[i&1023]
			tx := en.Begin1(0, k)
			if e := tx.Get(0, k); e == nil || isInt(e.Str) {
				tx.AddInt(0, k, 1)
			}
			tx.End()
		}
	})
	b.Run("get", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			k := keys[i&1023]
			tx := en.Begin1(0, k)
			tx.Read(0, k)
			tx.End()
		}
	})
}
