package server

import (
	"bytes"
	"fmt"
	"hash/fnv"
	"net"
	"os"
	"runtime"
	"runtime/metrics"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/lightconedb/lightcone/internal/commands"
)

// INFO, and the runtime state behind it: network byte counters, the
// instantaneous-rate samples (taken by cron), peak memory.

func init() { serverFamilies = append(serverFamilies, registerInfo) }

// adminState is server state owned by the admin commands.
type adminState struct {
	noActiveExpire atomic.Bool      // DEBUG SET-ACTIVE-EXPIRE 0
	limitsGen      atomic.Int64     // bumped when the reader limits change (CONFIG SET)
	reads, writes  commands.Counter // socket reads and writes (total_*_processed)
	peakMem        atomic.Uint64
	startupMem     uint64

	sampleMu   sync.Mutex
	lastSample time.Time
	prev       [3]int64 // commands, net input, net output at lastSample
	rates      [3][16]float64
	rateIdx    int
}

// connReader counts a client's input and applies changed reader limits
// (CONFIG SET proto-max-bulk-len, client-query-buffer-limit) before the
// new input is parsed. It runs on the client's goroutine.
type connReader struct{ c *client }

func (r connReader) Read(p []byte) (int, error) {
	c := r.c
	if len(c.side) > 0 {
		// input that arrived while the client was parked (blocking.go)
		n := copy(p, c.side)
		c.side = c.side[n:]
		return n, nil
	}
	if c.sideErr != nil {
		return 0, c.sideErr
	}
	n, err := c.conn.Read(p)
	c.countInput(n)
	return n, err
}

// countInput accounts n bytes read and applies changed reader limits.
func (c *client) countInput(n int) {
	s := c.s
	s.Stats.NetInput.Add(c.slot, int64(n))
	s.admin.reads.Add(c.slot, 1)
	if g := s.admin.limitsGen.Load(); g != c.limitsGen {
		c.limitsGen = g
		c.r.SetLimits(readerLimits(s.Settings))
	}
}

// countOutput accounts n bytes written.
func (c *client) countOutput(n int) {
	c.s.Stats.NetOutput.Add(c.slot, int64(n))
	c.s.admin.writes.Add(c.slot, 1)
}

// connWriter counts a client's output.
type connWriter struct{ c *client }

func (w connWriter) Write(p []byte) (int, error) {
	w.c.awaitDurable()
	n, err := w.c.conn.Write(p)
	w.c.countOutput(n)
	return n, err
}

// sampleStats records the instantaneous rates (ops/sec, input and output
// kbps) at most every 100 ms, like Redis' cron, and the memory peak.
func (s *Server) sampleStats() {
	a := &s.admin
	a.sampleMu.Lock()
	defer a.sampleMu.Unlock()
	now := time.Now()
	cur := [3]int64{s.Stats.Commands.Load(), s.Stats.NetInput.Load(), s.Stats.NetOutput.Load()}
	if a.lastSample.IsZero() {
		a.lastSample, a.prev = now, cur
		return
	}
	dt := now.Sub(a.lastSample)
	if dt < 100*time.Millisecond {
		return
	}
	for i := range cur {
		a.rates[i][a.rateIdx] = float64(cur[i]-a.prev[i]) / dt.Seconds()
	}
	a.rateIdx = (a.rateIdx + 1) % len(a.rates[0])
	a.lastSample, a.prev = now, cur
	a.notePeak(heapBytes())
}

func (a *adminState) rate(i int) float64 {
	a.sampleMu.Lock()
	defer a.sampleMu.Unlock()
	sum := 0.0
	for _, v := range a.rates[i] {
		sum += v
	}
	return sum / float64(len(a.rates[i]))
}

func (a *adminState) notePeak(m uint64) {
	for {
		p := a.peakMem.Load()
		if m <= p || a.peakMem.CompareAndSwap(p, m) {
			return
		}
	}
}

