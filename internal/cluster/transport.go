package cluster

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand"
	"net"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/lightconedb/lightcone/internal/effect"
	"github.com/lightconedb/lightcone/internal/hlc"
)

// Engine is what the cluster layer needs of the engine.
type Engine interface {
	Node() effect.NodeID
	Apply(e *effect.Effect) bool
	ApplyBatch(es []effect.Effect) int
	Frontier() []effect.ID
	AppliedOf(n effect.NodeID) uint64
	ObserveFrontier(m effect.NodeID, f []effect.ID)
	AddMember(m effect.NodeID) bool
	RemoveMember(m effect.NodeID) bool
	CompactFast() int
	StableCut() []effect.ID
	Clock() *hlc.Clock
	Covers(f []effect.ID) bool // every effect of other origins f names is applied (xfer.go)
	LiveEffects() int
	RangeDigests() *[digestRanges][20]byte // antientropy.go
}

// Config sets up a cluster node.
type Config struct {
	Engine    Engine
	Identity  *Identity
	Conn      net.PacketConn // the cluster UDP socket (or a FaultConn around it)
	Advertise string         // host:port other nodes reach this one at
	Peers     []string       // seed addresses (host:port)
	Retired   effect.NodeID  // an identity of this node to announce as retired (the server keeps its NodeID and sets none; the hello still carries the field)
	Forgotten []Member       // members forgotten before (forget.go), retired from the start
	// OnRetire, when set, is told of each member this node learns is
	// retired (forgotten), once, so that the server can remember it.
	OnRetire func(m Member)
	Log      *slog.Logger
	// OnRemote, when set, is called after remote effects were applied (once
	// per burst), e.g. to serve clients blocked on the keys they touched.
	OnRemote func()
	// OnMessage, when set, receives each pub/sub message a peer forwards
	// (pubsub.go), in the order that peer sent them; channel and message
	// are only valid during the call.
	OnMessage func(kind byte, channel, message []byte)
	// MessageQueueBytes bounds the pub/sub messages waiting for one peer,
	// default DefaultMessageQueueBytes.
	MessageQueueBytes int
	// Resolve, when set, is called before each dialing round to find more
	// seeds (DNS for --join).
	Resolve func() []string
	// Preload, when set, is called once by Start before any link exists,
	// with a function that retains one effect: the node's recovered log
	// tail (its own and others' effects, each origin's in Seq order), so
	// that peers which missed them can still stream or fetch them after a
	// restart.
	Preload func(retain func(e *effect.Effect))
	// Attach, when set, is called by Start after Preload and before any
	// link exists (inbound or outbound): the place to make the node the
	// engine's sink, so that every effect applied from then on is retained.
	Attach func(n *Node)

	// State transfer (xfer.go). Snapshot opens a snapshot of this node's
	// state taken now, in the format wal.Store.Snapshot writes; without it
	// this node refuses to send its state. Install replaces this node's
	// state with the snapshot file at path (wal.InstallSnapshot) and makes
	// it durable, returning the keys it holds; without it this node never
	// asks for a transfer. Loading(true) is called when a transfer to this
	// node begins (clients are to be refused) and Loading(false) when it
	// ends. XferDir is where a received snapshot is written before it is
	// installed (removed afterwards).
	Snapshot func() (io.ReadCloser, error)
	Install  func(path string) (keys int, err error)
	Loading  func(on bool)
	XferDir  string

	Heartbeat    time.Duration // default 50ms
	RetainStable time.Duration // stable effects stay retained this long, default 30s (backpressure.go)
	RetainBytes  int           // retained effects per origin, default 64 MiB
	CompactEvery time.Duration // default 100ms
	FetchBatch   int           // effects per fetch round, default 4096
	StallAfter   time.Duration // fetch an origin's own effects when its stream was silent this long while behind, default 500ms
}

// Node is this process's cluster endpoint.
type Node struct {
	cfg    Config
	self   effect.NodeID
	eng    Engine
	ret    *Retained
	behind atomic.Bool  // a streaming peer lags too far (backpressure.go)
	marks  []stableMark // stable cuts of the last retainStable (background only)
	log    *slog.Logger
	tr     *quic.Transport
	ln     *quic.Listener

	ctx       context.Context
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	closeOnce sync.Once

	reclaimed atomic.Bool // Reclaim finished: this node's own Seq is its own again
	removed   atomic.Bool // the cluster forgot this node (forget.go)
	xs        xferState   // state transfers (xfer.go)
	ae        aeState     // anti-entropy digests (antientropy.go)

	mu       sync.Mutex
	members  map[effect.NodeID]*Member
	dialers  map[string]*peer
	byNode   map[effect.NodeID]*peer       // connected outbound link by peer node
	inbound  map[effect.NodeID]*inbound    // what each peer last told us
	fetching map[effect.NodeID]bool        // origins with a fetch in flight
	observe  map[effect.NodeID][]effect.ID // heartbeat frontiers waiting for their sender's effects
	peers    atomic.Pointer[[]*peer]       // snapshot for Emit
	acks     ackWatch                      // WAIT's waiters (acks.go)

	// Counters.
	BytesSent     atomic.Int64
	BytesReceived atomic.Int64
	EffectsSent   atomic.Int64
	EffectsRecv   atomic.Int64
	Fetched       atomic.Int64
	Refused       atomic.Int64 // connections or streams refused (trust)
	Folded        atomic.Int64
	Evicted       atomic.Int64 // catch-ups impossible from retained effects
	Reclaimed     atomic.Int64 // own effects taken back from peers at start (Reclaim)
	SeqReuse      atomic.Int64 // peers found holding own effects past the Seq after Reclaim
	Msgs          MessageStats // pub/sub messages forwarded (pubsub.go)
}

