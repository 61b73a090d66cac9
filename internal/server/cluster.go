package server

import (
	"fmt"
	"net"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/lightconedb/lightcone/internal/cluster"
	"github.com/lightconedb/lightcone/internal/commands"
	"github.com/lightconedb/lightcone/internal/effect"
	"github.com/lightconedb/lightcone/internal/wal"
)

// Cluster options. Without a passphrase the node is standalone and none of
// this runs.
func init() {
	Params = append(Params,
		&Param{Name: "cluster-passphrase", Kind: KindString, Default: "", Help: "shared secret of the cluster (lightcone gen-passphrase); empty = standalone node"},
		&Param{Name: "peers", Kind: KindString, Default: "", Help: "cluster seeds: host:port of other nodes' cluster ports, comma separated"},
		&Param{Name: "join", Kind: KindString, Default: "", Help: "DNS name of the cluster's seeds: SRV records first, else A/AAAA records with the cluster port"},
		&Param{Name: "cluster-port", Kind: KindInt, Default: "0", Min: 0, Max: 65535, Help: "UDP port of cluster traffic (QUIC); 0 = port + 10000"},
		&Param{Name: "cluster-advertise", Kind: KindString, Default: "", Help: "host:port other nodes reach this node's cluster port at (default: the first bind address, or this host's address)"},
	)
}

// clusterState is the server's side of the cluster.
type clusterState struct {
	node    *cluster.Node
	started time.Time
	fresh   bool                           // the NodeID was made at this start: no peer holds its effects
	held    map[effect.NodeID][]heldEvents // peers' RENAME/MOVE destination events awaiting the source's (s.heldMu; pubsub_cluster.go)
	loading atomic.Bool                    // a state transfer is being received and installed: commands get -LOADING (xfer.go)
}

// How long a restarting cluster node waits for its seeds' frontiers (reach)
// and to take back its own effects from them (limit) before serving.
var (
	reclaimReach = 3 * time.Second
	reclaimLimit = 10 * time.Second
)

// preloadRetained hands the cluster the recovered log's tail (at most
// preloadBytes of the newest segments), so that after a restart peers can
// still stream or fetch the effects it holds.
func (s *Server) preloadRetained(retain func(e *effect.Effect)) {
	if s.dur.store == nil {
		return
	}
	dir := s.dur.store.LogDir()
	segs, err := wal.ListSegments(dir)
	if err != nil || len(segs) == 0 {
		return
	}
	i := len(segs) - 1
	size := segs[i].Size
	for i > 0 && size+segs[i-1].Size <= preloadBytes {
		i--
		size += segs[i].Size
	}
	count := 0
	_, err = wal.ReadLog(dir, segs[i].Start, func(_ uint64, e *effect.Effect) error {
		retain(e)
		count++
		return nil
	})
	if err != nil {
		s.Log.Warn("cluster: reading the log tail to retain for peers", "err", err)
	}
	if count > 0 {
		s.Log.Info("cluster: retained the recovered log tail for peers", "effects", count, "bytes", size)
	}
}

var preloadBytes int64 = 256 << 20

// clusterEnabled reports whether the settings ask for a cluster node.
func clusterEnabled(set *Settings) bool { return set.Get("cluster-passphrase") != "" }

func (s *Server) clusterPort() int64 {
	if p := s.Settings.Int("cluster-port"); p != 0 {
		return p
	}
	return s.Settings.Int("port") + 10000
}

// advertise picks the address peers should dial.
func (s *Server) advertise(port int64) string {
	if a := s.Settings.Get("cluster-advertise"); a != "" {
		if _, _, err := net.SplitHostPort(a); err != nil {
			return net.JoinHostPort(a, strconv.FormatInt(port, 10))
		}
		return a
	}
	for _, b := range strings.Fields(s.Settings.Get("bind")) {
		b = strings.TrimPrefix(b, "-")
		if ip := net.ParseIP(b); ip != nil && !ip.IsUnspecified() {
			return net.JoinHostPort(b, strconv.FormatInt(port, 10))
		}
	}
	if addrs, err := net.InterfaceAddrs(); err == nil {
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok && !ipn.IP.IsLoopback() && ipn.IP.To4() != nil {
				return net.JoinHostPort(ipn.IP.String(), strconv.FormatInt(port, 10))
			}
		}
	}
	return net.JoinHostPort("127.0.0.1", strconv.FormatInt(port, 10))
}

