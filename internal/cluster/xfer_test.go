package cluster

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lightconedb/lightcone/internal/effect"
	"github.com/lightconedb/lightcone/internal/engine"
	"github.com/lightconedb/lightcone/internal/wal"
)

// heldEngine holds back the effects of one origin until released.
type heldEngine struct {
	*engine.Engine
	from    effect.NodeID
	release chan struct{}
}

func (h *heldEngine) wait(o effect.NodeID) {
	if o == h.from {
		<-h.release
	}
}

func (h *heldEngine) ApplyBatch(es []effect.Effect) int {
	if len(es) > 0 {
		h.wait(es[0].ID.Node)
	}
	return h.Engine.ApplyBatch(es)
}

func (h *heldEngine) Apply(e *effect.Effect) bool {
	h.wait(e.ID.Node)
	return h.Engine.Apply(e)
}

// xnode is a cluster node with a durable store, wired for state transfer
// as the server wires it.
type xnode struct {
	en      *engine.Engine
	st      *wal.Store
	n       *Node
	dir     string
	mu      sync.Mutex
	infos   []wal.InstallInfo
	loading []bool
	// wrap, when set, wraps each snapshot this node sends (call = 1, 2...)
	wrap  func(call int, r io.ReadCloser) io.ReadCloser
	calls int
}

func openXNode(t *testing.T, id effect.NodeID) *xnode {
	t.Helper()
	x := &xnode{dir: t.TempDir()}
	st, err := wal.Open(wal.Options{Dir: x.dir, Node: id, AppendOnly: true, Fsync: wal.FsyncNo})
	if err != nil {
		t.Fatal(err)
	}
	en := engine.New(engine.Config{Node: id, Sink: st})
	en.EnableCluster()
	if err := st.Recover(en); err != nil {
		t.Fatal(err)
	}
	x.en, x.st = en, st
	t.Cleanup(func() { st.Close(false) })
	return x
}

func (x *xnode) start(t *testing.T, eng Engine, pc net.PacketConn, conn *FaultConn, peers []string, retain int) {
	t.Helper()
	ident, err := NewIdentity(testPass, x.en.Node())
	if err != nil {
		t.Fatal(err)
	}
	n, err := Start(Config{Engine: eng, Identity: ident, Conn: conn, Advertise: pc.LocalAddr().String(), Peers: peers,
		Heartbeat: 20 * time.Millisecond, StallAfter: 100 * time.Millisecond, RetainBytes: retain,
		Attach: func(n *Node) { x.en.SetSink(n) },
		Snapshot: func() (io.ReadCloser, error) {
			m, err := x.st.Snapshot()
			if err != nil {
				return nil, err
			}
			f, err := os.Open(m.Path)
			if err != nil || x.wrap == nil {
				return f, err
			}
			x.calls++
			return x.wrap(x.calls, f), nil
		},
		Install: func(path string) (int, error) {
			var info wal.InstallInfo
			_, err := x.st.Install(func() error {
				var err error
				info, err = wal.InstallSnapshot(path, x.en, func(from uint64) ([]effect.Effect, error) {
					es, _ := x.n.OwnSince(from)
					return es, nil
				})
				return err
			})
			x.mu.Lock()
			x.infos = append(x.infos, info)
			x.mu.Unlock()
			return info.Keys, err
		},
		Loading: func(on bool) {
			x.mu.Lock()
			x.loading = append(x.loading, on)
			x.mu.Unlock()
		},
		XferDir: x.st.SnapshotDir(),
	})
	if err != nil {
		t.Fatal(err)
	}
	x.n = n
	t.Cleanup(n.Close)
	n.Reclaim(0, 0) // as the server does for a new NodeID
}