type inbound struct {
	frontier []effect.ID
	at       time.Time    // last heartbeat
	lastEff  atomic.Int64 // last effect received on its stream (Unix ns)
	streams  int          // effect streams from it being read
	addr     string
	heard    bool // a frontier came from it
	reused   bool // it reported holding this node's effects past its Seq after the reclaim
}

// peer is one outbound link, dialed to an address.
type peer struct {
	n    *Node
	addr string
	kick chan struct{}
	ack  chan struct{} // send a heartbeat soon: effects from the peer were applied (ackSoon)

	mu     sync.Mutex
	node   effect.NodeID
	conn   *quic.Conn
	state  string
	since  time.Time
	lastEr string
	ever   bool // identified at least once
	stop   bool

	bytesSent atomic.Int64
	cursor    atomic.Uint64
	streaming atomic.Bool // stream() is sending (backpressure.go)
	mq        msgQueue    // pub/sub messages for the peer (pubsub.go)
}

// Link is a snapshot of one peer link, for INFO.
type Link struct {
	Addr      string
	Node      effect.NodeID
	State     string
	RTT       time.Duration
	BytesSent int64
	Lag       uint64 // this node's effects the peer has not acknowledged
	LastHeard time.Duration
	Err       string
}

var (
	errSelf      = errors.New("dialed this node itself")
	errDuplicate = errors.New("already linked to that node through another address")
	errEvicted   = errors.New("peer needs effects no longer retained")
)

