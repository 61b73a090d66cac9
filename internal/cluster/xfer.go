package cluster

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/lightconedb/lightcone/internal/effect"
)

// State transfer.
//
// A node that needs effects no peer retains any more (fetchEvicted: a new
// node joining a cluster that has been running, a node away longer than its
// peers' retained windows) cannot catch up from effects. It asks one up peer
// for its state instead: on its own connection to that peer it opens a
// stream with an xfer frame carrying its applied frontier; the peer waits
// (at most xferCoverWait) until it has applied every effect of other
// origins that frontier names, takes a snapshot of its state (Config
// Snapshot: the snapshot file a BGSAVE writes, copied shard by shard while
// writes go on) and sends the file in xfer-data frames, then an xfer-end
// frame. The asker writes it to a temporary file and installs it (Config
// Install: its state becomes the snapshot's, its applied frontier the
// snapshot's cut, its own effects beyond the cut are applied again, and a
// local snapshot makes it durable).
//
// From the request to the end of the install, the asker's clients are
// refused (Config Loading: -LOADING) and no remote effect is applied here
// (xferGate): the asker's frontier cannot move, so the snapshot's cut
// covers everything it had applied of other origins. Peers' effect streams
// to it wait meanwhile (QUIC flow control) and, for those that had fallen
// out of their own retained window, resume from the frontier it reports
// after the install (stream). If the peer fails, another up peer is asked,
// with backoff, until one succeeds.

// xferCoverWait bounds how long a peer waits to have applied what the asker
// has before it answers that it cannot serve the transfer.
var xferCoverWait = 10 * time.Second

// xferChunk is the size of the snapshot pieces sent.
const xferChunk = 256 << 10

// xfer end statuses.
const (
	xferOK      = 0
	xferRefused = 1
)

type xferState struct {
	gate    sync.RWMutex // remote applies hold it shared; a transfer holds it alone
	running atomic.Bool  // a transfer to this node is under way

	Installed atomic.Int64 // transfers installed on this node
	Served    atomic.Int64 // transfers this node sent to peers
	Failed    atomic.Int64 // attempts that failed (another peer is tried)
	LastBytes atomic.Int64 // size of the last snapshot installed
}

// Transfers is the node's state transfer counters.
func (n *Node) Transfers() *xferState { return &n.xs }

// TransferRunning reports whether this node is receiving a state transfer.
func (n *Node) TransferRunning() bool { return n.xs.running.Load() }

// wantTransfer starts a state transfer unless one is running (or this node
// cannot install one); it reports whether it started one. hint is the peer
// to ask first.
func (n *Node) wantTransfer(hint effect.NodeID, why string, args ...any) bool {
	if n.cfg.Install == nil || !n.reclaimed.Load() || n.ctx.Err() != nil {
		return false
	}
	if !n.xs.running.CompareAndSwap(false, true) {
		return false
	}
	n.log.Warn("cluster: starting a state transfer: "+why, args...)
	n.wg.Add(1)
	go n.transfer(hint)
	return true
}

func (n *Node) transfer(hint effect.NodeID) {
	defer n.wg.Done()
	defer n.xs.running.Store(false)
	if n.cfg.Loading != nil {
		n.cfg.Loading(true)
		defer n.cfg.Loading(false)
	}
	backoff := 100 * time.Millisecond
	tried := map[effect.NodeID]bool{}
	for n.ctx.Err() == nil {
		m, conn := n.pickPeer(hint, tried)
		if conn == nil && len(tried) > 0 {
			clear(tried) // every up peer failed once: try them again
			m, conn = n.pickPeer(hint, tried)
		}
		if conn != nil {
			err := n.transferFrom(m, conn)
			if err == nil {
				n.kickAll()
				return
			}
			n.xs.Failed.Add(1)
			tried[m] = true
			n.log.Warn("cluster: state transfer failed; trying again", "peer", fmt.Sprintf("%016x", uint64(m)), "err", err)
		}
		d := backoff/2 + time.Duration(rand.Int63n(int64(backoff)))
		backoff = min(2*backoff, 5*time.Second)
		select {
		case <-n.ctx.Done():
			return
		case <-time.After(d):
		}
	}
}

