package server

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lightconedb/lightcone/internal/commands"
)

// SLOWLOG, LATENCY and INFO latencystats: what happens after every call.

func init() {
	Params = append(Params,
		&Param{Name: "slowlog-log-slower-than", Kind: KindInt, Default: "10000", Min: -1, Max: 1<<63 - 1, Mutable: true,
			Help: "log commands slower than this many microseconds in SLOWLOG (-1 = never, 0 = all)",
			OnSet: func(s *Server, v string) error {
				n, _ := strconv.ParseInt(v, 10, 64)
				s.slow.threshold.Store(n)
				return nil
			}},
		&Param{Name: "slowlog-max-len", Kind: KindInt, Default: "128", Min: 0, Max: 1<<31 - 1, Mutable: true,
			Help:  "entries SLOWLOG keeps",
			OnSet: func(s *Server, v string) error { n, _ := strconv.Atoi(v); s.slow.setMax(n); return nil }},
		&Param{Name: "latency-monitor-threshold", Kind: KindInt, Default: "0", Min: 0, Max: 1<<63 - 1, Mutable: true,
			Help: "record LATENCY events of at least this many milliseconds (0 = off)",
			OnSet: func(s *Server, v string) error {
				n, _ := strconv.ParseInt(v, 10, 64)
				s.lat.threshold.Store(n)
				return nil
			}},
		&Param{Name: "latency-tracking", Kind: KindBool, Default: "yes", Mutable: true,
			Help:  "keep per-command latency histograms (INFO latencystats)",
			OnSet: func(s *Server, v string) error { s.lat.tracking.Store(v == "yes"); return nil }},
		&Param{Name: "latency-tracking-info-percentiles", Kind: KindString, Default: "50 99 99.9", Mutable: true,
			Help: "percentiles INFO latencystats reports",
			OnSet: func(s *Server, v string) error {
				for _, f := range strings.Fields(v) {
					if p, err := strconv.ParseFloat(f, 64); err != nil || p < 0 || p > 100 {
						return fmt.Errorf("latency-tracking-info-percentiles: %q is not a percentile", f)
					}
				}
				return nil
			}},
	)
}

type slowEntry struct {
	id       int64
	at       int64 // Unix seconds
	usec     int64
	args     []string
	addr     string
	name     string
	nextArgs int
}

type slowLog struct {
	threshold atomic.Int64
	mu        sync.Mutex
	entries   []slowEntry // newest first
	max       int
	nextID    int64
}

func (l *slowLog) setMax(n int) {
	l.mu.Lock()
	l.max = n
	if len(l.entries) > n {
		l.entries = l.entries[:n]
	}
	l.mu.Unlock()
}

type latSample struct{ at, ms int64 }

type latEvent struct {
	samples []latSample // oldest first, at most 160, one per second
	max     int64
}

type latencyMonitor struct {
	threshold atomic.Int64 // ms, 0 = off
	tracking  atomic.Bool
	mu        sync.Mutex
	events    map[string]*latEvent
}

func (s *Server) initObservability() {
	s.slow.threshold.Store(s.Settings.Int("slowlog-log-slower-than"))
	s.slow.max = int(s.Settings.Int("slowlog-max-len"))
	s.lat.threshold.Store(s.Settings.Int("latency-monitor-threshold"))
	s.lat.tracking.Store(s.Settings.Get("latency-tracking") == "yes")
	s.lat.events = map[string]*latEvent{}
}

// observe records a finished call: latency histogram, slow log, latency
// monitor.
func (s *Server) observe(c *client, cmd *commands.Command, args [][]byte, ns int64) {
	if s.lat.tracking.Load() {
		if cmd == c.statCmd {
			c.countLatency(ns) // added up in flushStats
		} else {
			cmd.Stats.Record(c.slot, ns)
		}
	}
	usec := ns / 1000
	if t := s.slow.threshold.Load(); t >= 0 && usec >= t && !cmd.HasFlag("skip_slowlog") {
		s.slowlogAdd(c, args, usec)
	}
	if t := s.lat.threshold.Load(); t > 0 && ns/1e6 >= t {
		ev := "command"
		if cmd.HasFlag("fast") {
			ev = "fast-command"
		}
		s.latencyAdd(ev, ns/1e6)
	}
}

