// Package server runs the network side of a node: listeners, one goroutine per
// connection, RESP parsing and replies, dispatch through the command table
// with arity, authentication and statistics, and the connection and server
// commands (HELLO, AUTH, CLIENT, CONFIG, INFO, COMMAND, DEBUG, ...).
package server

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lightconedb/lightcone/internal/commands"
	"github.com/lightconedb/lightcone/internal/effect"
	"github.com/lightconedb/lightcone/internal/engine"
	"github.com/lightconedb/lightcone/internal/resp"
)

// Version is Lightcone's version; RedisVersion the Redis version whose
// behaviour it reproduces (reported where clients look for it).
const (
	Version      = "0.1.0"
	RedisVersion = "7.0.15"
)

// Server is one node.
type Server struct {
	Settings *Settings
	Log      *slog.Logger
	Eng      *engine.Engine
	Table    *commands.Table
	NodeID   effect.NodeID
	RunID    string
	Started  time.Time

	mu        sync.Mutex
	listeners []net.Listener
	clients   map[int64]*client
	nextID    atomic.Int64
	closing   atomic.Bool
	wg        sync.WaitGroup
	done      chan struct{}
	stopped   chan struct{}

	Stats Stats

	clock   cheapClock
	loops   []*loop
	noLoops bool // serve every connection with a goroutine (LIGHTCONE_NO_EVENT_LOOP)
	// the Prometheus endpoint (metrics.go), when metrics-addr is set
	metricsLn  net.Listener
	metricsSrv *http.Server
	admin      adminState // INFO samples, DEBUG switches (infocmd.go)
	mem        memState   // maxmemory (maxmemory.go)
	blocks     blockRegistry
	gate       gate
	watches    watchRegistry
	slow       slowLog
	lat        latencyMonitor
	pause      pauseState
	acl        aclState
	pausing    atomic.Bool // a CLIENT PAUSE may be in force (fast path)
	// scripting: EVAL scripts, functions, the running script (script.go)
	scripting scripting
	cl        clusterState // cluster.go

	// pub/sub, keyspace notifications, tracking, MONITOR (pubsub*.go,
	// notify.go, tracking.go, monitor.go)
	pubsub       pubsubRegistry
	tracking     trackingRegistry
	monitors     monitorRegistry
	monitorCount atomic.Int32
	origin       atomic.Pointer[client] // the client running alone whose writes these are
	notifyFlags  atomic.Uint32          // notify-keyspace-events
	pubsubLimit  [3]atomic.Int64        // client-output-buffer-limit pubsub: hard, soft, seconds
	heldMu       sync.Mutex
	held         map[*effect.Effect]heldEvents // RENAME/MOVE events awaiting the source's (notify.go)
	dur          durable                       // effect log and snapshots (persist.go)
}

// Stats are INFO's counters.
type Stats struct {
	Connections         atomic.Int64
	RejectedConnections atomic.Int64
	Commands            commands.Counter // sharded by event loop (client.slot)
	WritesHeld          atomic.Int64     // writes that waited for lagging peers (cluster back-pressure)
	NetInput            commands.Counter
	NetOutput           commands.Counter
	ErrorReplies        atomic.Int64
	errMu               sync.Mutex
	ErrorCounts         map[string]int64
	UnexpectedErrors    atomic.Int64
	EvictedKeys         atomic.Int64 // keys removed by maxmemory's eviction (maxmemory.go)
	resetAt             atomic.Int64
}

// New builds a node from settings: it makes the data directory, loads or
// creates the node identity, and sets up the engine and command table.
func New(set *Settings, log *slog.Logger) (*Server, error) {
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	dir := set.Get("dir")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("data directory %s: %w", dir, err)
	}
	if abs, err := filepath.Abs(dir); err == nil {
		set.Set("dir", abs)
		dir = abs
	}
	// A node keeps its identity across restarts, cluster member or not: its
	// effect log and snapshots carry its history on, and a cluster node
	// reclaims from its peers any of its own effects the log lost
	// (StartCluster). A retired-<id> directory left by an older version
	// (which took a new NodeID at every start) is left alone.
	_, statErr := os.Stat(filepath.Join(dir, "node-id"))
	node, err := loadNodeID(dir)
	if err != nil {
		return nil, err
	}
	var rid [20]byte
	rand.Read(rid[:])
	s := &Server{
		Settings: set,
		Log:      log,
		NodeID:   node,
		RunID:    hex.EncodeToString(rid[:]),
		Started:  time.Now(),
		clients:  map[int64]*client{},
		done:     make(chan struct{}),
		stopped:  make(chan struct{}),
	}
	s.Stats.ErrorCounts = map[string]int64{}
	s.clock.resync()
	s.noLoops = os.Getenv("LIGHTCONE_NO_EVENT_LOOP") != ""
	if err := s.openStore(); err != nil {
		return nil, err
	}
	s.Eng = engine.New(engine.Config{Node: node, Databases: int(set.Int("databases")), Sink: s.dur.store})
	s.applyLFU() // before recovery: the keys it loads are born with the policy's clock
	if clusterEnabled(set) {
		s.Eng.EnableCluster()
		s.cl.fresh = errors.Is(statErr, os.ErrNotExist)
	}
	s.blocks.init()
	s.initObservability()
	s.watches.keys = map[blockKey][]*client{}
	s.gate.init(0) // resized by startLoops before any client exists
	s.Eng.SetHook(func(db int, key []byte, e *effect.Effect, existed, exists bool) {
		s.keyTouched(db, key, e)
		s.touchWatched(db, key, e, !existed && exists)
		s.keyspaceChanged(db, key, e, existed, exists)
	})
	s.Table = commands.NewTable()
	commands.RegisterAll(s.Table)
	commands.SetProtoMaxBulkLen(set.Int("proto-max-bulk-len"))
	s.registerServerCommands()
	s.applyEncLimits()
	if err := s.initACL(); err != nil {
		return nil, fmt.Errorf("ACL: %w", err)
	}
	s.initPush()
	if err := s.recoverStore(); err != nil {
		return nil, err
	}
	return s, nil
}