// resolveJoin finds seeds by DNS: SRV records of name first, else its
// A/AAAA records with the cluster port.
func resolveJoin(name string, port int64) []string {
	var out []string
	if _, srvs, err := net.LookupSRV("", "", name); err == nil && len(srvs) > 0 {
		for _, r := range srvs {
			out = append(out, net.JoinHostPort(strings.TrimSuffix(r.Target, "."), strconv.Itoa(int(r.Port))))
		}
		return out
	}
	ips, err := net.LookupHost(name)
	if err != nil {
		return nil
	}
	for _, ip := range ips {
		out = append(out, net.JoinHostPort(ip, strconv.FormatInt(port, 10)))
	}
	sort.Strings(out)
	return out
}

func splitPeers(v string) []string {
	var out []string
	for _, p := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' }) {
		out = append(out, p)
	}
	return out
}

// StartCluster joins the cluster when a passphrase is set (it does nothing
// otherwise): it opens the cluster port, links to the seeds, and waits a
// little for the node to catch up with them before clients are served.
func (s *Server) StartCluster() error {
	if !clusterEnabled(s.Settings) {
		return nil
	}
	pass := s.Settings.Get("cluster-passphrase")
	ident, err := cluster.NewIdentity(pass, s.NodeID)
	if err != nil {
		return err
	}
	port := s.clusterPort()
	adv := s.advertise(port)
	host := ""
	if h, _, err := net.SplitHostPort(adv); err == nil {
		if ip := net.ParseIP(h); ip != nil && ip.IsLoopback() {
			host = h
		}
	}
	pc, err := net.ListenPacket("udp", net.JoinHostPort(host, strconv.FormatInt(port, 10)))
	if err != nil {
		return fmt.Errorf("cluster port %d: %w", port, err)
	}
	var conn net.PacketConn = pc
	if spec := os.Getenv("LIGHTCONE_CLUSTER_FAULTS"); spec != "" {
		fc, err := faultConn(pc, spec)
		if err != nil {
			pc.Close()
			return err
		}
		s.Log.Warn("cluster: fault injection enabled (testing only)", "faults", spec)
		conn = fc
	}
	var retainStable time.Duration
	if v := os.Getenv("LIGHTCONE_RETAIN_STABLE"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			pc.Close()
			return fmt.Errorf("LIGHTCONE_RETAIN_STABLE %q: want a positive duration", v)
		}
		s.Log.Warn("cluster: stable effects leave the retained windows after LIGHTCONE_RETAIN_STABLE (testing only)", "retain_stable", d)
		retainStable = d
	}
	var retainBytes int
	if v := os.Getenv("LIGHTCONE_RETAIN_BYTES"); v != "" {
		b, err := strconv.Atoi(v)
		if err != nil || b <= 0 {
			pc.Close()
			return fmt.Errorf("LIGHTCONE_RETAIN_BYTES %q: want a positive number of bytes", v)
		}
		s.Log.Warn("cluster: retained effects per origin bounded by LIGHTCONE_RETAIN_BYTES (testing only)", "bytes", b)
		retainBytes = b
	}
	peers := splitPeers(s.Settings.Get("peers"))
	var resolve func() []string
	if name := s.Settings.Get("join"); name != "" {
		resolve = func() []string { return resolveJoin(name, port) }
		peers = append(peers, resolve()...)
	}
	forgotten, err := loadForgotten(s.Settings.Get("dir"))
	if err != nil {
		pc.Close()
		return err
	}
	n, err := cluster.Start(cluster.Config{
		Engine:    s.Eng,
		Identity:  ident,
		Conn:      conn,
		Advertise: adv,
		Peers:     peers,
		Log:       s.Log,
		Resolve:   resolve,
		OnRemote:  s.remoteApplied,
		OnMessage: s.remoteMessage, // pubsub_cluster.go
		Preload:   s.preloadRetained,
		Attach:    func(n *cluster.Node) { s.Eng.SetSink(n) }, // before any effect arrives
		Forgotten: forgotten,
		OnRetire:  s.rememberForgotten, // forget.go
		// state transfer (xfer.go)
		Snapshot:     s.snapshotForPeer,
		Install:      s.installTransfer,
		Loading:      s.transferLoading,
		XferDir:      s.dur.store.SnapshotDir(),
		RetainStable: retainStable,
		RetainBytes:  retainBytes,
	})
	if err != nil {
		pc.Close()
		return err
	}
	s.serveMembersKey()
	s.cl.node = n
	s.cl.started = time.Now()
	go func() {
		<-s.done
		n.Close()
	}()
	s.Log.Info("cluster: node started", "node", fmt.Sprintf("%016x", uint64(s.NodeID)), "advertise", adv, "ca", ident.CA.Fingerprint(), "seeds", strings.Join(peers, ","))
	// before this node stamps an effect, take back its own effects that
	// peers hold beyond what its log recovered (a NodeID made at this start
	// has none anywhere)
	reach, limit := reclaimReach, reclaimLimit
	if s.cl.fresh || len(peers) == 0 {
		reach, limit = 0, 0
	}
	rc := n.Reclaim(reach, limit)
	if rc.After > rc.Before {
		s.Log.Warn("cluster: took back this node's own effects from peers (handed out before the crash, lost from its log)",
			"from", rc.Before+1, "to", rc.After)
	}
	if len(rc.Unheard) > 0 && limit > 0 {
		s.Log.Error("cluster: SERVING WITHOUT HEARING FROM SOME SEEDS: if one of them holds effects of this node that its log lost, this node will stamp their Seqs again and that peer will drop the new effects",
			"seeds", strings.Join(rc.Unheard, ","), "own_seq", rc.After)
	}
	if len(rc.Behind) > 0 {
		s.Log.Error("cluster: SERVING BEFORE TAKING BACK ALL OF THIS NODE'S EFFECTS FROM PEERS: their Seqs will be stamped again",
			"peers", strings.Join(rc.Behind, ","), "own_seq", rc.After)
	}
	if len(peers) > 0 && !n.WaitSynced(2*time.Second, 10*time.Second) {
		s.Log.Warn("cluster: serving before catching up with every seed")
	}
	return nil
}