var memSamples = []metrics.Sample{
	{Name: "/memory/classes/heap/objects:bytes"},
	{Name: "/memory/classes/heap/unused:bytes"},
	{Name: "/memory/classes/heap/released:bytes"},
	{Name: "/memory/classes/total:bytes"},
	{Name: "/memory/classes/heap/stacks:bytes"},
}

type memInfo struct {
	objects, unused, released, total, stacks uint64
}

// readMem reads the Go runtime's memory classes (no stop-the-world).
func readMem() memInfo {
	s := make([]metrics.Sample, len(memSamples))
	copy(s, memSamples)
	metrics.Read(s)
	v := func(i int) uint64 {
		if s[i].Value.Kind() == metrics.KindUint64 {
			return s[i].Value.Uint64()
		}
		return 0
	}
	return memInfo{objects: v(0), unused: v(1), released: v(2), total: v(3), stacks: v(4)}
}

// heapBytes is used_memory: bytes in live (and not yet swept) heap objects
// plus goroutine stacks.
func heapBytes() uint64 {
	m := readMem()
	return m.objects + m.stacks
}

// rssBytes reads the resident set size from /proc/self/statm.
func rssBytes() uint64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseUint(f[1], 10, 64)
	return pages * uint64(os.Getpagesize())
}

func registerInfo(s *Server, t *commands.Table) {
	s.admin.startupMem = heapBytes()
	s.admin.notePeak(s.admin.startupMem)
	t.Register(&commands.Command{
		Name: "info", Arity: -1, Flags: []string{"loading", "stale"}, Categories: []string{"slow", "dangerous"},
		Summary: "Returns information and statistics about the server.", Since: "1.0.0", Group: "server",
		Complexity: "O(1)", Syntax: "[section [section ...]]", Handler: cmdInfo,
	})
}

// infoSections in output order; def marks the default ones.
var infoSections = []struct {
	name string
	def  bool
	gen  func(s *Server, b *infoBuf)
}{
	{"server", true, infoServer},
	{"clients", true, infoClients},
	{"memory", true, infoMemory},
	{"persistence", true, infoPersistence},
	{"stats", true, infoStats},
	{"replication", true, infoReplication},
	{"cpu", true, infoCPU},
	{"modules", true, func(*Server, *infoBuf) {}},
	{"commandstats", false, infoCommandStats},
	{"errorstats", true, infoErrorStats},
	{"latencystats", false, infoLatencyStats},
	{"cluster", true, infoCluster},
	{"keyspace", true, infoKeyspace},
}

type infoBuf struct{ bytes.Buffer }

func (b *infoBuf) kv(k string, v any) {
	b.WriteString(k)
	b.WriteByte(':')
	switch x := v.(type) {
	case string:
		b.WriteString(x)
	case int:
		b.WriteString(strconv.Itoa(x))
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case uint64:
		b.WriteString(strconv.FormatUint(x, 10))
	case float64:
		b.WriteString(strconv.FormatFloat(x, 'f', 2, 64))
	default:
		fmt.Fprint(b, x)
	}
	b.WriteString("\r\n")
}

func cmdInfo(c *commands.Ctx) {
	if cl, ok := c.Client.(*client); ok {
		cl.flushStats() // this client's commands so far, this one too
	}
	c.W.Verbatim("txt", srv(c).infoString(c.Args[1:]))
}

// infoString renders the requested INFO sections ("default" when none).
func (s *Server) infoString(args [][]byte) string {
	want := map[string]bool{}
	all, everything := false, false
	if len(args) == 0 {
		args = [][]byte{[]byte("default")}
	}
	for _, a := range args {
		switch name := strings.ToLower(string(a)); name {
		case "all":
			all = true
		case "everything":
			everything = true
		case "default":
			for _, sec := range infoSections {
				if sec.def {
					want[sec.name] = true
				}
			}
		default:
			want[name] = true
		}
	}
	var b infoBuf
	n := 0
	for _, sec := range infoSections {
		if !all && !everything && !want[sec.name] {
			continue
		}
		if n > 0 {
			b.WriteString("\r\n")
		}
		n++
		title := strings.ToUpper(sec.name[:1]) + sec.name[1:]
		switch sec.name {
		case "cpu":
			title = "CPU"
		case "commandstats":
			title = "Commandstats"
		case "latencystats":
			title = "Latencystats"
		}
		b.WriteString("# " + title + "\r\n")
		sec.gen(s, &b)
	}
	return b.String()
}

