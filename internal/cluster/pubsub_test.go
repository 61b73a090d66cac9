package cluster

import (
	"bufio"
	"bytes"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/lightconedb/lightcone/internal/effect"
	"github.com/lightconedb/lightcone/internal/engine"
)

func TestMessageEncoding(t *testing.T) {
	cases := []struct {
		kind    byte
		ch, msg string
	}{
		{MsgPublish, "news", "hello"},
		{MsgSPublish, "shard{1}", "x"},
		{MsgPublish, "", ""},                           // Redis accepts empty channel names and messages
		{MsgPublish, "c", string(make([]byte, 70000))}, // binary, longer than a one-byte varint
		{MsgSPublish, string(make([]byte, 300)), "\r\n$3\r\n"},
	}
	for _, c := range cases {
		rec := encodeMessage(c.kind, []byte(c.ch), []byte(c.msg))
		// through a frame, as on the stream
		var b bytesBuf
		w := bufio.NewWriter(&b)
		writeFrame(w, frameMessage, rec)
		w.Flush()
		typ, p, _, err := readFrame(bufio.NewReader(&b), nil)
		if err != nil || typ != frameMessage {
			t.Fatalf("frame: %v %v", typ, err)
		}
		kind, ch, msg, err := decodeMessage(p)
		if err != nil || kind != c.kind || string(ch) != c.ch || string(msg) != c.msg {
			t.Fatalf("round trip of %d %q %q: %d %q %q %v", c.kind, c.ch, c.msg, kind, ch, msg, err)
		}
	}
	good := encodeMessage(MsgPublish, []byte("chan"), []byte("m"))
	bad := [][]byte{
		nil,
		{MsgPublish},                   // no channel length
		{2, 0},                         // unknown kind
		{MsgPublish, 5, 'a', 'b'},      // channel longer than the payload
		{MsgPublish, 0x80},             // truncated varint
		{MsgPublish, 0xff, 0xff, 0xff}, // truncated varint
		{MsgPublish, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, // huge length
		good[:3], // channel cut
	}
	for _, b := range bad {
		if _, _, _, err := decodeMessage(b); err == nil {
			t.Fatalf("decoded malformed payload %v", b)
		}
	}
	// the channel does not alias into the message when appended to
	_, ch, msg, _ := decodeMessage(good)
	ch = append(ch, 'X')
	if string(msg) != "m" || string(ch) != "chanX" {
		t.Fatalf("channel append overwrote the message: %q %q", ch, msg)
	}
}

type gotMsg struct {
	kind    byte
	ch, msg string
}

// msgNode is a cluster node whose received messages are recorded (or held
// by hold, to play a peer that stops reading).
type msgNode struct {
	*tnode
	mu   sync.Mutex
	got  []gotMsg
	hold chan struct{}
}

func startMsgNodes(t *testing.T, k int, queue int) []*msgNode {
	t.Helper()
	pcs, addrs := listenAll(t, k)
	out := make([]*msgNode, k)
	for i := range out {
		m := &msgNode{}
		id := effect.NodeID(0x5000 + i)
		en := engine.New(engine.Config{Node: id})
		en.EnableCluster()
		ident, err := NewIdentity(testPass, id)
		if err != nil {
			t.Fatal(err)
		}
		fc := NewFaultConn(pcs[i], int64(i+1))
		n, err := Start(Config{Engine: en, Identity: ident, Conn: fc, Advertise: addrs[i], Peers: addrs,
			Heartbeat: 20 * time.Millisecond, MessageQueueBytes: queue,
			OnMessage: func(kind byte, ch, msg []byte) {
				m.mu.Lock()
				hold := m.hold
				m.got = append(m.got, gotMsg{kind, string(ch), string(msg)})
				m.mu.Unlock()
				if hold != nil {
					<-hold
				}
			}})
		if err != nil {
			t.Fatal(err)
		}
		en.SetSink(n)
		t.Cleanup(n.Close)
		m.tnode = &tnode{en: en, fc: fc, n: n, addr: addrs[i]}
		out[i] = m
	}
	// wait until every node's message stream to every peer is open
	deadline := time.Now().Add(10 * time.Second)
	for {
		open := 0
		for _, m := range out {
			for _, p := range *m.n.peers.Load() {
				p.mq.mu.Lock()
				if p.mq.linked {
					open++
				}
				p.mq.mu.Unlock()
			}
		}
		if open == k*(k-1) {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d message streams open", open, k*(k-1))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (m *msgNode) received() []gotMsg {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]gotMsg(nil), m.got...)
}

func waitFor(t *testing.T, what string, timeout time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Messages published on one node reach every peer once, in publish order,
// and a node does not hand its own messages to itself.
func TestMessagesReachPeersInOrder(t *testing.T) {
	ns := startMsgNodes(t, 3, 0)
	const n = 2000
	var want []gotMsg
	for i := 0; i < n; i++ {
		kind := MsgPublish
		if i%3 == 0 {
			kind = MsgSPublish
		}
		g := gotMsg{kind, "ch" + strconv.Itoa(i%7), "m" + strconv.Itoa(i)}
		want = append(want, g)
		ns[0].n.Publish(g.kind, []byte(g.ch), []byte(g.msg))
	}
	for _, m := range ns[1:] {
		waitFor(t, "every message", 10*time.Second, func() bool { return len(m.received()) >= n })
	}
	time.Sleep(50 * time.Millisecond) // nothing more (no duplicates) arrives
	for i, m := range ns[1:] {
		got := m.received()
		if len(got) != n {
			t.Fatalf("node %d received %d messages, want %d", i+1, len(got), n)
		}
		for j := range got {
			if got[j] != want[j] {
				t.Fatalf("node %d message %d = %+v, want %+v", i+1, j, got[j], want[j])
			}
		}
	}
	if got := ns[0].received(); len(got) != 0 {
		t.Fatalf("the publishing node received %d of its own messages", len(got))
	}
	if s, d := ns[0].n.Msgs.Sent.Load(), ns[0].n.Msgs.Dropped.Load(); s != 2*n || d != 0 {
		t.Fatalf("sent %d dropped %d, want %d and 0", s, d, 2*n)
	}
	if r := ns[1].n.Msgs.Received.Load(); r != n {
		t.Fatalf("received counter %d, want %d", r, n)
	}
}

// A peer that stops reading costs the publisher at most the queue limit:
// Publish never blocks, the excess is dropped and counted, and what was
// queued still arrives, in order, once the peer reads again.
func TestMessagesToStuckPeerBounded(t *testing.T) {
	const limit = 64 << 10
	ns := startMsgNodes(t, 2, limit)
	a, b := ns[0], ns[1]
	hold := make(chan struct{})
	b.mu.Lock()
	b.hold = hold
	b.mu.Unlock()
	body := bytes.Repeat([]byte("x"), 1024)
	const n = 40000 // 40 MiB: far beyond QUIC's windows (16 MiB) and the queue
	maxQueued := 0
	done := make(chan struct{})
	go func() {
		defer close(done)
		queued := func() int {
			q := 0
			for _, p := range *a.n.peers.Load() {
				p.mq.mu.Lock()
				q += p.mq.bytes
				p.mq.mu.Unlock()
			}
			maxQueued = max(maxQueued, q)
			return q
		}
		// publish in rounds, letting the queue drain between them until
		// the peer's flow-control windows are full and it no longer does
		stuck := 0
		for i := 0; i < n; i++ {
			a.n.Publish(MsgPublish, []byte("c"), append([]byte(strconv.Itoa(i)+":"), body...))
			if i%100 == 99 && stuck < 3 {
				start := time.Now()
				for queued() > 0 && time.Since(start) < 50*time.Millisecond {
					time.Sleep(time.Millisecond)
				}
				if queued() > 0 {
					stuck++
				}
			}
			queued()
		}
	}()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("Publish blocked on a peer that does not read")
	}
	dropped := a.n.Msgs.Dropped.Load()
	t.Logf("queued at most %d bytes (limit %d); written to the stream %d, dropped %d of %d", maxQueued, limit, a.n.Msgs.Sent.Load(), dropped, n)
	if maxQueued > limit {
		t.Fatalf("queued %d bytes, limit %d", maxQueued, limit)
	}
	if dropped == 0 {
		t.Fatal("nothing dropped for a peer that does not read")
	}
	close(hold)
	b.mu.Lock()
	b.hold = nil
	b.mu.Unlock()
	waitFor(t, "the sent messages", 20*time.Second, func() bool {
		return int64(len(b.received())) == a.n.Msgs.Sent.Load() && a.n.Msgs.Sent.Load()+a.n.Msgs.Dropped.Load() == n
	})
	prev := -1
	for _, g := range b.received() {
		i, err := strconv.Atoi(g.msg[:bytes.IndexByte([]byte(g.msg), ':')])
		if err != nil || i <= prev {
			t.Fatalf("message %q after %d: out of order", g.msg[:10], prev)
		}
		prev = i
	}
}

// Messages published while a peer is unreachable are dropped and counted
// (they are not effects: nothing replays them); delivery resumes when the
// link is back.
func TestMessagesDroppedWhileLinkDown(t *testing.T) {
	ns := startMsgNodes(t, 2, 0)
	a, b := ns[0], ns[1]
	b.fc.Partition()
	waitFor(t, "the link to go down", 20*time.Second, func() bool {
		for _, p := range *a.n.peers.Load() {
			p.mq.mu.Lock()
			linked := p.mq.linked
			p.mq.mu.Unlock()
			if linked {
				return false
			}
		}
		return true
	})
	for i := 0; i < 10; i++ {
		a.n.Publish(MsgPublish, []byte("c"), []byte("lost"))
	}
	if d := a.n.Msgs.Dropped.Load(); d < 10 {
		t.Fatalf("dropped %d, want at least 10", d)
	}
	b.fc.Heal()
	waitFor(t, "a message after the link is back", 30*time.Second, func() bool {
		a.n.Publish(MsgPublish, []byte("c"), []byte("back"))
		time.Sleep(20 * time.Millisecond)
		return len(b.received()) > 0
	})
	for _, g := range b.received() {
		if g.msg != "back" {
			t.Fatalf("received %q published while the link was down", g.msg)
		}
	}
}