// Start opens the listener and starts dialing the seeds.
func Start(cfg Config) (*Node, error) {
	if cfg.Heartbeat <= 0 {
		cfg.Heartbeat = 50 * time.Millisecond
	}
	if cfg.RetainBytes <= 0 {
		cfg.RetainBytes = 64 << 20
	}
	if cfg.CompactEvery <= 0 {
		cfg.CompactEvery = 100 * time.Millisecond
	}
	if cfg.FetchBatch <= 0 {
		cfg.FetchBatch = 4096
	}
	if cfg.StallAfter <= 0 {
		cfg.StallAfter = 500 * time.Millisecond
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	n := &Node{
		cfg:      cfg,
		self:     cfg.Engine.Node(),
		eng:      cfg.Engine,
		ret:      NewRetained(cfg.RetainBytes),
		log:      cfg.Log,
		members:  map[effect.NodeID]*Member{},
		dialers:  map[string]*peer{},
		byNode:   map[effect.NodeID]*peer{},
		inbound:  map[effect.NodeID]*inbound{},
		fetching: map[effect.NodeID]bool{},
		observe:  map[effect.NodeID][]effect.ID{},
	}
	n.peers.Store(&[]*peer{})
	prev := cfg.Identity.OnReject
	cfg.Identity.OnReject = func(err error) {
		n.Refused.Add(1)
		n.log.Warn("cluster: refused a peer certificate", "err", err)
		if prev != nil {
			prev(err)
		}
	}
	n.tr = &quic.Transport{Conn: cfg.Conn}
	ln, err := n.tr.Listen(cfg.Identity.ServerTLS(), n.qconf())
	if err != nil {
		return nil, fmt.Errorf("cluster listen: %w", err)
	}
	n.ln = ln
	n.ctx, n.cancel = context.WithCancel(context.Background())
	n.members[n.self] = &Member{ID: n.self, Addr: cfg.Advertise}
	if cfg.Retired != 0 && cfg.Retired != n.self {
		n.members[cfg.Retired] = &Member{ID: cfg.Retired, Retired: true}
	}
	for _, m := range cfg.Forgotten {
		if m.ID != 0 && m.ID != n.self {
			n.members[m.ID] = &Member{ID: m.ID, Addr: m.Addr, Retired: true}
			n.eng.RemoveMember(m.ID)
		}
	}
	if cfg.Preload != nil {
		cfg.Preload(func(e *effect.Effect) { n.Emit(e, false) })
	}
	if cfg.Attach != nil {
		cfg.Attach(n)
	}
	n.wg.Add(2)
	go n.acceptLoop()
	go n.background()
	n.mu.Lock()
	for _, a := range cfg.Peers {
		n.dialLocked(a)
	}
	n.mu.Unlock()
	return n, nil
}

func (n *Node) qconf() *quic.Config {
	return &quic.Config{
		MaxIdleTimeout:       5 * time.Second,
		KeepAlivePeriod:      time.Second,
		HandshakeIdleTimeout: 3 * time.Second,
		// flow control bounds what a slow receiver makes us buffer
		MaxStreamReceiveWindow:     8 << 20,
		MaxConnectionReceiveWindow: 16 << 20,
		MaxIncomingStreams:         256,
		MaxIncomingUniStreams:      8,
	}
}

// Close stops every link and the listener, and closes the socket.
func (n *Node) Close() { n.closeOnce.Do(n.close) }

func (n *Node) close() {
	n.cancel()
	n.mu.Lock()
	for _, p := range n.dialers {
		p.mu.Lock()
		if p.conn != nil {
			p.conn.CloseWithError(0, "shutdown")
		}
		p.mu.Unlock()
	}
	n.mu.Unlock()
	n.ln.Close()
	n.wg.Wait()
	n.tr.Close()
	n.cfg.Conn.Close()
}

// Self is this node's id.
func (n *Node) Self() effect.NodeID { return n.self }

// Addr is the local UDP address.
func (n *Node) Addr() net.Addr { return n.cfg.Conn.LocalAddr() }

// Emit is the engine sink: every applied effect is retained for streams and
// fetches; local ones wake the senders. Called with engine locks held: it
// only copies and signals.
func (n *Node) Emit(e *effect.Effect, local bool) {
	rec := e.AppendBinary(make([]byte, 0, 48+len(e.Key)+len(e.Value)+16*(len(e.Deps)+len(e.Frontier))))
	n.ret.Add(e.ID.Node, e.ID.Seq, rec)
	if local {
		n.noteOwn(e.ID)
		for _, p := range *n.peers.Load() {
			select {
			case p.kick <- struct{}{}:
			default:
			}
		}
	}
}

// dialLocked starts an outbound link to addr unless one exists. n.mu held.
func (n *Node) dialLocked(addr string) {
	if addr == "" || addr == n.cfg.Advertise || n.dialers[addr] != nil || n.ctx.Err() != nil {
		return
	}
	p := &peer{n: n, addr: addr, kick: make(chan struct{}, 1), ack: make(chan struct{}, 1), state: "connecting", since: time.Now()}
	n.dialers[addr] = p
	ps := slices.Clone(*n.peers.Load())
	ps = append(ps, p)
	n.peers.Store(&ps)
	n.wg.Add(1)
	go p.run()
}

func (p *peer) set(state string, err error) {
	p.mu.Lock()
	if p.state != state {
		p.since = time.Now()
	}
	p.state = state
	if err != nil {
		p.lastEr = err.Error()
	}
	p.mu.Unlock()
}

func (p *peer) run() {
	n := p.n
	defer n.wg.Done()
	backoff := 50 * time.Millisecond
	for n.ctx.Err() == nil {
		began := time.Now()
		err := p.session()
		if n.ctx.Err() != nil {
			return
		}
		switch {
		case errors.Is(err, errSelf):
			p.set("self", nil)
			return
		case errors.Is(err, errDuplicate):
			p.set("duplicate", err)
			return
		case errors.Is(err, errRetired):
			p.set("forgotten", err)
			return
		}
		p.set("down", err)
		n.log.Debug("cluster: link down", "peer", p.addr, "err", err)
		if time.Since(began) > 10*time.Second {
			backoff = 50 * time.Millisecond
		}
		d := backoff/2 + time.Duration(rand.Int63n(int64(backoff)))
		backoff = min(backoff*2, 5*time.Second)
		select {
		case <-n.ctx.Done():
			return
		case <-time.After(d):
		}
	}
}

// session runs one connection to the peer: hello, then the effect stream
// from the peer's cursor and heartbeats, until the connection ends.
func (p *peer) session() error {
	n := p.n
	udp, err := net.ResolveUDPAddr("udp", p.addr)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(n.ctx, 5*time.Second)
	conn, err := n.tr.Dial(ctx, udp, n.cfg.Identity.ClientTLS(), n.qconf())
	cancel()
	if err != nil {
		return err
	}
	defer conn.CloseWithError(0, "")
	certNode, err := PeerNodeID(conn.ConnectionState().TLS)
	if err != nil {
		return err
	}
	if certNode == n.self {
		return errSelf
	}
	if n.isRetired(certNode) {
		return errRetired
	}
	ctx, cancel = context.WithTimeout(n.ctx, 5*time.Second)
	ctrl, err := conn.OpenStreamSync(ctx)
	cancel()
	if err != nil {
		return err
	}
	cw := bufio.NewWriterSize(ctrl, 4096)
	h := hello{Node: n.self, Advertise: n.cfg.Advertise, Retired: n.cfg.Retired, Members: n.memberList()}
	writeFrame(cw, frameHello, h.encode())
	if err := cw.Flush(); err != nil {
		return err
	}
	ctrl.SetReadDeadline(time.Now().Add(5 * time.Second))
	typ, payload, _, err := readFrame(bufio.NewReader(ctrl), nil)
	if err != nil {
		return err
	}
	if typ != frameHelloAck {
		return errMsg
	}
	ack, err := decodeHeartbeat(payload)
	if err != nil {
		return err
	}
	ctrl.SetReadDeadline(time.Time{})

	n.mu.Lock()
	if q := n.byNode[certNode]; q != nil && q != p {
		n.mu.Unlock()
		return errDuplicate
	}
	n.byNode[certNode] = p
	n.mu.Unlock()
	defer func() {
		n.mu.Lock()
		if n.byNode[certNode] == p {
			delete(n.byNode, certNode)
		}
		n.mu.Unlock()
	}()
	p.mu.Lock()
	p.node, p.conn, p.ever = certNode, conn, true
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		p.conn = nil
		p.mu.Unlock()
	}()
	n.learn([]Member{{ID: certNode, Addr: p.addr}})
	n.learn(ack.Members)
	n.onFrontier(certNode, ack.Frontier, true)

	ctx, cancel = context.WithTimeout(n.ctx, 5*time.Second)
	es, err := conn.OpenUniStreamSync(ctx)
	cancel()
	if err != nil {
		return err
	}
	p.set("up", nil)
	n.log.Info("cluster: linked", "peer", p.addr, "node", fmt.Sprintf("%016x", uint64(certNode)))
	n.wg.Add(1)
	go p.sendMessages(conn) // ends with conn

	done := make(chan error, 2)
	go func() { done <- p.heartbeats(conn, cw) }()
	go func() { done <- p.stream(conn, es, effect.FrontierOf(ack.Frontier, n.self)+1) }()
	err = <-done
	conn.CloseWithError(0, "")
	<-done
	return err
}