// Cluster is the cluster node, nil when standalone.
func (s *Server) Cluster() *cluster.Node { return s.cl.node }

func init() {
	for i := range infoSections {
		if infoSections[i].name == "cluster" {
			base := infoSections[i].gen
			infoSections[i].gen = func(s *Server, b *infoBuf) {
				base(s, b)
				s.infoClusterLinks(b)
			}
		}
	}
}

// infoClusterLinks adds the cluster's state to INFO's # Cluster section.
func (s *Server) infoClusterLinks(b *infoBuf) {
	n := s.cl.node
	if n == nil {
		b.kv("lightcone_cluster", "standalone")
		return
	}
	b.kv("lightcone_cluster", "enabled")
	ms := n.Members()
	live := 0
	var list, gone []string
	for _, m := range ms {
		if !m.Retired {
			live++
			list = append(list, fmt.Sprintf("%016x@%s", uint64(m.ID), m.Addr))
		} else {
			gone = append(gone, fmt.Sprintf("%016x", uint64(m.ID)))
		}
	}
	b.kv("lightcone_members", live)
	b.kv("lightcone_member_list", strings.Join(list, ","))
	b.kv("lightcone_members_forgotten", strings.Join(gone, ","))
	b.kv("lightcone_forgotten_by_cluster", boolInt(n.Removed()))
	var fr []string
	for _, id := range s.Eng.Frontier() {
		fr = append(fr, fmt.Sprintf("%016x:%d", uint64(id.Node), id.Seq))
	}
	b.kv("lightcone_frontier", strings.Join(fr, ","))
	b.kv("lightcone_live_effects", s.Eng.LiveEffects())
	b.kv("lightcone_retained_bytes", n.RetainedBytes())
	b.kv("lightcone_cluster_bytes_sent", n.BytesSent.Load())
	b.kv("lightcone_cluster_bytes_received", n.BytesReceived.Load())
	b.kv("lightcone_effects_streamed", n.EffectsSent.Load())
	b.kv("lightcone_effects_received", n.EffectsRecv.Load())
	b.kv("lightcone_effects_fetched", n.Fetched.Load())
	b.kv("lightcone_effects_folded", n.Folded.Load())
	b.kv("lightcone_peers_refused", n.Refused.Load())
	b.kv("lightcone_catchup_impossible", n.Evicted.Load())
	xs := n.Transfers()
	b.kv("lightcone_state_transfer_in_progress", boolInt(n.TransferRunning()))
	b.kv("lightcone_state_transfers", xs.Installed.Load())
	b.kv("lightcone_state_transfers_served", xs.Served.Load())
	b.kv("lightcone_state_transfers_failed", xs.Failed.Load())
	b.kv("lightcone_state_transfer_last_bytes", xs.LastBytes.Load())
	ae := n.AntiEntropy()
	b.kv("lightcone_digest_comparisons", ae.Compared.Load())
	b.kv("lightcone_divergent_ranges", ae.Divergent.Load())
	b.kv("lightcone_divergence_repairs", ae.Repairs.Load())
	b.kv("lightcone_writes_held", s.Stats.WritesHeld.Load())
	b.kv("lightcone_peers_behind", boolInt(n.Behind()))
	b.kv("lightcone_effects_reclaimed", n.Reclaimed.Load())
	b.kv("lightcone_seq_reuse_detected", n.SeqReuse.Load())
	b.kv("lightcone_messages_forwarded", n.Msgs.Sent.Load())
	b.kv("lightcone_messages_received", n.Msgs.Received.Load())
	b.kv("lightcone_messages_dropped", n.Msgs.Dropped.Load())
	for i, l := range n.Links() {
		node := ""
		if l.Node != 0 {
			node = fmt.Sprintf("%016x", uint64(l.Node))
		}
		b.kv("lightcone_peer"+strconv.Itoa(i), fmt.Sprintf("addr=%s,node=%s,state=%s,rtt_us=%d,lag=%d,bytes_sent=%d,last_heard_ms=%d",
			l.Addr, node, l.State, l.RTT.Microseconds(), l.Lag, l.BytesSent, l.LastHeard.Milliseconds()))
	}
}

