package server

import (
	"errors"
	"io"
	"os"
	"time"

	"github.com/lightconedb/lightcone/internal/effect"
	"github.com/lightconedb/lightcone/internal/wal"
)

// State transfer, the server's side (the protocol is internal/cluster
// xfer.go). Sending: a snapshot taken now, the file BGSAVE writes (copied
// shard by shard while writes go on). Receiving: while the snapshot is
// fetched and installed, commands without the "loading" flag get Redis'
// LOADING error, as on a replica loading its master's RDB, and active
// expiry pauses; the install replaces the state, applies this node's own
// effects that the snapshot lacks again, and takes a local snapshot before
// anything else is applied, so that a restart right after keeps the state.

const errLoading = "LOADING Redis is loading the dataset in memory"

// snapshotForPeer takes a snapshot now and opens it. A snapshot being
// taken (BGSAVE) is waited for, then another is taken: its cut must be
// after the asker's request.
func (s *Server) snapshotForPeer() (io.ReadCloser, error) {
	deadline := time.Now().Add(5 * time.Minute)
	for {
		m, err := s.dur.store.Snapshot()
		if errors.Is(err, wal.ErrSaving) && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
			continue
		}
		if err != nil {
			return nil, err
		}
		return os.Open(m.Path)
	}
}

// installTransfer installs the snapshot a peer sent (at path) and makes it
// durable.
func (s *Server) installTransfer(path string) (int, error) {
	var info wal.InstallInfo
	_, err := s.dur.store.Install(func() error {
		var err error
		info, err = wal.InstallSnapshot(path, s.Eng, s.ownEffectsSince)
		return err
	})
	if err != nil {
		return 0, err
	}
	m := info.Meta
	s.Log.Info("cluster: installed a peer's snapshot", "peer_node", nodeHex(m.Node), "keys", info.Keys,
		"own_effects_applied_again", info.OwnAgain, "snapshot_own_seq", info.OwnFrom, "ms", info.Duration.Milliseconds())
	if info.OwnLost > 0 {
		s.Log.Error("cluster: STATE TRANSFER LOST SOME OF THIS NODE'S OWN EFFECTS: the snapshot did not hold them and they were no longer retained or logged here",
			"missing", info.OwnLost, "after_seq", info.OwnFrom)
	}
	return info.Keys, nil
}

// ownEffectsSince returns this node's own effects with Seq > from: those
// the cluster layer retains, and, when they do not reach back to from, the
// ones in the effect log.
func (s *Server) ownEffectsSince(from uint64) ([]effect.Effect, error) {
	out, complete := s.cl.node.OwnSince(from)
	if complete || s.dur.store == nil {
		return out, nil
	}
	first := uint64(1<<63 - 1)
	if len(out) > 0 {
		first = out[0].ID.Seq
	}
	dir := s.dur.store.LogDir()
	segs, err := wal.ListSegments(dir)
	if err != nil || len(segs) == 0 {
		return out, nil
	}
	var logged []effect.Effect
	_, err = wal.ReadLog(dir, segs[0].Start, func(_ uint64, e *effect.Effect) error {
		if e.ID.Node == s.NodeID && e.ID.Seq > from && e.ID.Seq < first {
			logged = append(logged, e.Clone())
		}
		return nil
	})
	if err != nil {
		s.Log.Warn("cluster: reading the effect log for own effects to keep across a state transfer", "err", err)
	}
	return append(logged, out...), nil
}

// transferLoading is the cluster's Loading hook.
func (s *Server) transferLoading(on bool) {
	s.cl.loading.Store(on)
	if !on {
		s.remoteApplied() // clients blocked on keys the new state fills
	}
}

func nodeHex(n effect.NodeID) string {
	const digits = "0123456789abcdef"
	var b [16]byte
	for i := 15; i >= 0; i-- {
		b[i] = digits[n&15]
		n >>= 4
	}
	return string(b[:])
}