// loadNodeID reads the node's identity from dir, creating it the first time.
func loadNodeID(dir string) (effect.NodeID, error) {
	path := filepath.Join(dir, "node-id")
	b, err := os.ReadFile(path)
	if err == nil {
		v, perr := strconv.ParseUint(strings.TrimSpace(string(b)), 16, 64)
		if perr != nil || v == 0 {
			return 0, fmt.Errorf("%s is corrupt (want 16 hex digits): remove it to make this node a new member", path)
		}
		return effect.NodeID(v), nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return 0, err
	}
	var raw [8]byte
	var id uint64
	for id == 0 {
		rand.Read(raw[:])
		id = binary.BigEndian.Uint64(raw[:])
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(fmt.Sprintf("%016x\n", id)), 0o644); err != nil {
		return 0, err
	}
	if err := os.Rename(tmp, path); err != nil {
		return 0, err
	}
	return effect.NodeID(id), nil
}

// Listen opens the configured listeners (TCP on every bind address unless
// port is 0, and the Unix socket if set).
func (s *Server) Listen() (err error) {
	defer func() {
		if err != nil {
			s.releaseStore() // this node will not serve: free the data directory
		}
	}()
	port := s.Settings.Int("port")
	binds := strings.Fields(s.Settings.Get("bind"))
	if len(binds) == 0 {
		binds = []string{"*"}
	}
	if port != 0 {
		for _, b := range binds {
			optional := strings.HasPrefix(b, "-")
			b = strings.TrimPrefix(b, "-")
			host := b
			if b == "*" {
				host = ""
			}
			ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.FormatInt(port, 10)))
			if err != nil {
				if optional {
					s.Log.Debug("optional bind address unavailable", "addr", b, "err", err)
					continue
				}
				s.closeListeners()
				return fmt.Errorf("listen on %s port %d: %w", b, port, err)
			}
			s.listeners = append(s.listeners, ln)
		}
	}
	if err := s.listenTLS(binds); err != nil {
		s.closeListeners()
		return err
	}
	if path := s.Settings.Get("unixsocket"); path != "" {
		os.Remove(path)
		ln, err := net.Listen("unix", path)
		if err != nil {
			s.closeListeners()
			return fmt.Errorf("listen on unix socket %s: %w", path, err)
		}
		if perm, _ := strconv.ParseInt(s.Settings.Get("unixsocketperm"), 8, 32); perm != 0 {
			os.Chmod(path, os.FileMode(perm))
		}
		s.listeners = append(s.listeners, ln)
	}
	if len(s.listeners) == 0 {
		return errors.New("no listener: set --port, --tls-port or --unixsocket")
	}
	if err := s.listenMetrics(); err != nil {
		s.closeListeners()
		return err
	}
	return nil
}

// Addrs lists the listening addresses.
func (s *Server) Addrs() []net.Addr {
	s.mu.Lock() // CONFIG SET port/bind replace listeners
	defer s.mu.Unlock()
	var out []net.Addr
	for _, ln := range s.listeners {
		out = append(out, ln.Addr())
	}
	return out
}

func (s *Server) closeListeners() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ln := range s.listeners {
		ln.Close()
	}
}

