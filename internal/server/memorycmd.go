package server

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/lightconedb/lightcone/internal/commands"
	"github.com/lightconedb/lightcone/internal/crdt"
	"github.com/lightconedb/lightcone/internal/engine"
	"github.com/lightconedb/lightcone/internal/keyspace"
)

// MEMORY: Redis' memory introspection. Sizes are Lightcone's own (a Go heap,
// not jemalloc): MEMORY USAGE estimates what a key costs here from its
// stored form, STATS reports the figures INFO memory has under Redis' field
// names, PURGE collects garbage and returns free pages to the system.

func init() {
	serverFamilies = append(serverFamilies, func(s *Server, t *commands.Table) { registerMemory(t) })
}

func registerMemory(t *commands.Table) {
	sub := func(name string, arity int, flags []string, syntax, summary, complexity string, h commands.Handler) *commands.Command {
		return &commands.Command{Name: name, Arity: arity, Flags: flags, Categories: []string{"slow"}, Syntax: syntax,
			Summary: summary, Complexity: complexity, Since: "4.0.0", Group: "server", Handler: h}
	}
	usage := sub("usage", -3, []string{"readonly"}, "key [SAMPLES count]", "Estimates the memory usage of a key.",
		"O(N) where N is the number of samples.", cmdMemoryUsage)
	usage.Categories = []string{"read", "slow"}
	usage.FirstKey, usage.LastKey, usage.Step = 2, 2, 1
	t.Register(&commands.Command{
		Name: "memory", Arity: -2, Categories: []string{"slow"}, Summary: "A container for memory diagnostics commands.",
		Since: "4.0.0", Group: "server", Complexity: "Depends on subcommand.", Handler: func(c *commands.Ctx) { c.WrongArgs() },
		Subs: map[string]*commands.Command{
			"usage":        usage,
			"purge":        sub("purge", 2, nil, "", "Asks the allocator to release memory.", "Depends on how much memory is allocated, could be slow", cmdMemoryPurge),
			"doctor":       sub("doctor", 2, nil, "", "Outputs a memory problems report.", "O(1)", cmdMemoryDoctor),
			"stats":        sub("stats", 2, nil, "", "Returns details about memory usage.", "O(1)", cmdMemoryStats),
			"malloc-stats": sub("malloc-stats", 2, nil, "", "Returns the allocator statistics.", "Depends on how much memory is allocated, could be slow", cmdMemoryMallocStats),
			"help": {Name: "help", Arity: 2, Flags: []string{"loading", "stale"}, Categories: []string{"slow"}, Since: "4.0.0", Group: "server",
				Summary: "Outputs a list of memory command subcommands", Complexity: "O(1)", Handler: cmdMemoryHelp},
		},
	})
}

func cmdMemoryHelp(c *commands.Ctx) {
	writeHelp(c, "MEMORY", []string{
		"DOCTOR",
		"    Return memory problems reports.",
		"MALLOC-STATS",
		"    Return internal statistics report from the memory allocator.",
		"PURGE",
		"    Attempt to purge dirty pages for reclamation by the allocator.",
		"STATS",
		"    Return information about the memory usage of the server.",
		"USAGE <key> [SAMPLES <count>]",
		"    Return memory in bytes used by <key> and its value. Nested values are",
		"    sampled up to <count> times (default: 5, 0 means sample all).",
	}...)
}

// entryOverhead is what a key costs besides its bytes: the entry (48 bytes),
// its slot and tag in the shard's table, and the allocation's rounding.
const entryOverhead = 48 + 16

func cmdMemoryUsage(c *commands.Ctx) {
	switch len(c.Args) {
	case 3:
	case 5:
		if !c.Is(3, "samples") {
			c.Error("ERR syntax error")
			return
		}
		if n, ok := commands.ParseInt(c.Args[4]); !ok {
			c.Error("ERR value is not an integer or out of range")
			return
		} else if n < 0 {
			c.Error("ERR syntax error")
			return
		}
	default:
		c.Error("ERR syntax error")
		return
	}
	key := c.Args[2]
	tx := c.Eng.Begin1(c.DB, key)
	e := tx.Peek(c.DB, key)
	var size int
	if e != nil {
		size = entryUsage(e)
	}
	tx.End()
	if e == nil {
		c.W.Null()
		return
	}
	c.W.Int(int64(size))
}