// pickPeer returns an up peer not in skip, hint first.
func (n *Node) pickPeer(hint effect.NodeID, skip map[effect.NodeID]bool) (effect.NodeID, *quic.Conn) {
	n.mu.Lock()
	defer n.mu.Unlock()
	conn := func(m effect.NodeID) *quic.Conn {
		p := n.byNode[m]
		if p == nil || skip[m] {
			return nil
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.state != "up" && p.state != "lagging" {
			return nil
		}
		return p.conn
	}
	if c := conn(hint); c != nil {
		return hint, c
	}
	for m := range n.byNode {
		if c := conn(m); c != nil {
			return m, c
		}
	}
	return 0, nil
}

// transferFrom asks peer m (over this node's connection to it) for its
// state and installs it.
func (n *Node) transferFrom(m effect.NodeID, conn *quic.Conn) error {
	start := time.Now()
	// no remote effect is applied from here to the end of the install:
	// fetches and stream batches in flight finish first
	n.xs.gate.Lock()
	defer n.xs.gate.Unlock()
	ctx, cancel := context.WithTimeout(n.ctx, 10*time.Second)
	s, err := conn.OpenStreamSync(ctx)
	cancel()
	if err != nil {
		return err
	}
	defer s.CancelRead(0)
	var req msg
	req.ids(n.eng.Frontier())
	w := bufio.NewWriter(s)
	k, _ := writeFrame(w, frameXfer, req.b)
	if err := w.Flush(); err != nil {
		return err
	}
	n.BytesSent.Add(int64(k))
	s.Close()
	f, err := os.CreateTemp(n.cfg.XferDir, "xfer-*.tmp")
	if err != nil {
		return err
	}
	path := f.Name()
	defer os.Remove(path)
	defer f.Close()
	fw := bufio.NewWriterSize(f, 1<<20)
	r := bufio.NewReaderSize(s, 256<<10)
	var buf []byte
	var got int64
	s.SetReadDeadline(time.Now().Add(2 * time.Minute)) // the peer takes its snapshot first
	for {
		typ, payload, b, err := readFrame(r, buf)
		buf = b
		if err != nil {
			return fmt.Errorf("after %d bytes: %w", got, err)
		}
		n.BytesReceived.Add(int64(len(payload) + 9))
		s.SetReadDeadline(time.Now().Add(30 * time.Second))
		switch typ {
		case frameXferData:
			if _, err := fw.Write(payload); err != nil {
				return err
			}
			got += int64(len(payload))
			continue
		case frameXferEnd:
		default:
			continue
		}
		mm := msg{b: payload}
		status, size, why := mm.getU(), mm.getU(), mm.getS()
		if mm.err {
			return errMsg
		}
		if status != xferOK {
			return fmt.Errorf("the peer refused: %s", why)
		}
		if int64(size) != got {
			return fmt.Errorf("received %d bytes of a %d-byte snapshot", got, size)
		}
		break
	}
	if err := fw.Flush(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	recv := time.Since(start)
	keys, err := n.cfg.Install(path)
	if err != nil {
		return fmt.Errorf("install: %w", err)
	}
	n.xs.Installed.Add(1)
	n.xs.LastBytes.Store(got)
	n.ae.forget() // this node's digests describe the state replaced
	n.log.Info("cluster: state transfer installed", "peer", fmt.Sprintf("%016x", uint64(m)), "keys", keys, "bytes", got,
		"ms", time.Since(start).Milliseconds(), "receive_ms", recv.Milliseconds())
	return nil
}

// serveXfer sends this node's state to a peer that asked for it.
func (n *Node) serveXfer(s *quic.Stream, asker effect.NodeID, payload []byte) {
	start := time.Now()
	w := bufio.NewWriterSize(s, 256<<10)
	end := func(status, size uint64, why string) {
		var m msg
		m.u(status)
		m.u(size)
		m.s(why)
		k, _ := writeFrame(w, frameXferEnd, m.b)
		n.BytesSent.Add(int64(k))
		w.Flush()
	}
	refuse := func(why string) {
		n.log.Warn("cluster: refused a state transfer", "peer", fmt.Sprintf("%016x", uint64(asker)), "why", why)
		end(xferRefused, 0, why)
	}
	mm := msg{b: payload}
	f := mm.getIDs()
	if mm.err {
		return
	}
	if n.cfg.Snapshot == nil {
		refuse("this node serves no state transfer")
		return
	}
	if n.xs.running.Load() {
		refuse("this node is receiving a state transfer itself")
		return
	}
	// the snapshot must hold everything the asker has of other origins
	want := make([]effect.ID, 0, len(f))
	for _, id := range f {
		if id.Node != asker {
			want = append(want, id)
		}
	}
	for deadline := time.Now().Add(xferCoverWait); !n.eng.Covers(want); {
		if time.Now().After(deadline) || n.ctx.Err() != nil {
			refuse("this node has not applied everything the asker has")
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	rc, err := n.cfg.Snapshot()
	if err != nil {
		refuse("snapshot: " + err.Error())
		return
	}
	defer rc.Close()
	chunk := make([]byte, xferChunk)
	var sent uint64
	for {
		k, err := io.ReadFull(rc, chunk)
		if k > 0 {
			s.SetWriteDeadline(time.Now().Add(30 * time.Second))
			m, werr := writeFrame(w, frameXferData, chunk[:k])
			if werr != nil {
				n.log.Warn("cluster: sending a state transfer failed", "peer", fmt.Sprintf("%016x", uint64(asker)), "err", werr)
				return
			}
			n.BytesSent.Add(int64(m))
			sent += uint64(k)
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			break
		}
		if err != nil {
			n.log.Warn("cluster: reading the snapshot to send failed", "err", err)
			return // the asker sees the stream end without xfer-end
		}
	}
	end(xferOK, sent, "")
	if w.Flush() == nil {
		n.xs.Served.Add(1)
		n.log.Info("cluster: sent a state transfer", "peer", fmt.Sprintf("%016x", uint64(asker)), "bytes", sent, "ms", time.Since(start).Milliseconds())
	}
}

// kickAll wakes every outbound effect stream.
func (n *Node) kickAll() {
	for _, p := range *n.peers.Load() {
		select {
		case p.kick <- struct{}{}:
		default:
		}
	}
}

// awaitResume is called by a peer's effect stream that needs effects this
// node no longer retains: it waits until the peer reports (in its
// heartbeats) having this node's effects up to a point from which they are
// retained — it took a state transfer — and returns the Seq to go on from.
func (p *peer) awaitResume(conn *quic.Conn, seq uint64) (uint64, error) {
	n := p.n
	t := time.NewTicker(n.cfg.Heartbeat)
	defer t.Stop()
	for {
		select {
		case <-conn.Context().Done():
			return 0, context.Cause(conn.Context())
		case <-n.ctx.Done():
			return 0, n.ctx.Err()
		case <-t.C:
		}
		p.mu.Lock()
		node := p.node
		p.mu.Unlock()
		n.mu.Lock()
		var has uint64
		ok := false
		if in := n.inbound[node]; in != nil && in.heard {
			has, ok = effect.FrontierOf(in.frontier, n.self), true
		}
		n.mu.Unlock()
		if !ok || has+1 <= seq {
			continue
		}
		if _, evicted := n.ret.Range(n.self, has+1, 1, 1, nil); !evicted {
			return has + 1, nil
		}
	}
}

// OwnSince returns this node's own retained effects with Seq > from, in
// Seq order, and whether they start right after from (false: some were no
// longer retained).
func (n *Node) OwnSince(from uint64) ([]effect.Effect, bool) {
	var out []effect.Effect
	first, last := n.ret.Span(n.self)
	if last <= from {
		return nil, true
	}
	seq := max(from+1, first)
	var recs [][]byte
	for seq <= last {
		var evicted bool
		recs, evicted = n.ret.Range(n.self, seq, 4096, 64<<20, recs[:0])
		if evicted || len(recs) == 0 {
			break
		}
		for _, r := range recs {
			e, _, err := effect.Decode(r)
			if err != nil {
				return out, false
			}
			out = append(out, e)
		}
		seq += uint64(len(recs))
	}
	return out, first <= from+1
}