// slowlogAdd keeps Redis' shape: at most 32 arguments (the last saying how
// many more there were), each cut at 128 bytes.
func (s *Server) slowlogAdd(c *client, args [][]byte, usec int64) {
	const maxArgs, maxArgLen = 32, 128
	l := &s.slow
	n := len(args)
	e := slowEntry{at: time.Now().Unix(), usec: usec}
	for i, a := range args {
		if i == maxArgs-1 && n > maxArgs {
			e.args = append(e.args, fmt.Sprintf("... (%d more arguments)", n-maxArgs+1))
			break
		}
		if len(a) > maxArgLen {
			e.args = append(e.args, string(a[:maxArgLen])+fmt.Sprintf("... (%d more bytes)", len(a)-maxArgLen))
		} else {
			e.args = append(e.args, string(a))
		}
	}
	c.mu.Lock()
	e.addr, e.name = c.addr, c.name
	c.mu.Unlock()
	l.mu.Lock()
	e.id = l.nextID
	l.nextID++
	if l.max > 0 {
		l.entries = append(l.entries, slowEntry{})
		copy(l.entries[1:], l.entries)
		l.entries[0] = e
		if len(l.entries) > l.max {
			l.entries = l.entries[:l.max]
		}
	}
	l.mu.Unlock()
}

func (s *Server) latencyAdd(event string, ms int64) {
	now := time.Now().Unix()
	m := &s.lat
	m.mu.Lock()
	defer m.mu.Unlock()
	ev := m.events[event]
	if ev == nil {
		ev = &latEvent{}
		m.events[event] = ev
	}
	if ms > ev.max {
		ev.max = ms
	}
	if n := len(ev.samples); n > 0 && ev.samples[n-1].at == now {
		if ms > ev.samples[n-1].ms {
			ev.samples[n-1].ms = ms
		}
		return
	}
	ev.samples = append(ev.samples, latSample{now, ms})
	if len(ev.samples) > 160 {
		ev.samples = ev.samples[1:]
	}
}

