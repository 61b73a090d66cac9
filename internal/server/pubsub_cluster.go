package server

import "github.com/lightconedb/lightcone/internal/cluster"

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