func (p *peer) heartbeats(conn *quic.Conn, w *bufio.Writer) error {
	n := p.n
	t := time.NewTicker(n.cfg.Heartbeat)
	defer t.Stop()
	var last time.Time
	for {
		last = time.Now()
		hb := heartbeat{HLC: uint64(n.eng.Clock().Now()), Frontier: n.eng.Frontier(), Members: n.memberList()}
		m, err := writeFrame(w, frameHeartbeat, hb.encode())
		p.mu.Lock()
		node := p.node
		p.mu.Unlock()
		if d := n.digestFor(node); d != nil && err == nil {
			var k int
			k, err = writeFrame(w, frameDigest, d)
			m += k
		}
		if err == nil {
			err = w.Flush()
		}
		if err != nil {
			return err
		}
		p.bytesSent.Add(int64(m))
		n.BytesSent.Add(int64(m))
		select {
		case <-conn.Context().Done():
			return context.Cause(conn.Context())
		case <-n.ctx.Done():
			return n.ctx.Err()
		case <-t.C:
		case <-p.ack:
			if d := ackSpacing - time.Since(last); d > 0 {
				time.Sleep(d)
			}
		}
	}
}

// stream sends this node's own effects from seq on, in order, as they are
// made. Writes block when the peer's flow-control window is full: the peer
// then simply lags behind in the retained effects, nothing else is queued.
func (p *peer) stream(conn *quic.Conn, s *quic.SendStream, seq uint64) error {
	n := p.n
	w := bufio.NewWriterSize(s, 64<<10)
	p.cursor.Store(seq)
	p.streaming.Store(true)
	defer p.streaming.Store(false)
	var recs [][]byte
	for {
		var evicted bool
		own := n.eng.AppliedOf(n.self) // before Range: what it covers is retained or evicted
		recs, evicted = n.ret.Range(n.self, seq, 1024, 1<<20, recs[:0])
		if len(recs) == 0 && seq <= own {
			evicted = true // made before a restart and not in the recovered log tail
		}
		if evicted {
			first, _ := n.ret.Span(n.self)
			n.Evicted.Add(1)
			n.log.Warn("cluster: a peer needs effects this node no longer retains; it needs a state transfer", "peer", p.addr, "from", seq, "oldest", first)
			p.set("lagging", errEvicted)
			next, err := p.awaitResume(conn, seq)
			if err != nil {
				return err
			}
			n.log.Info("cluster: a peer caught up past the effects this node no longer retains (a state transfer); its effect stream goes on", "peer", p.addr, "from", next)
			p.set("up", nil)
			seq = next
			p.cursor.Store(seq)
			continue
		}
		if len(recs) == 0 {
			if err := w.Flush(); err != nil {
				return err
			}
			select {
			case <-p.kick:
			case <-conn.Context().Done():
				return context.Cause(conn.Context())
			case <-n.ctx.Done():
				return n.ctx.Err()
			}
			continue
		}
		for _, r := range recs {
			m, err := writeFrame(w, frameEffect, r)
			if err != nil {
				return err
			}
			p.bytesSent.Add(int64(m))
			n.BytesSent.Add(int64(m))
		}
		n.EffectsSent.Add(int64(len(recs)))
		seq += uint64(len(recs))
		p.cursor.Store(seq)
		if n.behind.Load() {
			_, last := n.ret.Span(n.self)
			n.checkBehind(last)
		}
		clear(recs)
	}
}

