// Package commands holds the command table and the handlers of the data
// commands, one file per family. A handler parses its arguments, reads and
// writes the keyspace through one engine transaction, and writes exactly one
// reply. Connection and server commands (CLIENT, CONFIG, INFO, HELLO, ...)
// live in package server and register into the same table.
package commands

import (
	"sort"
	"strings"
	"sync/atomic"

	"github.com/lightconedb/lightcone/internal/engine"
	"github.com/lightconedb/lightcone/internal/resp"
)

// Handler runs one command.
type Handler func(c *Ctx)

// KeysFunc extracts key argument positions for commands whose keys are not a
// plain first/last/step range (COMMAND GETKEYS, ACL, cluster routing).
type KeysFunc func(args [][]byte) []int

// Command describes one command: what COMMAND INFO and COMMAND DOCS report,
// and how to run it.
type Command struct {
	Name       string // lower case; a subcommand is "container|sub"
	Arity      int    // Redis arity: >0 exact, <0 at least -Arity
	Flags      []string
	FirstKey   int
	LastKey    int
	Step       int
	Categories []string // ACL categories without '@'
	Handler    Handler
	Keys       KeysFunc
	Subs       map[string]*Command
	// KeepLock: the command reaches the keyspace only through one Begin1
	// on its key, so an event loop may keep that key's shard lock until
	// its next command (engine.Engine.Loop): see keepLock.
	KeepLock bool

	// documentation (COMMAND DOCS, redis-cli hints)
	Summary    string
	Since      string
	Group      string
	Complexity string
	Syntax     string // argument synopsis, e.g. "key value [NX | XX]"

	Stats CommandStats
}

// CommandStats feed INFO commandstats and latencystats. Every event loop
// counts in its own shard (the caller passes its index; any int will do,
// taken modulo StatShards), so two processors running the same command do
// not pass the counters' cache line back and forth on every call; readers
// add the shards up.
type CommandStats struct {
	sh [StatShards]statShard
}

// StatShards is how many copies of its counters a command keeps.
const StatShards = 4

type statShard struct {
	calls, usec, rejected, failed atomic.Int64
	lat                           atomic.Pointer[Histogram] // allocated at the first Record
	_                             [128 - 5*8]byte           // a shard to a cache line (or two)
}

func (s *CommandStats) shard(i int) *statShard { return &s.sh[i&(StatShards-1)] }

// Count counts calls that took usec microseconds together.
func (s *CommandStats) Count(shard int, calls, usec int64) {
	x := s.shard(shard)
	x.calls.Add(calls)
	x.usec.Add(usec)
}

// Fail counts one failed call; Reject one refused before it ran.
func (s *CommandStats) Fail(shard int)   { s.shard(shard).failed.Add(1) }
func (s *CommandStats) Reject(shard int) { s.shard(shard).rejected.Add(1) }

// Record counts one call's duration (ns) in the latency histogram.
func (s *CommandStats) Record(shard int, ns int64) { s.RecordN(shard, HistIndex(ns), 1) }

// RecordN counts n calls in bucket b of the latency histogram.
func (s *CommandStats) RecordN(shard, b int, n int64) {
	x := s.shard(shard)
	h := x.lat.Load()
	if h == nil {
		x.lat.CompareAndSwap(nil, new(Histogram))
		h = x.lat.Load()
	}
	h[b].Add(n)
}

func (s *CommandStats) sum(f func(x *statShard) *atomic.Int64) int64 {
	n := int64(0)
	for i := range s.sh {
		n += f(&s.sh[i]).Load()
	}
	return n
}

// Calls, Usec, Rejected and Failed are the totals over every shard.
func (s *CommandStats) Calls() int64 {
	return s.sum(func(x *statShard) *atomic.Int64 { return &x.calls })
}
func (s *CommandStats) Usec() int64 {
	return s.sum(func(x *statShard) *atomic.Int64 { return &x.usec })
}
func (s *CommandStats) Rejected() int64 {
	return s.sum(func(x *statShard) *atomic.Int64 { return &x.rejected })
}
func (s *CommandStats) Failed() int64 {
	return s.sum(func(x *statShard) *atomic.Int64 { return &x.failed })
}

// Latency is the latency histogram of every shard together (a copy).
func (s *CommandStats) Latency() *Histogram {
	var h Histogram
	for i := range s.sh {
		if x := s.sh[i].lat.Load(); x != nil {
			for j := range x {
				h[j].Add(x[j].Load())
			}
		}
	}
	return &h
}

// Reset zeroes every counter (CONFIG RESETSTAT).
func (s *CommandStats) Reset() {
	for i := range s.sh {
		x := &s.sh[i]
		x.calls.Store(0)
		x.usec.Store(0)
		x.rejected.Store(0)
		x.failed.Store(0)
		if h := x.lat.Load(); h != nil {
			h.Reset()
		}
	}
}

// Counter is a counter that event loops add to in shards (as CommandStats).
type Counter struct {
	sh [StatShards]struct {
		n atomic.Int64
		_ [120]byte
	}
}

// Add adds n in shard.
func (c *Counter) Add(shard int, n int64) { c.sh[shard&(StatShards-1)].n.Add(n) }

// Load is the total.
func (c *Counter) Load() int64 {
	n := int64(0)
	for i := range c.sh {
		n += c.sh[i].n.Load()
	}
	return n
}

// Reset zeroes the counter.
func (c *Counter) Reset() {
	for i := range c.sh {
		c.sh[i].n.Store(0)
	}
}

// HasFlag reports whether the command has flag f.
func (c *Command) HasFlag(f string) bool {
	for _, x := range c.Flags {
		if x == f {
			return true
		}
	}
	return false
}

