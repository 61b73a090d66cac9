package wal

import (
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/lightconedb/lightcone/internal/engine"
	"github.com/lightconedb/lightcone/internal/hlc"
)

// writeFor runs random writes for a while.
func writeSome(n *node, r *rand.Rand, count int) {
	for i := 0; i < count; i++ {
		randomOp(n.en, r, 300)
	}
}

// waitNextMillis makes sure the next stamp falls in a later millisecond than
// everything so far, and returns a time covering everything so far.
func noteTime(n *node) hlc.Timestamp {
	t := hlc.Make(n.en.Clock().Peek().Millis(), 0xFFFF)
	for n.en.Clock().PhysicalNow() <= t.Millis() {
		time.Sleep(time.Millisecond)
	}
	return t
}

func TestPointInTimeRestore(t *testing.T) {
	for _, tc := range []struct {
		name    string
		archive bool
	}{{"retention", false}, {"archive", true}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			arch := ""
			mod := func(o *Options) {
				if tc.archive {
					arch = filepath.Join(t.TempDir(), "archive")
					o.Archive = arch
				} else {
					o.Retention.Duration = time.Hour
				}
				o.SegmentSize = 16 << 10
			}
			n := openNode(t, dir, mod)
			r := rand.New(rand.NewPCG(11, 12))
			type point struct {
				at     hlc.Timestamp
				digest string
				keys   int
			}
			var points []point
			for step := 0; step < 6; step++ {
				writeSome(n, r, 700)
				if step%2 == 1 {
					if _, err := n.st.Snapshot(); err != nil {
						t.Fatal(err)
					}
				}
				points = append(points, point{noteTime(n), digest(n.en), n.en.Keys()})
			}
			writeSome(n, r, 500)
			n.close(t)

			for i, p := range points {
				out := filepath.Join(t.TempDir(), "restored")
				src := dir
				if tc.archive && i%2 == 0 {
					src = "" // from the archive alone
				}
				res, err := Restore(RestoreOptions{Src: src, Archive: arch, Node: testNode, To: p.at, Out: out})
				if err != nil {
					t.Fatalf("point %d: %v", i, err)
				}
				// a node started on the restored directory holds exactly that state
				id, err := ReadNodeID(out)
				if err != nil || id != res.Node || id == testNode {
					t.Fatalf("restored node ID %v (%v), result %v", id, err, res.Node)
				}
				st, err := Open(Options{Dir: out, Node: id, AppendOnly: true})
				if err != nil {
					t.Fatal(err)
				}
				en := engine.New(engine.Config{Node: id, Sink: st})
				if err := st.Recover(en); err != nil {
					t.Fatal(err)
				}
				if digest(en) != p.digest || en.Keys() != p.keys {
					t.Fatalf("point %d (%s): restored state differs (keys %d, want %d; base %s, replayed %d)",
						i, FormatHLC(p.at), en.Keys(), p.keys, filepath.Base(res.Base), res.Replayed)
				}
				t.Logf("point %d: base %s + %d effects (%d later left out), %d keys", i, filepath.Base(res.Base), res.Replayed, res.Skipped, res.Keys)
				st.Close(false)
			}
			// before anything was written: the empty state, when the log
			// reaches back to its start
			if _, err := Restore(RestoreOptions{Src: dir, Archive: arch, Node: testNode, To: hlc.Make(1, 0), Out: filepath.Join(t.TempDir(), "x")}); err == nil && !tc.archive {
				t.Logf("restoring to the beginning works: the log reaches back to position 0")
			}
		})
	}
}

func TestParseTime(t *testing.T) {
	for in, want := range map[string]int64{
		"2026-01-02T15:04:05.123Z": time.Date(2026, 1, 2, 15, 4, 5, 123e6, time.UTC).UnixMilli(),
		"2026-01-02 15:04:05":      time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC).UnixMilli(),
		"1767366245":               1767366245000,
		"1767366245.5":             1767366245500,
		"1767366245123":            1767366245123,
	} {
		got, err := ParseTime(in)
		if err != nil || got.Millis() != want || got.Logical() != 0xFFFF {
			t.Errorf("%s: %v %v, want %d ms", in, got.Millis(), err, want)
		}
	}
	if got, err := ParseTime("hlc:12345"); err != nil || got != 12345 {
		t.Errorf("hlc: %v %v", got, err)
	}
	if _, err := ParseTime("yesterday"); err == nil {
		t.Errorf("yesterday parsed")
	}
}