func (s *Server) registerObservability(t *commands.Table) {
	admin := []string{"admin", "loading", "stale"}
	cats := []string{"admin", "slow", "dangerous"}
	sub := func(name string, arity int, syntax, summary, complexity, since string, h commands.Handler) *commands.Command {
		return &commands.Command{Name: name, Arity: arity, Flags: admin, Categories: cats, Syntax: syntax,
			Summary: summary, Complexity: complexity, Since: since, Group: "server", Handler: h}
	}
	t.Register(&commands.Command{
		Name: "slowlog", Arity: -2, Categories: []string{"slow"}, Summary: "A container for slow log commands.",
		Since: "2.2.12", Group: "server", Complexity: "Depends on subcommand.", Handler: func(c *commands.Ctx) { c.WrongArgs() },
		Subs: map[string]*commands.Command{
			"get": sub("get", -2, "[count]", "Returns the slow log's entries.", "O(N) where N is the number of entries returned", "2.2.12", cmdSlowlogGet),
			"len": sub("len", 2, "", "Returns the number of entries in the slow log.", "O(1)", "2.2.12", func(c *commands.Ctx) {
				s := srv(c)
				s.slow.mu.Lock()
				n := len(s.slow.entries)
				s.slow.mu.Unlock()
				c.W.Int(int64(n))
			}),
			"reset": sub("reset", 2, "", "Clears all entries from the slow log.", "O(N) where N is the number of entries in the slowlog", "2.2.12", func(c *commands.Ctx) {
				s := srv(c)
				s.slow.mu.Lock()
				s.slow.entries = nil
				s.slow.mu.Unlock()
				c.OK()
			}),
			"help": {Name: "help", Arity: 2, Flags: []string{"loading", "stale"}, Categories: []string{"slow"}, Since: "6.2.0", Group: "server",
				Summary: "Show helpful text about the different subcommands", Complexity: "O(1)", Handler: cmdSlowlogHelp},
		},
	})
	// LATENCY is not callable from scripts (Redis: noscript)
	lsub := func(name string, arity int, syntax, summary, complexity, since string, h commands.Handler) *commands.Command {
		c := sub(name, arity, syntax, summary, complexity, since, h)
		c.Flags = append(append([]string{}, c.Flags...), "noscript")
		return c
	}
	t.Register(&commands.Command{
		Name: "latency", Arity: -2, Categories: []string{"slow"}, Summary: "A container for latency diagnostics commands.",
		Since: "2.8.13", Group: "server", Complexity: "Depends on subcommand.", Handler: func(c *commands.Ctx) { c.WrongArgs() },
		Subs: map[string]*commands.Command{
			"latest":    lsub("latest", 2, "", "Returns the latest latency samples for all events.", "O(1)", "2.8.13", cmdLatencyLatest),
			"history":   lsub("history", 3, "event", "Returns timestamp-latency samples for an event.", "O(1)", "2.8.13", cmdLatencyHistory),
			"reset":     lsub("reset", -2, "[event [event ...]]", "Resets the latency data for one or more events.", "O(1)", "2.8.13", cmdLatencyReset),
			"doctor":    lsub("doctor", 2, "", "Returns a human-readable latency analysis report.", "O(1)", "2.8.13", cmdLatencyDoctor),
			"histogram": lsub("histogram", -2, "[command [command ...]]", "Returns the cumulative distribution of latencies of a subset or all commands.", "O(N) where N is the number of commands with latency information being retrieved.", "7.0.0", cmdLatencyHistogram),
			"graph":     lsub("graph", 3, "event", "Returns a latency graph for an event.", "O(1)", "2.8.13", cmdLatencyGraph),
			"help": {Name: "help", Arity: 2, Flags: []string{"loading", "stale"}, Categories: []string{"slow"}, Since: "2.8.13", Group: "server",
				Summary: "Returns helpful text about the different subcommands.", Complexity: "O(1)", Handler: cmdLatencyHelp},
		},
	})
}

func init() {
	serverFamilies = append(serverFamilies, func(s *Server, t *commands.Table) { s.registerObservability(t) })
}

func cmdSlowlogGet(c *commands.Ctx) {
	s := srv(c)
	count := int64(10)
	if len(c.Args) == 3 {
		n, ok := commands.ParseInt(c.Args[2])
		if !ok || n < -1 {
			c.Error("ERR count should be greater than or equal to -1")
			return
		}
		count = n
	} else if len(c.Args) > 3 {
		subSyntaxError(c, "SLOWLOG")
		return
	}
	s.slow.mu.Lock()
	entries := s.slow.entries
	if count >= 0 && int64(len(entries)) > count {
		entries = entries[:count]
	}
	entries = append([]slowEntry(nil), entries...)
	s.slow.mu.Unlock()
	c.W.ArrayLen(len(entries))
	for _, e := range entries {
		c.W.ArrayLen(6)
		c.W.Int(e.id)
		c.W.Int(e.at)
		c.W.Int(e.usec)
		c.W.ArrayLen(len(e.args))
		for _, a := range e.args {
			c.W.BulkString(a)
		}
		c.W.BulkString(e.addr)
		c.W.BulkString(e.name)
	}
}

func cmdSlowlogHelp(c *commands.Ctx) {
	writeHelp(c, "SLOWLOG", []string{
		"GET [<count>]",
		"    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
		"    Entries are made of:",
		"    id, timestamp, time in microseconds, arguments array, client IP and port,",
		"    client name",
		"LEN",
		"    Return the length of the slowlog.",
		"RESET",
		"    Reset the slowlog.",
	}...)
}