// IsWrite reports whether the command may change the keyspace.
func (c *Command) IsWrite() bool { return c.HasFlag("write") }

// KeyPositions returns the argument indexes of the keys in args.
func (c *Command) KeyPositions(args [][]byte) []int {
	if c.Keys != nil {
		return c.Keys(args)
	}
	if c.FirstKey <= 0 {
		return nil
	}
	last := c.LastKey
	if last < 0 {
		last = len(args) + last
	}
	step := c.Step
	if step <= 0 {
		step = 1
	}
	var out []int
	for i := c.FirstKey; i <= last && i < len(args); i += step {
		out = append(out, i)
	}
	return out
}

// Table maps command names to commands.
type Table struct {
	m map[string]*Command
}

// NewTable returns an empty table.
// keepLock lists the plain single-key commands after which an event loop
// keeps the key's shard lock (Command.KeepLock): their handlers touch the
// keyspace only with Begin1 on their one key and wait for nothing else, so
// a pipeline of them on a hot key locks it once per batch. Anything that
// takes other locks, blocks, or runs other commands (MULTI, scripts) is
// left out, and the loop releases the lock before running it.
var keepLock = map[string]bool{}

func init() {
	for _, n := range strings.Fields(`
		get set setnx getset incr decr incrby decrby append strlen
		lpush rpush lpushx rpushx lpop rpop llen lindex lrange lset ltrim lrem linsert lpos
		sadd srem scard sismember smismember smembers spop srandmember
		hset hsetnx hget hmget hmset hdel hlen hexists hstrlen hincrby hincrbyfloat hkeys hvals hgetall
		zadd zincrby zrem zcard zscore zmscore zcount zrank zrevrank zrange zrangebyscore zrevrangebyscore zrevrange zpopmin zpopmax
		pfadd xadd xlen setbit getbit bitcount`) {
		keepLock[n] = true
	}
}

func NewTable() *Table { return &Table{m: map[string]*Command{}} }

// Register adds commands (and their subcommands' full names).
func (t *Table) Register(cmds ...*Command) {
	for _, c := range cmds {
		c.Name = strings.ToLower(c.Name)
		c.KeepLock = keepLock[c.Name]
		t.m[c.Name] = c
		for name, sub := range c.Subs {
			sub.Name = c.Name + "|" + strings.ToLower(name)
		}
	}
}

// Lookup finds a command by its (any case) name without allocating for
// names of up to 32 bytes.
func (t *Table) Lookup(name []byte) *Command {
	var buf [32]byte
	if len(name) <= len(buf) {
		for i, ch := range name {
			if ch >= 'A' && ch <= 'Z' {
				ch += 'a' - 'A'
			}
			buf[i] = ch
		}
		return t.m[string(buf[:len(name)])]
	}
	return t.m[strings.ToLower(string(name))]
}

// LookupSub finds a subcommand of a container command.
func (c *Command) LookupSub(name []byte) *Command {
	if c.Subs == nil {
		return nil
	}
	return c.Subs[strings.ToLower(string(name))]
}

// All returns the commands sorted by name.
func (t *Table) All() []*Command {
	out := make([]*Command, 0, len(t.m))
	for _, c := range t.m {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Len is the number of top-level commands (what COMMAND COUNT reports).
func (t *Table) Len() int { return len(t.m) }

// Client is what data commands may ask of the connection running them.
type Client interface {
	// ID is the client id (CLIENT ID).
	ID() int64
	// SelectDB switches the client's database.
	SelectDB(db int)
}

// Blocker parks clients for blocking commands (BLPOP, BZPOPMIN, XREAD
// BLOCK, ...); the server implements it.
//
// Block parks the client running c until one of keys (of c.DB) is written,
// then calls retry with a fresh Ctx for the same client, database and
// arguments. Blocked clients are retried in the order they blocked (FIFO per
// key). retry either replies and returns true (served, the client is
// unblocked), or writes nothing and returns false (still nothing to take:
// it keeps waiting). When deadlineMs (Unix ms; 0 = never) passes first,
// onTimeout writes the reply. CLIENT UNBLOCK ends the wait the same way
// (TIMEOUT) or with Redis' UNBLOCKED error (ERROR).
type Blocker interface {
	Block(c *Ctx, keys [][]byte, deadlineMs int64, retry func(c *Ctx) bool, onTimeout func(c *Ctx))
}

// Ctx is one command execution.
type Ctx struct {
	Args   [][]byte
	W      *resp.Writer
	Eng    *engine.Engine
	DB     int
	Cmd    *Command
	Client Client
	Server any // the server, for server-package handlers
	// Blocker parks the client for a blocking command; nil when the
	// command must not block (inside MULTI, a script, a retry), in which
	// case a blocking command behaves as if its timeout had passed at once.
	Blocker Blocker

	// Failed is set when the reply was an error (errorstats, failed_calls).
	Failed    bool
	ErrorTag  string // the first word of the error reply
	LastError string // the error reply's text
}

// Arg returns argument i as a string (allocates).
func (c *Ctx) Arg(i int) string { return string(c.Args[i]) }

// Proto is the client's RESP version.
func (c *Ctx) Proto() int { return c.W.Proto() }

// Is reports whether argument i equals word, ignoring case.
func (c *Ctx) Is(i int, word string) bool { return EqualFold(c.Args[i], word) }

// EqualFold compares b with an ASCII word, ignoring case, without allocating.
func EqualFold(b []byte, word string) bool {
	if len(b) != len(word) {
		return false
	}
	for i := 0; i < len(b); i++ {
		x, y := b[i], word[i]
		if x >= 'A' && x <= 'Z' {
			x += 'a' - 'A'
		}
		if y >= 'A' && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