// entryUsage estimates the bytes a key costs: a string its key and value in
// one allocation; a collection its stored form (the canonical encoding
// snapshots use, which is close to the packed layouts) plus an index's
// share per element for the hashtable and skiplist encodings.
func entryUsage(e *keyspace.Entry) int {
	n := entryOverhead + roundAlloc(len(e.Key())+cap(e.Str))
	o, ok := e.Obj().(crdt.Object)
	if !ok {
		return n
	}
	var scratch crdt.Enc
	n += len(engine.AppendEntry(nil, e, &scratch)) - len(e.Key())
	switch o.Encoding() {
	case "hashtable", "skiplist":
		n += 24 * o.Len()
	}
	return n
}

// roundAlloc rounds an allocation up as Go's size classes do (to 16 bytes
// below 256, to 64 above; close enough for an estimate).
func roundAlloc(n int) int {
	if n <= 256 {
		return (n + 15) &^ 15
	}
	return (n + 63) &^ 63
}

func cmdMemoryPurge(c *commands.Ctx) {
	runtime.GC()
	debug.FreeOSMemory()
	c.W.Simple("OK")
}

func cmdMemoryMallocStats(c *commands.Ctx) {
	m := readMem()
	c.W.BulkString(fmt.Sprintf("Go runtime heap: objects %d bytes, unused %d bytes, released %d bytes, total %d bytes, stacks %d bytes\n",
		m.objects, m.unused, m.released, m.total, m.stacks))
}

func cmdMemoryDoctor(c *commands.Ctx) {
	m := readMem()
	used := m.objects + m.stacks
	rss := rssBytes()
	if used < 5<<20 {
		c.W.BulkString("Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.")
		return
	}
	var report string
	if rss > 0 && float64(rss) > 1.4*float64(used) {
		report += fmt.Sprintf(" * High total RSS: the process holds %s while %s is in use (ratio %.2f). Much of it is heap the Go runtime keeps for reuse after a peak or garbage not collected yet; MEMORY PURGE collects and returns it to the system.\n",
			bytesToHuman(rss), bytesToHuman(used), float64(rss)/float64(used))
	}
	if report == "" {
		c.W.BulkString("Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.")
		return
	}
	c.W.BulkString("Sam, I detected a few issues in this Lightcone instance memory implants:\n\n" + report +
		"\nI'm here to keep you safe, Sam. I want to help you.")
}

func cmdMemoryStats(c *commands.Ctx) {
	s := srv(c)
	m := readMem()
	used := m.objects + m.stacks
	s.admin.notePeak(used)
	peak := s.admin.peakMem.Load()
	rss := rssBytes()
	s.mu.Lock()
	nclients := uint64(len(s.clients))
	s.mu.Unlock()
	clients := nclients * (queryBufSize + replyBufSize + clientStruct)
	overhead := s.admin.startupMem + clients
	dataset := used - min(used, overhead)
	keys := uint64(s.Eng.Keys())
	perKey := uint64(0)
	if keys > 0 {
		perKey = (used - min(used, s.admin.startupMem)) / keys
	}
	active := m.objects + m.unused + m.stacks
	resident := m.total - m.released
	w := c.W
	type kv struct {
		k string
		v any
	}
	fields := []kv{
		{"peak.allocated", peak},
		{"total.allocated", used},
		{"startup.allocated", s.admin.startupMem},
		{"replication.backlog", 0},
		{"clients.slaves", 0},
		{"clients.normal", clients},
		{"cluster.links", 0},
		{"aof.buffer", 0},
		{"overhead.total", overhead},
		{"keys.count", keys},
		{"keys.bytes-per-key", perKey},
		{"dataset.bytes", dataset},
		{"dataset.percentage", 100 * ratio(dataset, used-min(used, s.admin.startupMem))},
		{"peak.percentage", 100 * ratio(used, peak)},
		{"allocator.allocated", m.objects},
		{"allocator.active", active},
		{"allocator.resident", resident},
		{"allocator-fragmentation.ratio", ratio(active, m.objects)},
		{"allocator-fragmentation.bytes", active - min(active, m.objects)},
		{"rss-overhead.ratio", ratio(rss, resident)},
		{"rss-overhead.bytes", int64(rss) - int64(resident)},
		{"fragmentation", ratio(rss, used)},
		{"fragmentation.bytes", int64(rss) - int64(used)},
	}
	w.MapLen(len(fields))
	for _, f := range fields {
		w.BulkString(f.k)
		switch v := f.v.(type) {
		case int:
			w.Int(int64(v))
		case int64:
			w.Int(v)
		case uint64:
			w.Int(int64(v))
		case float64:
			w.Double(v)
		}
	}
}