func (n *Node) acceptLoop() {
	defer n.wg.Done()
	for {
		conn, err := n.ln.Accept(n.ctx)
		if err != nil {
			return
		}
		n.wg.Add(1)
		go n.serveInbound(conn)
	}
}

// serveInbound handles a connection a peer dialed: its control stream, its
// effect stream and its fetch streams.
func (n *Node) serveInbound(conn *quic.Conn) {
	defer n.wg.Done()
	defer conn.CloseWithError(0, "")
	certNode, err := PeerNodeID(conn.ConnectionState().TLS)
	if err != nil {
		n.Refused.Add(1)
		return
	}
	ctx, cancel := context.WithCancel(n.ctx)
	defer cancel()
	go func() {
		for {
			s, err := conn.AcceptUniStream(ctx)
			if err != nil {
				return
			}
			go n.readEffects(conn, certNode, s)
		}
	}()
	for {
		s, err := conn.AcceptStream(ctx)
		if err != nil {
			return
		}
		go n.serveStream(conn, certNode, s)
	}
}

func (n *Node) refuse(conn *quic.Conn, why string, args ...any) {
	n.Refused.Add(1)
	n.log.Warn("cluster: refused a peer: "+why, args...)
	conn.CloseWithError(1, why)
}

func (n *Node) serveStream(conn *quic.Conn, certNode effect.NodeID, s *quic.Stream) {
	defer s.Close()
	r := bufio.NewReaderSize(s, 16<<10)
	typ, payload, buf, err := readFrame(r, nil)
	if err != nil {
		return
	}
	n.BytesReceived.Add(int64(len(payload) + 9))
	switch typ {
	case frameHello:
		h, err := decodeHello(payload)
		if err != nil {
			return
		}
		if err := CheckClaim(conn.ConnectionState().TLS, h.Node); err != nil {
			n.refuse(conn, "NodeID does not match its certificate", "claimed", fmt.Sprintf("%016x", uint64(h.Node)), "certificate", fmt.Sprintf("%016x", uint64(certNode)))
			return
		}
		if n.isRetired(h.Node) {
			// tell it, so that it can say so, then turn it away
			ack := heartbeat{HLC: uint64(n.eng.Clock().Now()), Frontier: n.eng.Frontier(), Members: n.memberList()}
			w := bufio.NewWriter(s)
			writeFrame(w, frameHelloAck, ack.encode())
			w.Flush()
			n.refuse(conn, "a forgotten member (LIGHTCONE FORGET); it must join again with an empty data directory", "node", fmt.Sprintf("%016x", uint64(h.Node)))
			return
		}
		if h.Retired != 0 && h.Retired != h.Node {
			n.learn([]Member{{ID: h.Retired, Retired: true}})
		}
		n.learn([]Member{{ID: h.Node, Addr: h.Advertise}})
		n.learn(h.Members)
		ack := heartbeat{HLC: uint64(n.eng.Clock().Now()), Frontier: n.eng.Frontier(), Members: n.memberList()}
		w := bufio.NewWriter(s)
		m, _ := writeFrame(w, frameHelloAck, ack.encode())
		if w.Flush() != nil {
			return
		}
		n.BytesSent.Add(int64(m))
		for {
			typ, payload, buf, err = readFrame(r, buf)
			if err != nil {
				return
			}
			n.BytesReceived.Add(int64(len(payload) + 9))
			if typ == frameDigest {
				n.onDigest(certNode, payload)
				continue
			}
			if typ != frameHeartbeat {
				continue
			}
			hb, err := decodeHeartbeat(payload)
			if err != nil {
				return
			}
			n.eng.Clock().Update(hlc.Timestamp(hb.HLC))
			n.learn(hb.Members)
			n.onFrontier(certNode, hb.Frontier, false)
		}
	case frameFetch:
		req, err := decodeFetch(payload)
		if err != nil {
			return
		}
		n.serveFetch(s, req)
	case frameMessage:
		n.readMessages(r, payload, buf)
	case frameXfer:
		n.serveXfer(s, certNode, payload)
	}
}