// Serve accepts connections until Shutdown. It starts the background cycle.
func (s *Server) Serve() error {
	if !s.noLoops {
		// a loop per core: measured on two cores against one loop (which
		// leaves a core to the runtime), pipelined clients gain 5-15 % (SET,
		// GET, INCR, MSET and EVALSHA at -P 16), unpipelined ones move
		// within noise either way (bench/compare.sh, bench/ops.sh)
		n := max(1, runtime.GOMAXPROCS(0))
		if v, err := strconv.Atoi(os.Getenv("LIGHTCONE_EVENT_LOOPS")); err == nil && v > 0 {
			n = v
		}
		s.gate.init(n) // a read slot per loop, plus one shared
		if err := s.startLoops(n); err != nil {
			if s.closing.Load() {
				return nil // shut down before it served
			}
			s.Log.Warn("event loops unavailable, serving with goroutines", "err", err)
			s.noLoops = true
		}
	}
	s.mu.Lock() // not after Shutdown began waiting for the background work
	if s.closing.Load() {
		s.mu.Unlock()
		return nil
	}
	s.wg.Add(1)
	s.mu.Unlock()
	go s.cron()
	s.serveMetrics()
	var wg sync.WaitGroup
	for _, ln := range s.listeners {
		wg.Add(1)
		go func(ln net.Listener) {
			defer wg.Done()
			s.acceptLoop(ln)
		}(ln)
	}
	wg.Wait()
	<-s.stopped
	return nil
}

func (s *Server) acceptLoop(ln net.Listener) {
	for {
		conn, err := ln.Accept()
		if err != nil {
			if s.closing.Load() {
				return
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				time.Sleep(5 * time.Millisecond)
				continue
			}
			if errors.Is(err, net.ErrClosed) {
				return
			}
			s.Log.Warn("accept failed", "err", err)
			time.Sleep(5 * time.Millisecond)
			continue
		}
		s.Stats.Connections.Add(1)
		s.mu.Lock()
		n := len(s.clients)
		s.mu.Unlock()
		if int64(n) >= s.Settings.Int("maxclients") {
			s.Stats.RejectedConnections.Add(1)
			conn.Write([]byte("-ERR max number of clients reached\r\n"))
			conn.Close()
			continue
		}
		if tc, ok := conn.(*net.TCPConn); ok {
			tc.SetNoDelay(true)
			tc.SetKeepAlive(true)
			tc.SetKeepAlivePeriod(300 * time.Second)
		}
		if s.adopt(conn) {
			continue
		}
		c := s.newClient(conn, -1)
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			c.serve()
		}()
	}
}

// cron runs background work at hz: active expiry, idle-client timeouts.
func (s *Server) cron() {
	defer s.wg.Done()
	for {
		hz := s.Settings.Int("hz")
		if hz <= 0 {
			hz = 10
		}
		select {
		case <-s.done:
			return
		case <-time.After(time.Second / time.Duration(hz)):
		}
		s.clock.resync() // follows a step of the system clock
		// Redis: 25% of a cycle's time at most on active expiry.
		s.Eng.Tick(time.Now().UnixMilli()) // background work judges expiry by now, not the last command
		// DEBUG SET-ACTIVE-EXPIRE 0; none while a state transfer installs
		if !s.admin.noActiveExpire.Load() && !s.cl.loading.Load() {
			s.gate.enter(s.gate.misc())
			s.Eng.ActiveExpire(time.Second / time.Duration(hz) / 4)
			s.tracking.flushBroadcasts(s)
			s.gate.leave(s.gate.misc())
		}
		s.sampleStats()
		s.mem.check(s, false)
		s.persistCron()
		if t := s.Settings.Int("timeout"); t > 0 {
			s.closeIdle(time.Duration(t) * time.Second)
		}
	}
}

func (s *Server) closeIdle(limit time.Duration) {
	now := time.Now().UnixNano()
	s.mu.Lock()
	var idle []*client
	for _, c := range s.clients {
		if time.Duration(now-c.lastInteraction.Load()) > limit {
			idle = append(idle, c)
		}
	}
	s.mu.Unlock()
	for _, c := range idle {
		c.kill()
	}
}

// Shutdown stops listening, closes every client and waits for them.
func (s *Server) Shutdown() {
	if !s.closing.CompareAndSwap(false, true) {
		return
	}
	close(s.done)
	s.stopScripts() // a busy script would keep its event loop forever
	s.closeListeners()
	s.closeMetrics()
	s.mu.Lock()
	for _, c := range s.clients {
		c.kill()
	}
	s.mu.Unlock()
	s.wakeLoops()
	s.wg.Wait()
	s.closeStore()
	if path := s.Settings.Get("unixsocket"); path != "" {
		os.Remove(path)
	}
	close(s.stopped)
}

// Clients returns a snapshot of connected clients sorted by id.
func (s *Server) clientList() []*client {
	s.mu.Lock()
	out := make([]*client, 0, len(s.clients))
	for _, c := range s.clients {
		out = append(out, c)
	}
	s.mu.Unlock()
	sortClients(out)
	return out
}

// recordError counts an error reply by its first word for INFO errorstats.
func (s *Server) recordError(tag string) {
	s.Stats.ErrorReplies.Add(1)
	s.Stats.errMu.Lock()
	if len(s.Stats.ErrorCounts) < 128 || s.Stats.ErrorCounts[tag] > 0 {
		s.Stats.ErrorCounts[tag]++
	}
	s.Stats.errMu.Unlock()
}

var _ = resp.DefaultLimits