func cmdLatencyHelp(c *commands.Ctx) {
	writeHelp(c, "LATENCY", []string{
		"DOCTOR",
		"    Return a human readable latency analysis report.",
		"GRAPH <event>",
		"    Return an ASCII latency graph for the <event> class.",
		"HISTORY <event>",
		"    Return time-latency samples for the <event> class.",
		"LATEST",
		"    Return the latest latency samples for all events.",
		"RESET [<event> ...]",
		"    Reset latency data of one or more <event> classes.",
		"    (default: reset all data for all event classes)",
		"HISTOGRAM [COMMAND ...]",
		"    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
		"    If no commands are specified then all histograms are replied.",
	}...)
}

func (s *Server) latencyEvents() []string {
	names := make([]string, 0, len(s.lat.events))
	for n := range s.lat.events {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func cmdLatencyLatest(c *commands.Ctx) {
	s := srv(c)
	s.lat.mu.Lock()
	defer s.lat.mu.Unlock()
	names := s.latencyEvents()
	c.W.ArrayLen(len(names))
	for _, n := range names {
		ev := s.lat.events[n]
		last := ev.samples[len(ev.samples)-1]
		c.W.ArrayLen(4)
		c.W.BulkString(n)
		c.W.Int(last.at)
		c.W.Int(last.ms)
		c.W.Int(ev.max)
	}
}

func cmdLatencyHistory(c *commands.Ctx) {
	s := srv(c)
	s.lat.mu.Lock()
	defer s.lat.mu.Unlock()
	ev := s.lat.events[string(c.Args[2])]
	if ev == nil {
		c.W.ArrayLen(0)
		return
	}
	c.W.ArrayLen(len(ev.samples))
	for _, sm := range ev.samples {
		c.W.ArrayLen(2)
		c.W.Int(sm.at)
		c.W.Int(sm.ms)
	}
}

func cmdLatencyReset(c *commands.Ctx) {
	s := srv(c)
	s.lat.mu.Lock()
	defer s.lat.mu.Unlock()
	n := 0
	if len(c.Args) == 2 {
		n = len(s.lat.events)
		s.lat.events = map[string]*latEvent{}
	} else {
		for _, a := range c.Args[2:] {
			if _, ok := s.lat.events[string(a)]; ok {
				delete(s.lat.events, string(a))
				n++
			}
		}
	}
	c.W.Int(int64(n))
}

func cmdLatencyDoctor(c *commands.Ctx) {
	s := srv(c)
	s.lat.mu.Lock()
	defer s.lat.mu.Unlock()
	var b strings.Builder
	if len(s.lat.events) == 0 {
		if s.lat.threshold.Load() == 0 {
			b.WriteString("I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Lightcone instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it.\n")
		} else {
			b.WriteString("Dave, no latency spike was observed during the lifetime of this Lightcone instance, not in the slightest bit. I honestly think you ought to sleep at night.\n")
		}
		c.W.Verbatim("txt", b.String())
		return
	}
	b.WriteString("Dave, I have observed latency spikes in this Lightcone instance. You don't mind talking about it, do you Dave?\n\n")
	for i, n := range s.latencyEvents() {
		ev := s.lat.events[n]
		sum := int64(0)
		for _, sm := range ev.samples {
			sum += sm.ms
		}
		fmt.Fprintf(&b, "%d. %s: %d latency spikes (average %dms, mean deviation 0ms, period %d sec). Worst all time event %dms.\n",
			i+1, n, len(ev.samples), sum/int64(len(ev.samples)), ev.samples[len(ev.samples)-1].at-ev.samples[0].at, ev.max)
	}
	b.WriteString("\nI have a few advices for you:\n\n- Check your SLOWLOG for slow commands (SLOWLOG GET): long O(N) commands on big values block every client while they run.\n")
	c.W.Verbatim("txt", b.String())
}

// cmdLatencyGraph draws the event's samples as Redis' sparkline-style
// chart: one column per sample, '#' up to its height (10 rows), oldest left.
func cmdLatencyGraph(c *commands.Ctx) {
	s := srv(c)
	s.lat.mu.Lock()
	defer s.lat.mu.Unlock()
	name := string(c.Args[2])
	ev := s.lat.events[name]
	if ev == nil {
		c.Errorf("ERR No samples available for event '%s'", name)
		return
	}
	var b strings.Builder
	lo, hi := ev.samples[0].ms, ev.samples[0].ms
	for _, sm := range ev.samples {
		lo, hi = min(lo, sm.ms), max(hi, sm.ms)
	}
	fmt.Fprintf(&b, "%s - high %d ms, low %d ms (all time high %d ms)\n", name, hi, lo, ev.max)
	b.WriteString(strings.Repeat("-", 80) + "\n")
	for row := 10; row >= 1; row-- {
		for _, sm := range ev.samples {
			h := int64(1)
			if hi > 0 {
				h = (sm.ms*10 + hi - 1) / hi
			}
			if h >= int64(row) {
				b.WriteByte('#')
			} else {
				b.WriteByte(' ')
			}
		}
		b.WriteByte('\n')
	}
	c.W.Verbatim("txt", b.String())
}

// cmdLatencyHistogram replies, per command, its calls and the cumulative
// count of calls at or below each power-of-two microsecond bucket.
func cmdLatencyHistogram(c *commands.Ctx) {
	s := srv(c)
	if cl, ok := c.Client.(*client); ok {
		cl.flushStats()
	}
	var cmds []*commands.Command
	if len(c.Args) == 2 {
		for _, cmd := range allCommands(s.Table) {
			if cmd.Stats.Calls() > 0 {
				cmds = append(cmds, cmd)
			}
		}
	} else {
		seen := map[*commands.Command]bool{}
		for _, a := range c.Args[2:] {
			name := strings.ToLower(string(a))
			var cmd *commands.Command
			if i := strings.IndexByte(name, '|'); i >= 0 {
				if parent := s.Table.Lookup([]byte(name[:i])); parent != nil {
					cmd = parent.LookupSub([]byte(name[i+1:]))
				}
			} else {
				cmd = s.Table.Lookup(a)
			}
			if cmd != nil && !seen[cmd] && cmd.Stats.Calls() > 0 {
				seen[cmd] = true
				cmds = append(cmds, cmd)
			}
		}
	}
	c.W.MapLen(len(cmds))
	for _, cmd := range cmds {
		c.W.BulkString(cmd.Name)
		c.W.MapLen(2)
		c.W.BulkString("calls")
		c.W.Int(cmd.Stats.Calls())
		c.W.BulkString("histogram_usec")
		// cumulative counts at 1, 2, 4, ... µs, up to the largest bucket used
		type pt struct{ usec, n int64 }
		var pts []pt
		cum := int64(0)
		lat := cmd.Stats.Latency()
		bound := int64(1000) // ns
		for i := 0; i < commands.HistBuckets; i++ {
			for commands.HistUpper(i) >= bound {
				if cum > 0 {
					pts = append(pts, pt{bound / 1000, cum})
				}
				bound *= 2
			}
			cum += lat[i].Load()
		}
		if len(pts) == 0 || pts[len(pts)-1].n != cum {
			pts = append(pts, pt{bound / 1000, cum})
		}
		c.W.MapLen(len(pts))
		for _, p := range pts {
			c.W.Int(p.usec)
			c.W.Int(p.n)
		}
	}
}

// infoLatencyStats is INFO latencystats.
func infoLatencyStats(s *Server, b *infoBuf) {
	var ps []float64
	for _, f := range strings.Fields(s.Settings.Get("latency-tracking-info-percentiles")) {
		if p, err := strconv.ParseFloat(f, 64); err == nil {
			ps = append(ps, p)
		}
	}
	for _, cmd := range allCommands(s.Table) {
		if cmd.Stats.Calls() == 0 {
			continue
		}
		var parts []string
		lat := cmd.Stats.Latency()
		for _, p := range ps {
			v, ok := lat.Percentile(p)
			if !ok {
				break
			}
			parts = append(parts, "p"+strconv.FormatFloat(p, 'f', -1, 64)+"="+strconv.FormatFloat(float64(v)/1000, 'f', 3, 64))
		}
		if len(parts) > 0 {
			fmt.Fprintf(b, "latency_percentiles_usec_%s:%s\r\n", cmd.Name, strings.Join(parts, ","))
		}
	}
}