// A node whose peer no longer holds the effects it needs takes the peer's
// state over the wire; its own effects that the peer had not applied when
// it took its snapshot are applied again on top; both nodes then follow
// each other by effects (the peer's stream, stuck on effects it no longer
// retains, resumes from the frontier the node reports after the install).
func TestTransferKeepsOwnEffectsAndResumesStreams(t *testing.T) {
	pa, pb := listenUDP(t), listenUDP(t)
	A := openXNode(t, 0xa)
	B := openXNode(t, 0xb)
	// B makes its own effects first, alone
	B.start(t, B.en, pb, NewFaultConn(pb, 2), nil, 0)
	for i := 0; i < 20; i++ {
		set(B.en, fmt.Sprint("b", i), fmt.Sprint(i))
	}
	// A's history is not retained anywhere (written before its node
	// started), and A holds back B's effects until it has sent its state
	for i := 0; i < 300; i++ {
		set(A.en, fmt.Sprint("a", i), fmt.Sprint(i))
	}
	ha := &heldEngine{Engine: A.en, from: 0xb, release: make(chan struct{})}
	A.start(t, ha, pa, NewFaultConn(pa, 1), []string{pb.LocalAddr().String()}, 0)
	var released atomic.Bool
	waitFor(t, "the transfer to be served", 20*time.Second, func() bool {
		if A.n.Transfers().Served.Load() > 0 && released.CompareAndSwap(false, true) {
			close(ha.release)
		}
		return released.Load()
	})
	waitFor(t, "the transfer to be installed", 20*time.Second, func() bool { return B.n.Transfers().Installed.Load() > 0 })
	for i := 300; i < 350; i++ { // A's stream to B goes on from the installed frontier
		set(A.en, fmt.Sprint("a", i), fmt.Sprint(i))
	}
	for i := 20; i < 30; i++ {
		set(B.en, fmt.Sprint("b", i), fmt.Sprint(i))
	}
	nodes := []*tnode{{en: A.en, n: A.n}, {en: B.en, n: B.n}}
	waitConverged(t, nodes, 20*time.Second, func(x *tnode) error {
		for _, k := range []string{"a0", "a299", "a349", "b0", "b19", "b29"} {
			if get(x.en, k) == "" {
				return fmt.Errorf("node %x lacks %s", uint64(x.n.Self()), k)
			}
		}
		return nil
	})
	B.mu.Lock()
	infos, loading := B.infos, B.loading
	B.mu.Unlock()
	if len(infos) != 1 || infos[0].OwnFrom != 0 || infos[0].OwnAgain != 20 || infos[0].OwnLost != 0 {
		t.Fatalf("installs %+v: want one, with B's 20 own effects applied again", infos)
	}
	if len(loading) != 2 || !loading[0] || loading[1] {
		t.Fatalf("Loading calls %v, want [true false]", loading)
	}
	if B.en.Seq() != 30 || B.en.AppliedOf(0xa) != 350 {
		t.Fatalf("B: Seq %d, applied of A %d", B.en.Seq(), B.en.AppliedOf(0xa))
	}
	t.Logf("transfer: %d bytes, %d keys, install %v", B.n.Transfers().LastBytes.Load(), infos[0].Keys, infos[0].Duration)
}

// failingReader gives n bytes, then an error.
type failingReader struct {
	io.ReadCloser
	n int
}

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, errors.New("disk on fire")
	}
	if len(p) > f.n {
		p = p[:f.n]
	}
	k, err := f.ReadCloser.Read(p)
	f.n -= k
	return k, err
}

// A peer that fails half-way through sending its state is asked again
// (here it is the only one) after a backoff; the node installs the second
// snapshot, never a partial one.
func TestTransferRetriedAfterPeerFailsMidway(t *testing.T) {
	pa, pb := listenUDP(t), listenUDP(t)
	A := openXNode(t, 0xa)
	B := openXNode(t, 0xb)
	A.wrap = func(call int, r io.ReadCloser) io.ReadCloser {
		if call == 1 {
			return &failingReader{ReadCloser: r, n: 4000}
		}
		return r
	}
	B.start(t, B.en, pb, NewFaultConn(pb, 2), nil, 0)
	for i := 0; i < 500; i++ {
		set(A.en, fmt.Sprint("a", i), fmt.Sprint(i))
	}
	A.start(t, A.en, pa, NewFaultConn(pa, 1), []string{pb.LocalAddr().String()}, 0)
	nodes := []*tnode{{en: A.en, n: A.n}, {en: B.en, n: B.n}}
	waitConverged(t, nodes, 20*time.Second, func(x *tnode) error {
		if get(x.en, "a499") == "" {
			return fmt.Errorf("node %x lacks a499", uint64(x.n.Self()))
		}
		return nil
	})
	xs := B.n.Transfers()
	waitFor(t, "the install to be counted", 10*time.Second, func() bool { return xs.Installed.Load() > 0 })
	if xs.Failed.Load() != 1 || xs.Installed.Load() != 1 || A.n.Transfers().Served.Load() != 1 {
		t.Fatalf("failed %d, installed %d, served %d: want 1, 1, 1", xs.Failed.Load(), xs.Installed.Load(), A.n.Transfers().Served.Load())
	}
	B.mu.Lock()
	defer B.mu.Unlock()
	if len(B.infos) != 1 {
		t.Fatalf("%d installs, want 1 (the partial snapshot must not be installed)", len(B.infos))
	}
}
