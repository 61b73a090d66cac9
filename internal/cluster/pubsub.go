package cluster

import (
	"bufio"
	"context"
	"encoding/binary"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quic-go/quic-go"
)

// Pub/sub messages (PUBLISH, SPUBLISH) cross the cluster on one stream per
// outbound link, separate from the effect stream: a node sends the messages
// published on it to each peer it is linked to, and each peer hands them to
// its own subscribers (Config.OnMessage). Messages are not effects: they are
// not logged, retained, fetched or replayed. A message published while the
// link to a peer is down, or while that peer's queue is full (a slow or
// stuck peer: QUIC flow control stops the writer), is dropped for that peer
// and counted in MessageStats.Dropped; the publisher's memory stays bounded
// by Config.MessageQueueBytes per peer. Keyspace notifications are not sent
// this way: each node raises its own from the effects it applies.

// Message kinds.
const (
	MsgPublish  byte = 0 // PUBLISH: channel and pattern subscribers
	MsgSPublish byte = 1 // SPUBLISH: shard channel subscribers
)

// DefaultMessageQueueBytes bounds the messages waiting to be written to one
// peer.
const DefaultMessageQueueBytes = 8 << 20

// MessageStats counts forwarded pub/sub messages.
type MessageStats struct {
	Sent     atomic.Int64 // messages written to peers' message streams
	Received atomic.Int64 // messages received from peers
	Dropped  atomic.Int64 // messages not sent to a peer: link down or queue full
}

// encodeMessage is a message frame's payload:
//
//	u8 kind | uvarint len(channel) | channel | message (the rest)
func encodeMessage(kind byte, channel, message []byte) []byte {
	b := make([]byte, 0, 1+binary.MaxVarintLen32+len(channel)+len(message))
	b = append(b, kind)
	b = binary.AppendUvarint(b, uint64(len(channel)))
	b = append(b, channel...)
	return append(b, message...)
}

// decodeMessage parses a message frame's payload; channel and message alias
// b.
func decodeMessage(b []byte) (kind byte, channel, message []byte, err error) {
	if len(b) < 2 || b[0] > MsgSPublish {
		return 0, nil, nil, errMsg
	}
	kind = b[0]
	n, k := binary.Uvarint(b[1:])
	if k <= 0 || n > uint64(len(b)-1-k) {
		return 0, nil, nil, errMsg
	}
	rest := b[1+k:]
	return kind, rest[:n:n], rest[n:], nil
}

// msgQueue holds the messages waiting to be written to one peer. Only a
// linked peer (a message stream is open) takes messages.
type msgQueue struct {
	mu     sync.Mutex
	linked bool
	gen    uint64 // the message stream that owns the queue
	q      [][]byte
	bytes  int // queued and not yet written
	sig    chan struct{}
}

// push queues rec unless the link is down or the queue is full (a message
// larger than the whole limit is taken when the queue is empty).
func (q *msgQueue) push(rec []byte, limit int) bool {
	q.mu.Lock()
	if !q.linked || (q.bytes > 0 && q.bytes+len(rec) > limit) {
		q.mu.Unlock()
		return false
	}
	q.q = append(q.q, rec)
	q.bytes += len(rec)
	sig := q.sig
	q.mu.Unlock()
	select {
	case sig <- struct{}{}:
	default:
	}
	return true
}

// Publish sends a message published on this node to every linked peer, in
// publish order per peer. It never blocks: a peer whose link is down or
// whose queue is full misses the message (MessageStats.Dropped).
func (n *Node) Publish(kind byte, channel, message []byte) {
	ps := *n.peers.Load()
	var rec []byte
	for _, p := range ps {
		if rec == nil {
			rec = encodeMessage(kind, channel, message)
		}
		if p.mq.push(rec, n.msgLimit()) {
			continue
		}
		p.mu.Lock()
		st := p.state
		p.mu.Unlock()
		if st != "self" && st != "duplicate" { // those are not peers
			n.Msgs.Dropped.Add(1)
		}
	}
}

func (n *Node) msgLimit() int {
	if n.cfg.MessageQueueBytes > 0 {
		return n.cfg.MessageQueueBytes
	}
	return DefaultMessageQueueBytes
}

// sendMessages runs the message stream of one connection to the peer: it
// takes messages from the peer's queue while the connection lives. Messages
// still queued when it ends are dropped (never sent twice: a message written
// to a connection that then fails is lost, not repeated).
func (p *peer) sendMessages(conn *quic.Conn) {
	n := p.n
	defer n.wg.Done()
	ctx, cancel := context.WithTimeout(n.ctx, 5*time.Second)
	s, err := conn.OpenStreamSync(ctx)
	cancel()
	if err != nil {
		return
	}
	defer s.CancelWrite(0)
	q := &p.mq
	q.mu.Lock()
	q.gen++
	gen := q.gen
	n.Msgs.Dropped.Add(int64(len(q.q))) // a previous stream's leftovers
	q.linked, q.q, q.bytes, q.sig = true, nil, 0, make(chan struct{}, 1)
	sig := q.sig
	q.mu.Unlock()
	defer func() {
		q.mu.Lock()
		if q.gen == gen {
			n.Msgs.Dropped.Add(int64(len(q.q)))
			q.linked, q.q, q.bytes = false, nil, 0
		}
		q.mu.Unlock()
	}()
	w := bufio.NewWriterSize(s, 64<<10)
	var batch [][]byte
	for {
		q.mu.Lock()
		if q.gen != gen {
			q.mu.Unlock()
			return // a newer connection to the peer took over
		}
		batch, q.q = q.q, batch[:0]
		q.mu.Unlock()
		if len(batch) == 0 {
			if w.Flush() != nil {
				return
			}
			select {
			case <-sig:
			case <-conn.Context().Done():
				return
			case <-n.ctx.Done():
				return
			}
			continue
		}
		for i, rec := range batch {
			m, err := writeFrame(w, frameMessage, rec)
			if err != nil {
				n.Msgs.Dropped.Add(int64(len(batch) - i))
				return
			}
			p.bytesSent.Add(int64(m))
			n.BytesSent.Add(int64(m))
			n.Msgs.Sent.Add(1)
			q.mu.Lock()
			if q.gen == gen {
				q.bytes -= len(rec)
			}
			q.mu.Unlock()
		}
		clear(batch)
	}
}

// readMessages reads a peer's message stream (its first frame already read)
// and hands every message to OnMessage, in the order the peer sent them.
func (n *Node) readMessages(r *bufio.Reader, first, buf []byte) {
	payload := first // counted in BytesReceived by serveStream
	for {
		kind, ch, msg, err := decodeMessage(payload)
		if err != nil {
			n.log.Warn("cluster: malformed pub/sub message; closing the peer's message stream")
			return
		}
		n.Msgs.Received.Add(1)
		if n.cfg.OnMessage != nil {
			n.cfg.OnMessage(kind, ch, msg)
		}
		for {
			var typ byte
			typ, payload, buf, err = readFrame(r, buf)
			if err != nil {
				return
			}
			n.BytesReceived.Add(int64(len(payload) + 9))
			if typ == frameMessage {
				break
			}
		}
	}
}