// readEffects applies the effects a peer streams: its own, in Seq order.
func (n *Node) readEffects(conn *quic.Conn, certNode effect.NodeID, s *quic.ReceiveStream) {
	if n.isRetired(certNode) {
		s.CancelRead(1)
		return
	}
	r := bufio.NewReaderSize(s, 64<<10)
	var buf []byte
	n.mu.Lock()
	in := n.inboundLocked(certNode)
	in.streams++
	in.lastEff.Store(time.Now().UnixNano())
	n.mu.Unlock()
	defer func() {
		n.mu.Lock()
		in.streams--
		n.mu.Unlock()
	}()
	// Frames already buffered are applied together (engine.ApplyBatch): a
	// run of effects on one hot key then costs one merge, not one each.
	var arena []byte
	var ends []int
	var batch []effect.Effect
	for {
		typ, payload, b, err := readFrame(r, buf)
		buf = b
		if err != nil {
			if !errors.Is(err, io.EOF) && n.ctx.Err() == nil {
				n.log.Debug("cluster: effect stream ended", "node", fmt.Sprintf("%016x", uint64(certNode)), "err", err)
			}
			return
		}
		n.BytesReceived.Add(int64(len(payload) + 9))
		if typ == frameEffect {
			arena = append(arena, payload...)
			ends = append(ends, len(arena))
		}
		if frameBuffered(r) && len(ends) < maxApplyBatch && len(arena) < 1<<20 {
			continue // another whole frame is here already
		}
		if len(ends) == 0 {
			continue
		}
		batch = batch[:0]
		start := 0
		for _, end := range ends {
			e, _, err := effect.Decode(arena[start:end])
			start = end
			if err != nil {
				n.log.Warn("cluster: undecodable effect", "err", err)
				conn.CloseWithError(2, "bad effect")
				return
			}
			if e.ID.Node != certNode {
				n.refuse(conn, "effect stream carries another node's effects", "origin", e.ID.String())
				return
			}
			batch = append(batch, e)
		}
		n.EffectsRecv.Add(int64(len(batch)))
		n.xs.gate.RLock() // not while a state transfer is installed (xfer.go)
		n.eng.ApplyBatch(batch)
		n.xs.gate.RUnlock()
		arena, ends = arena[:0], ends[:0]
		if cap(arena) > 4<<20 {
			arena = nil
		}
		in.lastEff.Store(time.Now().UnixNano())
		if r.Buffered() == 0 {
			n.ackSoon(certNode)
			if n.cfg.OnRemote != nil {
				n.cfg.OnRemote()
			}
		}
	}
}

// maxApplyBatch bounds the effects applied together from one stream.
const maxApplyBatch = 512

func (n *Node) inboundLocked(m effect.NodeID) *inbound {
	in := n.inbound[m]
	if in == nil {
		in = &inbound{}
		n.inbound[m] = in
	}
	return in
}

// onFrontier handles a peer's applied frontier (heartbeat or hello reply):
// remember it for stability, and fetch whatever it has that we lack.
func (n *Node) onFrontier(m effect.NodeID, f []effect.ID, hello bool) {
	n.mu.Lock()
	in := n.inboundLocked(m)
	in.frontier = f
	in.heard = true
	if !hello {
		in.at = time.Now()
	}
	n.observe[m] = f
	var want []fetchReq
	for _, id := range f {
		o := id.Node
		if o == n.self {
			if n.reclaimed.Load() && id.Seq > n.eng.AppliedOf(n.self) && !in.reused {
				in.reused = true
				n.SeqReuse.Add(1)
				n.log.Error("cluster: a peer holds effects of this node beyond its last Seq, which this node has stamped again since it restarted: that peer will drop this node's effects with those Seqs (it was unreachable during the restart's reclaim)",
					"peer", fmt.Sprintf("%016x", uint64(m)), "peer_has", id.Seq, "own", n.eng.AppliedOf(n.self))
			}
			continue
		}
		if n.fetching[o] || n.xs.running.Load() {
			continue
		}
		// o's own stream brings its effects in order: fetch only when it is
		// down, or silent for a while though we are behind
		if src := n.inbound[o]; src != nil && src.streams > 0 && time.Since(time.Unix(0, src.lastEff.Load())) < n.cfg.StallAfter {
			continue
		}
		if have := n.eng.AppliedOf(o); id.Seq > have {
			n.fetching[o] = true
			want = append(want, fetchReq{Origin: o, From: have + 1, To: id.Seq})
		}
	}
	n.mu.Unlock()
	n.frontierReported()
	for _, req := range want {
		go n.fetch(m, req)
	}
	n.tryObserve()
}

// tryObserve passes heartbeat frontiers to the engine once every effect of
// their sender that they cover has been delivered here (the engine's rule).
func (n *Node) tryObserve() {
	n.mu.Lock()
	defer n.mu.Unlock()
	for m, f := range n.observe {
		if n.eng.AppliedOf(m) >= effect.FrontierOf(f, m) {
			n.eng.ObserveFrontier(m, f)
			delete(n.observe, m)
		}
	}
}

