package server

import (
	"github.com/lightconedb/lightcone/internal/cluster"
	"github.com/lightconedb/lightcone/internal/effect"
	"github.com/lightconedb/lightcone/internal/notify"
)

// Cluster-wide PUBLISH and SPUBLISH. A message published on this node is
// delivered to its own subscribers (the reply counts only those, as Redis
// Cluster's does) and handed to the cluster layer, which sends it to every
// linked peer; a message a peer forwards is delivered here to the channel,
// pattern or shard channel subscribers, and goes no further. Keyspace
// notifications take the other road: every node raises its own from the
// effects it applies (notify.go), so they are never forwarded.

// forwardMessage sends a message published here to the peers (nothing on a
// standalone node).
func (s *Server) forwardMessage(kind byte, channel, message []byte) {
	if n := s.cl.node; n != nil {
		n.Publish(kind, channel, message)
	}
}

// remoteMessage delivers a message a peer forwarded (cluster.Config.OnMessage;
// channel and message are only valid during the call: the deliveries copy
// them).
func (s *Server) remoteMessage(kind byte, channel, message []byte) {
	switch kind {
	case cluster.MsgPublish:
		s.publish(channel, message, nil, nil)
	case cluster.MsgSPublish:
		s.spublish(channel, message, nil, nil)
	}
}

// maxHeldRemote bounds the RENAME/MOVE destinations of one origin waiting
// for their source's effect (a source effect that raises nothing here,
// because notifications were turned off meanwhile, leaves one behind).
const maxHeldRemote = 64

// holdRemote keeps a peer's RENAME/MOVE destination events until the
// source's effect of that peer is applied (keyspaceChanged). Effects of one
// origin are applied in Seq order and the source's follows the
// destination's, so the next source effect of that origin is its pair
// (unless the peer ran two RENAMEs concurrently on different keys: then
// every event is still raised once, but two RENAMEs' events may pair
// differently).
func (s *Server) holdRemote(origin effect.NodeID, h heldEvents, flags notify.Class) {
	s.heldMu.Lock()
	if s.cl.held == nil {
		s.cl.held = map[effect.NodeID][]heldEvents{}
	}
	q := append(s.cl.held[origin], h)
	var old heldEvents
	over := len(q) > maxHeldRemote
	if over {
		old, q = q[0], q[1:]
	}
	s.cl.held[origin] = q
	s.heldMu.Unlock()
	if over {
		for _, name := range old.names {
			s.keyspaceEvent(flags, old.db, old.key, name, nil, nil)
		}
		if old.invalidate {
			s.tracking.invalidateKey(s, old.key, nil, nil)
		}
	}
}

// releaseRemote takes the oldest destination events held for origin.
func (s *Server) releaseRemote(origin effect.NodeID) heldEvents {
	s.heldMu.Lock()
	defer s.heldMu.Unlock()
	q := s.cl.held[origin]
	if len(q) == 0 {
		return heldEvents{}
	}
	h := q[0]
	q[0] = heldEvents{}
	if len(q) == 1 {
		delete(s.cl.held, origin)
	} else {
		s.cl.held[origin] = q[1:]
	}
	return h
}