// buildID is a stable 16-hex-digit id of this build's version.
func buildID() string {
	h := fnv.New64a()
	h.Write([]byte(Version + "/" + runtime.Version()))
	return fmt.Sprintf("%016x", h.Sum64())
}

func infoServer(s *Server, b *infoBuf) {
	now := time.Now()
	up := int64(now.Sub(s.Started) / time.Second)
	sys, rel, mach := uname()
	exe, _ := os.Executable()
	hz := s.Settings.Int("hz")
	b.kv("redis_version", RedisVersion)
	b.kv("redis_git_sha1", "00000000")
	b.kv("redis_git_dirty", 0)
	b.kv("redis_build_id", buildID())
	b.kv("redis_mode", "standalone")
	b.kv("os", sys+" "+rel+" "+mach)
	b.kv("arch_bits", strconv.IntSize)
	b.kv("monotonic_clock", "POSIX clock_gettime")
	b.kv("multiplexing_api", "epoll")
	b.kv("atomicvar_api", "go-sync-atomic")
	b.kv("gcc_version", "0.0.0")
	b.kv("process_id", os.Getpid())
	b.kv("process_supervised", "no")
	b.kv("run_id", s.RunID)
	b.kv("tcp_port", s.Settings.Int("port"))
	b.kv("server_time_usec", now.UnixMicro())
	b.kv("uptime_in_seconds", up)
	b.kv("uptime_in_days", up/86400)
	b.kv("hz", hz)
	b.kv("configured_hz", hz)
	b.kv("lru_clock", now.Unix()&(1<<24-1))
	b.kv("executable", exe)
	b.kv("config_file", s.Settings.File)
	b.kv("io_threads_active", 0)
	b.kv("lightcone_version", Version)
	b.kv("node_id", fmt.Sprintf("%016x", uint64(s.NodeID)))
}

func infoClients(s *Server, b *infoBuf) {
	s.mu.Lock()
	n := len(s.clients)
	s.mu.Unlock()
	b.kv("connected_clients", n)
	b.kv("cluster_connections", 0)
	b.kv("maxclients", s.Settings.Int("maxclients"))
	b.kv("client_recent_max_input_buffer", 0)
	b.kv("client_recent_max_output_buffer", 0)
	b.kv("blocked_clients", s.blockedClients())
	b.kv("tracking_clients", 0)
	b.kv("clients_in_timeout_table", 0)
}

// bytesToHuman formats like Redis: 1023B, 1.25K, 3.00M, ...
func bytesToHuman(n uint64) string {
	const units = "KMGTPE"
	if n < 1024 {
		return strconv.FormatUint(n, 10) + "B"
	}
	f := float64(n)
	i := -1
	for f >= 1024 && i < len(units)-1 {
		f /= 1024
		i++
	}
	return strconv.FormatFloat(f, 'f', 2, 64) + string(units[i])
}