// fetch asks peer m for origin's effects in req's range, in batches, over
// this node's own link to m.
func (n *Node) fetch(m effect.NodeID, req fetchReq) {
	defer func() {
		n.mu.Lock()
		delete(n.fetching, req.Origin)
		n.mu.Unlock()
	}()
	for n.ctx.Err() == nil {
		n.mu.Lock()
		p := n.byNode[m]
		n.mu.Unlock()
		if p == nil {
			return
		}
		p.mu.Lock()
		conn := p.conn
		p.mu.Unlock()
		if conn == nil {
			return
		}
		from := max(req.From, n.eng.AppliedOf(req.Origin)+1)
		if from > req.To {
			return
		}
		to := min(req.To, from+uint64(n.cfg.FetchBatch)-1)
		n.xs.gate.RLock() // not while a state transfer is installed (xfer.go)
		got, status, err := n.fetchOnce(conn, fetchReq{Origin: req.Origin, From: from, To: to})
		n.xs.gate.RUnlock()
		if n.eng.AppliedOf(req.Origin) < from {
			// the batch waits for its causal past (from other origins): fetch
			// it again when a frontier says so, not in a tight loop now
			got = 0
		}
		if err != nil || status != fetchDone || got == 0 {
			if status == fetchEvicted {
				n.Evicted.Add(1)
				n.log.Warn("cluster: effects to catch up are no longer retained by the peer; a state transfer is needed", "origin", fmt.Sprintf("%016x", uint64(req.Origin)), "from", from)
				n.wantTransfer(m, "effects to catch up are no longer retained", "origin", fmt.Sprintf("%016x", uint64(req.Origin)), "from", from)
			}
			return
		}
	}
}

func (n *Node) fetchOnce(conn *quic.Conn, req fetchReq) (int, int, error) {
	ctx, cancel := context.WithTimeout(n.ctx, 10*time.Second)
	defer cancel()
	s, err := conn.OpenStreamSync(ctx)
	if err != nil {
		return 0, 0, err
	}
	defer s.CancelRead(0)
	s.SetDeadline(time.Now().Add(10 * time.Second))
	w := bufio.NewWriter(s)
	m, _ := writeFrame(w, frameFetch, req.encode())
	if err := w.Flush(); err != nil {
		return 0, 0, err
	}
	n.BytesSent.Add(int64(m))
	s.Close()
	r := bufio.NewReaderSize(s, 64<<10)
	var buf []byte
	got := 0
	for {
		typ, payload, b, err := readFrame(r, buf)
		buf = b
		if err != nil {
			return got, 0, err
		}
		n.BytesReceived.Add(int64(len(payload) + 9))
		switch typ {
		case frameEffect:
			e, _, err := effect.Decode(payload)
			if err != nil || e.ID.Node != req.Origin {
				return got, 0, errMsg
			}
			n.eng.Apply(&e)
			got++
			n.Fetched.Add(1)
		case frameFetchEnd:
			if got > 0 && n.cfg.OnRemote != nil {
				n.cfg.OnRemote()
			}
			mm := msg{b: payload}
			st := int(mm.getU())
			return got, st, nil
		}
	}
}

func (n *Node) serveFetch(s *quic.Stream, req fetchReq) {
	w := bufio.NewWriterSize(s, 64<<10)
	seq := req.From
	status := fetchDone
	var recs [][]byte
	for seq <= req.To {
		var evicted bool
		have := n.eng.AppliedOf(req.Origin)
		recs, evicted = n.ret.Range(req.Origin, seq, int(min(1024, req.To-seq+1)), 1<<20, recs[:0])
		if len(recs) == 0 && seq <= have {
			evicted = true // applied before a restart and not in the recovered log tail
		}
		if evicted {
			status = fetchEvicted
			break
		}
		if len(recs) == 0 {
			break
		}
		for _, r := range recs {
			m, err := writeFrame(w, frameEffect, r)
			if err != nil {
				return
			}
			n.BytesSent.Add(int64(m))
		}
		seq += uint64(len(recs))
		clear(recs)
	}
	var m msg
	m.u(uint64(status))
	m.u(seq)
	k, _ := writeFrame(w, frameFetchEnd, m.b)
	n.BytesSent.Add(int64(k))
	w.Flush()
}