// faultConn wraps the cluster socket in the test fault layer, from
// LIGHTCONE_CLUSTER_FAULTS: comma-separated drop=P, dup=P, delay=DURATION,
// jitter=DURATION, seed=N (for the multi-process tests and measurements).
func faultConn(pc net.PacketConn, spec string) (*cluster.FaultConn, error) {
	var f cluster.Faults
	seed := int64(1)
	for _, kv := range strings.Split(spec, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(kv), "=")
		var err error
		switch k {
		case "drop":
			f.Drop, err = strconv.ParseFloat(v, 64)
		case "dup":
			f.Duplicate, err = strconv.ParseFloat(v, 64)
		case "delay":
			f.Delay, err = time.ParseDuration(v)
		case "jitter":
			f.Jitter, err = time.ParseDuration(v)
		case "seed":
			seed, err = strconv.ParseInt(v, 10, 64)
		default:
			err = fmt.Errorf("unknown fault %q", k)
		}
		if err != nil {
			return nil, fmt.Errorf("LIGHTCONE_CLUSTER_FAULTS: %v", err)
		}
	}
	fc := cluster.NewFaultConn(pc, seed)
	fc.SetFaults(f)
	return fc, nil
}

// holdWrites is the cluster's back-pressure on local writes: while a
// connected peer lags too far behind this node's effects (cluster.Node
// Behind), a write command waits — at most writeHold, so that a peer that
// is connected but stuck slows writes down without stopping them. The loop
// calls it between commands, after leaving the gate: it holds no lock.
func (s *Server) holdWrites(cl *cluster.Node, args [][]byte) {
	cmd := s.Table.Lookup(args[0])
	if cmd == nil || !(cmd.IsWrite() || cmd.HasFlag("may_replicate") || cmd.Name == "exec") {
		return
	}
	s.Stats.WritesHeld.Add(1)
	for deadline := time.Now().Add(writeHold); cl.Behind() && time.Now().Before(deadline); {
		time.Sleep(200 * time.Microsecond)
	}
}

// writeHold bounds how long one write waits for lagging peers.
var writeHold = 20 * time.Millisecond

// remoteApplied serves clients blocked on keys that remote effects wrote
// (BLPOP on B wakes for LPUSH on A), like the end of a local command does.
func (s *Server) remoteApplied() {
	if s.blocks.pending.Load() == 0 {
		return
	}
	s.gate.enter(s.gate.misc())
	s.serveReady()
	s.gate.leave(s.gate.misc())
}

// MembersKey is the read-only key that lists the cluster's members.
const MembersKey = "__lightcone:members"

// serveMembersKey makes HGETALL __lightcone:members answer the membership:
// field = NodeID (16 hex digits), value = cluster address, for every live
// member (this node included). The key is virtual: it is not in the
// keyspace, only HGETALL knows it.
func (s *Server) serveMembersKey() {
	cmd := s.Table.Lookup([]byte("hgetall"))
	if cmd == nil {
		return
	}
	orig := cmd.Handler
	cmd.Handler = func(c *commands.Ctx) {
		if len(c.Args) != 2 || string(c.Args[1]) != MembersKey {
			orig(c)
			return
		}
		var live []cluster.Member
		for _, m := range s.cl.node.Members() {
			if !m.Retired {
				live = append(live, m)
			}
		}
		c.W.MapLen(len(live))
		for _, m := range live {
			c.W.BulkString(fmt.Sprintf("%016x", uint64(m.ID)))
			c.W.BulkString(m.Addr)
		}
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