func ratio(a, b uint64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func infoMemory(s *Server, b *infoBuf) {
	m := readMem()
	used := m.objects + m.stacks
	rss := rssBytes()
	s.admin.notePeak(used)
	peak := s.admin.peakMem.Load()
	s.mu.Lock()
	nclients := uint64(len(s.clients))
	s.mu.Unlock()
	clientsMem := nclients * (queryBufSize + replyBufSize + clientStruct)
	overhead := s.admin.startupMem + clientsMem
	dataset := uint64(0)
	if used > overhead {
		dataset = used - overhead
	}
	datasetBase := used - min(used, s.admin.startupMem)
	active := m.objects + m.unused + m.stacks
	resident := m.total - m.released
	maxmem, _ := ParseMemory(s.Settings.Get("maxmemory"))
	policy := s.Settings.Get("maxmemory-policy")
	if policy == "" {
		policy = "noeviction"
	}
	sysMem := totalSystemMemory()
	b.kv("used_memory", used)
	b.kv("used_memory_human", bytesToHuman(used))
	b.kv("used_memory_rss", rss)
	b.kv("used_memory_rss_human", bytesToHuman(rss))
	b.kv("used_memory_peak", peak)
	b.kv("used_memory_peak_human", bytesToHuman(peak))
	b.kv("used_memory_peak_perc", fmt.Sprintf("%.2f%%", 100*ratio(used, peak)))
	b.kv("used_memory_overhead", overhead)
	b.kv("used_memory_startup", s.admin.startupMem)
	b.kv("used_memory_dataset", dataset)
	b.kv("used_memory_dataset_perc", fmt.Sprintf("%.2f%%", 100*ratio(dataset, datasetBase)))
	b.kv("allocator_allocated", m.objects)
	b.kv("allocator_active", active)
	b.kv("allocator_resident", resident)
	b.kv("total_system_memory", sysMem)
	b.kv("total_system_memory_human", bytesToHuman(sysMem))
	sm := s.scriptMemory()
	b.kv("used_memory_lua", sm.vmEval)
	b.kv("used_memory_vm_eval", sm.vmEval)
	b.kv("used_memory_lua_human", bytesToHuman(uint64(sm.vmEval)))
	b.kv("used_memory_scripts_eval", sm.scriptsEval)
	b.kv("number_of_cached_scripts", sm.cached)
	b.kv("number_of_functions", sm.functions)
	b.kv("number_of_libraries", sm.libraries)
	b.kv("used_memory_vm_functions", sm.vmFunctions)
	b.kv("used_memory_vm_total", sm.vmEval+sm.vmFunctions)
	b.kv("used_memory_vm_total_human", bytesToHuman(uint64(sm.vmEval+sm.vmFunctions)))
	b.kv("used_memory_functions", sm.functionsMem)
	b.kv("used_memory_scripts", sm.scriptsEval+sm.functionsMem)
	b.kv("used_memory_scripts_human", bytesToHuman(uint64(sm.scriptsEval+sm.functionsMem)))
	b.kv("maxmemory", maxmem)
	b.kv("maxmemory_human", bytesToHuman(uint64(maxmem)))
	b.kv("maxmemory_policy", policy)
	b.kv("allocator_frag_ratio", ratio(active, m.objects))
	b.kv("allocator_frag_bytes", active-min(active, m.objects))
	b.kv("allocator_rss_ratio", ratio(resident, active))
	b.kv("allocator_rss_bytes", int64(resident)-int64(active))
	b.kv("rss_overhead_ratio", ratio(rss, resident))
	b.kv("rss_overhead_bytes", int64(rss)-int64(resident))
	b.kv("mem_fragmentation_ratio", ratio(rss, used))
	b.kv("mem_fragmentation_bytes", int64(rss)-int64(used))
	b.kv("mem_not_counted_for_evict", 0)
	b.kv("mem_replication_backlog", 0)
	b.kv("mem_total_replication_buffers", 0)
	b.kv("mem_clients_slaves", 0)
	b.kv("mem_clients_normal", clientsMem)
	b.kv("mem_cluster_links", 0)
	b.kv("mem_aof_buffer", 0)
	b.kv("mem_allocator", "go-"+strings.TrimPrefix(runtime.Version(), "go"))
	b.kv("active_defrag_running", 0)
	b.kv("lazyfree_pending_objects", 0)
	b.kv("lazyfreed_objects", 0)
}

// infoPersistence is in persist.go.

func infoStats(s *Server, b *infoBuf) {
	st := &s.Stats
	en := s.Eng.Stats()
	b.kv("total_connections_received", st.Connections.Load())
	b.kv("total_commands_processed", st.Commands.Load())
	b.kv("instantaneous_ops_per_sec", int64(s.admin.rate(0)+0.5))
	b.kv("total_net_input_bytes", st.NetInput.Load())
	b.kv("total_net_output_bytes", st.NetOutput.Load())
	b.kv("total_net_repl_input_bytes", 0)
	b.kv("total_net_repl_output_bytes", 0)
	b.kv("instantaneous_input_kbps", s.admin.rate(1)/1024)
	b.kv("instantaneous_output_kbps", s.admin.rate(2)/1024)
	b.kv("instantaneous_input_repl_kbps", "0.00")
	b.kv("instantaneous_output_repl_kbps", "0.00")
	b.kv("rejected_connections", st.RejectedConnections.Load())
	b.kv("sync_full", 0)
	b.kv("sync_partial_ok", 0)
	b.kv("sync_partial_err", 0)
	b.kv("expired_keys", en.ExpiredKeys.Load())
	b.kv("expired_stale_perc", "0.00")
	b.kv("expired_time_cap_reached_count", 0)
	b.kv("expire_cycle_cpu_milliseconds", 0)
	b.kv("evicted_keys", s.Stats.EvictedKeys.Load())
	b.kv("evicted_clients", 0)
	b.kv("total_eviction_exceeded_time", 0)
	b.kv("current_eviction_exceeded_time", 0)
	b.kv("keyspace_hits", en.KeyspaceHits.Load())
	b.kv("keyspace_misses", en.KeyspaceMisses.Load())
	b.kv("pubsub_channels", 0)
	b.kv("pubsub_patterns", 0)
	b.kv("pubsubshard_channels", 0)
	b.kv("latest_fork_usec", 0)
	b.kv("total_forks", 0)
	b.kv("migrate_cached_sockets", 0)
	b.kv("slave_expires_tracked_keys", 0)
	b.kv("active_defrag_hits", 0)
	b.kv("active_defrag_misses", 0)
	b.kv("active_defrag_key_hits", 0)
	b.kv("active_defrag_key_misses", 0)
	b.kv("total_active_defrag_time", 0)
	b.kv("current_active_defrag_time", 0)
	b.kv("tracking_total_keys", 0)
	b.kv("tracking_total_items", 0)
	b.kv("tracking_total_prefixes", 0)
	b.kv("unexpected_error_replies", st.UnexpectedErrors.Load())
	b.kv("total_error_replies", st.ErrorReplies.Load())
	b.kv("dump_payload_sanitizations", 0)
	b.kv("total_reads_processed", s.admin.reads.Load())
	b.kv("total_writes_processed", s.admin.writes.Load())
	b.kv("io_threaded_reads_processed", 0)
	b.kv("io_threaded_writes_processed", 0)
	b.kv("reply_buffer_shrinks", 0)
	b.kv("reply_buffer_expands", 0)
}

func infoReplication(s *Server, b *infoBuf) {
	b.kv("role", "master")
	b.kv("connected_slaves", 0)
	b.kv("master_failover_state", "no-failover")
	b.kv("master_replid", s.RunID)
	b.kv("master_replid2", strings.Repeat("0", 40))
	b.kv("master_repl_offset", 0)
	b.kv("second_repl_offset", -1)
	b.kv("repl_backlog_active", 0)
	b.kv("repl_backlog_size", 1048576)
	b.kv("repl_backlog_first_byte_offset", 0)
	b.kv("repl_backlog_histlen", 0)
}

func infoCPU(s *Server, b *infoBuf) {
	tv := func(t syscall.Timeval) string {
		return fmt.Sprintf("%d.%06d", t.Sec, t.Usec)
	}
	var self, children syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	syscall.Getrusage(syscall.RUSAGE_CHILDREN, &children)
	b.kv("used_cpu_sys", tv(self.Stime))
	b.kv("used_cpu_user", tv(self.Utime))
	b.kv("used_cpu_sys_children", tv(children.Stime))
	b.kv("used_cpu_user_children", tv(children.Utime))
	// Go has no main thread: the whole process does the main thread's work.
	b.kv("used_cpu_sys_main_thread", tv(self.Stime))
	b.kv("used_cpu_user_main_thread", tv(self.Utime))
}

// allCommands lists every command and subcommand, sorted by name.
func allCommands(t *commands.Table) []*commands.Command {
	var out []*commands.Command
	for _, c := range t.All() {
		out = append(out, c)
		out = append(out, sortedSubs(c)...)
	}
	return out
}

func infoCommandStats(s *Server, b *infoBuf) {
	for _, c := range allCommands(s.Table) {
		calls, usec := c.Stats.Calls(), c.Stats.Usec()
		rej, failed := c.Stats.Rejected(), c.Stats.Failed()
		if calls == 0 && rej == 0 && failed == 0 {
			continue
		}
		per := 0.0
		if calls > 0 {
			per = float64(usec) / float64(calls)
		}
		fmt.Fprintf(b, "cmdstat_%s:calls=%d,usec=%d,usec_per_call=%.2f,rejected_calls=%d,failed_calls=%d\r\n",
			c.Name, calls, usec, per, rej, failed)
	}
}

func infoErrorStats(s *Server, b *infoBuf) {
	s.Stats.errMu.Lock()
	tags := make([]string, 0, len(s.Stats.ErrorCounts))
	for t := range s.Stats.ErrorCounts {
		tags = append(tags, t)
	}
	sort.Strings(tags)
	for _, t := range tags {
		fmt.Fprintf(b, "errorstat_%s:count=%d\r\n", t, s.Stats.ErrorCounts[t])
	}
	s.Stats.errMu.Unlock()
}

// infoCluster: Redis' cluster_enabled (Lightcone does not speak the Redis
// Cluster protocol) and this node's effect counters.
func infoCluster(s *Server, b *infoBuf) {
	st := s.Eng.Stats()
	b.kv("cluster_enabled", 0)
	b.kv("lightcone_node_id", fmt.Sprintf("%016x", uint64(s.NodeID)))
	b.kv("lightcone_local_effects", s.Eng.LocalEffects())
	b.kv("lightcone_remote_effects_applied", st.RemoteApplied.Load())
	b.kv("lightcone_remote_effects_pending", s.Eng.Pending())
	b.kv("lightcone_merges", st.Merges.Load())
}

func infoKeyspace(s *Server, b *infoBuf) {
	for db := 0; db < s.Eng.Databases(); db++ {
		keys := s.Eng.DBSize(db)
		if keys == 0 {
			continue
		}
		fmt.Fprintf(b, "db%d:keys=%d,expires=%d,avg_ttl=0\r\n", db, keys, s.Eng.Volatile(db))
	}
}

// resetStats is CONFIG RESETSTAT: the counters INFO stats, commandstats and
// errorstats report go back to zero.
func (s *Server) resetStats() {
	st := &s.Stats
	for _, v := range []*atomic.Int64{&st.Connections, &st.RejectedConnections,
		&st.ErrorReplies, &st.UnexpectedErrors, &st.EvictedKeys} {
		v.Store(0)
	}
	for _, v := range []*commands.Counter{&st.Commands, &st.NetInput, &st.NetOutput} {
		v.Reset()
	}
	st.resetAt.Store(time.Now().UnixNano())
	st.errMu.Lock()
	clear(st.ErrorCounts)
	st.errMu.Unlock()
	en := s.Eng.Stats()
	en.ExpiredKeys.Store(0)
	en.KeyspaceHits.Store(0)
	en.KeyspaceMisses.Store(0)
	s.admin.reads.Reset()
	s.admin.writes.Reset()
	s.admin.peakMem.Store(heapBytes())
	s.admin.sampleMu.Lock()
	s.admin.lastSample = time.Time{}
	s.admin.rates = [3][16]float64{}
	s.admin.sampleMu.Unlock()
	for _, c := range allCommands(s.Table) {
		c.Stats.Reset()
	}
}

// isLocalConn reports whether a connection comes from this host (loopback
// or Unix socket), for enable-debug-command local.
func isLocalConn(c *client) bool {
	if c.unix {
		return true
	}
	if ta, ok := c.conn.RemoteAddr().(*net.TCPAddr); ok {
		return ta.IP.IsLoopback()
	}
	return false
}