// learn merges gossiped members: new ones become engine members and get
// dialed; retired ones stop counting for stability.
func (n *Node) learn(ms []Member) {
	var retired []Member
	self := false
	n.mu.Lock()
	for _, x := range ms {
		if x.ID == 0 {
			continue
		}
		if x.ID == n.self {
			self = self || x.Retired
			continue
		}
		cur := n.members[x.ID]
		switch {
		case x.Retired:
			if cur == nil || !cur.Retired {
				addr := x.Addr
				if addr == "" && cur != nil {
					addr = cur.Addr
				}
				m := &Member{ID: x.ID, Addr: addr, Retired: true}
				n.members[x.ID] = m
				n.eng.RemoveMember(x.ID)
				n.log.Info("cluster: member retired", "node", fmt.Sprintf("%016x", uint64(x.ID)))
				retired = append(retired, *m)
			}
		case cur == nil:
			n.members[x.ID] = &Member{ID: x.ID, Addr: x.Addr}
			n.eng.AddMember(x.ID)
			n.log.Info("cluster: member joined", "node", fmt.Sprintf("%016x", uint64(x.ID)), "addr", x.Addr)
			n.dialLocked(x.Addr)
		case cur.Addr == "" && x.Addr != "" && !cur.Retired:
			cur.Addr = x.Addr
			n.dialLocked(x.Addr)
		}
	}
	n.mu.Unlock()
	if self {
		n.learnedSelfRetired()
	}
	if n.cfg.OnRetire != nil {
		for _, m := range retired {
			n.cfg.OnRetire(m)
		}
	}
}

func (n *Node) memberList() []Member {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := make([]Member, 0, len(n.members))
	for _, m := range n.members {
		out = append(out, *m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Members lists every known member (this node included), sorted by id.
func (n *Node) Members() []Member { return n.memberList() }

// background: observing frontiers, folding stable history, re-resolving seeds.
func (n *Node) background() {
	defer n.wg.Done()
	t := time.NewTicker(n.cfg.Heartbeat)
	defer t.Stop()
	lastCompact, lastResolve := time.Now(), time.Time{}
	for {
		select {
		case <-n.ctx.Done():
			return
		case <-t.C:
		}
		n.tryObserve()
		n.antiEntropy()
		if n.cfg.Resolve != nil && time.Since(lastResolve) > 5*time.Second {
			lastResolve = time.Now()
			addrs := n.cfg.Resolve()
			n.mu.Lock()
			for _, a := range addrs {
				n.dialLocked(a)
			}
			n.mu.Unlock()
		}
		if time.Since(lastCompact) >= n.cfg.CompactEvery && n.canCompact() {
			lastCompact = time.Now()
			n.Folded.Add(int64(n.eng.CompactFast()))
			n.trimStable()
		}
	}
}

// canCompact: stability is judged against the members known, so fold only
// once every seed address has told us who it is (a member we have never
// heard of could hold effects concurrent with what we would fold).
func (n *Node) canCompact() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, p := range n.dialers {
		p.mu.Lock()
		ok := p.ever || p.state == "self" || p.state == "duplicate" || n.retiredAddrLocked(p.addr)
		p.mu.Unlock()
		if !ok {
			return false
		}
	}
	return true
}

// Synced reports whether this node has applied everything every linked
// peer reported having applied when the link came up or since.
func (n *Node) Synced() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, in := range n.inbound {
		for _, id := range in.frontier {
			if id.Node != n.self && n.eng.AppliedOf(id.Node) < id.Seq {
				return false
			}
		}
	}
	return true
}

// WaitSynced waits, at most timeout, until the seeds reachable within
// reach have linked and this node has caught up with them.
func (n *Node) WaitSynced(reach, timeout time.Duration) bool {
	start := time.Now()
	for time.Since(start) < timeout {
		n.mu.Lock()
		linked, total := 0, 0
		for _, p := range n.dialers {
			p.mu.Lock()
			if p.state != "self" && p.state != "duplicate" {
				total++
				if p.ever {
					linked++
				}
			}
			p.mu.Unlock()
		}
		n.mu.Unlock()
		if (linked == total || time.Since(start) > reach) && n.Synced() {
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return false
}

// Links describes every outbound link.
func (n *Node) Links() []Link {
	own := n.eng.AppliedOf(n.self)
	n.mu.Lock()
	ps := make([]*peer, 0, len(n.dialers))
	for _, p := range n.dialers {
		ps = append(ps, p)
	}
	n.mu.Unlock()
	sort.Slice(ps, func(i, j int) bool { return ps[i].addr < ps[j].addr })
	out := make([]Link, 0, len(ps))
	for _, p := range ps {
		p.mu.Lock()
		l := Link{Addr: p.addr, Node: p.node, State: p.state, BytesSent: p.bytesSent.Load(), Err: p.lastEr}
		if p.conn != nil {
			l.RTT = p.conn.ConnectionStats().SmoothedRTT
		}
		p.mu.Unlock()
		n.mu.Lock()
		if in := n.inbound[l.Node]; in != nil && l.Node != 0 {
			if acked := effect.FrontierOf(in.frontier, n.self); acked < own {
				l.Lag = own - acked
			}
			if !in.at.IsZero() {
				l.LastHeard = time.Since(in.at)
			}
		}
		n.mu.Unlock()
		out = append(out, l)
	}
	return out
}

// RetainedBytes is the memory held by retained effects.
func (n *Node) RetainedBytes() int { return n.ret.Bytes() }
