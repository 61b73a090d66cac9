package server

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lightconedb/lightcone/internal/commands"
)

// maxmemory with Redis' default policy, noeviction: once used_memory (INFO
// memory's, the Go heap's live and not yet collected objects plus stacks)
// is above maxmemory, commands that may grow the data (flag denyoom) are
// refused with Redis' OOM error, as are commands queued in MULTI, and a
// script's first write. Reads, deletes and everything else go on, so a
// client can make room. The other policies evict keys; they are not built
// yet and are refused by name rather than accepted and ignored.
//
// Redis measures its allocator before every command; the Go heap cannot
// be read that cheaply, so the cron samples it (every 1/hz s, and at once
// when maxmemory changes). The heap counts garbage the collector has not
// reclaimed yet: before refusing writes the node collects (at most once a
// second) and measures again, so deleted data stops counting.

const oomError = "OOM command not allowed when used memory > 'maxmemory'."

// evictionPolicies are Redis' maxmemory-policy values; only noeviction is
// built.
var evictionPolicies = []string{"volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl",
	"allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction"}

func init() {
	Params = append(Params,
		&Param{Name: "maxmemory", Kind: KindMemory, Default: "0", Min: 0, Max: 1<<63 - 1, Mutable: true,
			Help: "refuse commands that add data (Redis' denyoom commands) with an OOM error while used_memory is above this; 0 = no limit",
			OnSet: func(s *Server, v string) error {
				s.mem.check(s, true)
				return nil
			}},
		&Param{Name: "maxmemory-policy", Kind: KindEnum, Default: "noeviction", Mutable: true,
			Help: "what to do at maxmemory: noeviction (refuse writes; the eviction policies are not built yet)",
			Norm: func(_, v string) (string, error) {
				v = strings.ToLower(v)
				for _, p := range evictionPolicies {
					if p == v && p != "noeviction" {
						return "", fmt.Errorf("'%s' is not supported by Lightcone yet: it does not evict keys; only noeviction is", v)
					}
				}
				if v != "noeviction" {
					return "", fmt.Errorf("argument(s) must be one of the following: %s", strings.Join(evictionPolicies, ", "))
				}
				return v, nil
			}},
		&Param{Name: "maxmemory-samples", Kind: KindInt, Default: "5", Min: 1, Max: 1<<31 - 1, Mutable: true,
			Help: "keys sampled per eviction (kept for the eviction policies; noeviction samples none)"},
		&Param{Name: "maxmemory-eviction-tenacity", Kind: KindInt, Default: "10", Min: 0, Max: 100, Mutable: true,
			Help: "how hard eviction tries per command (kept for the eviction policies)"},
	)
}

// memState is the server's side of maxmemory.
type memState struct {
	over   atomic.Bool // used_memory was above maxmemory at the last check
	mu     sync.Mutex  // one check at a time
	lastGC time.Time   // the last collection a check forced
}

// check samples used_memory against maxmemory (the cron, and CONFIG SET
// maxmemory with now): above it, it collects garbage first unless it did
// less than a second ago (or now is set: a limit just set is judged on
// live data at once).
func (m *memState) check(s *Server, now bool) {
	limit, _ := ParseMemory(s.Settings.Get("maxmemory"))
	if limit <= 0 {
		m.over.Store(false)
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	used := heapBytes()
	if used > uint64(limit) && (now || time.Since(m.lastGC) >= time.Second) {
		runtime.GC()
		m.lastGC = time.Now()
		used = heapBytes()
	}
	was := m.over.Swap(used > uint64(limit))
	if !was && used > uint64(limit) {
		s.Log.Warn("used memory is above maxmemory: refusing commands that add data (maxmemory-policy noeviction)",
			"used_memory", used, "maxmemory", limit)
	}
}

// oomRefuses reports whether cmd must be refused for memory, as Redis'
// processCommand decides: a denyoom command, any command but EXEC,
// DISCARD, QUIT and RESET while a MULTI is open, and EXEC of a
// transaction that queued a denyoom command.
func (s *Server) oomRefuses(c *client, cmd *commands.Command) bool {
	if !s.mem.over.Load() {
		return false
	}
	if cmd.HasFlag("denyoom") {
		return true
	}
	if c.inMulti {
		switch cmd.Name {
		case "exec":
			return c.queuedDenyOOM()
		case "discard", "quit", "reset":
			return false
		}
		return true
	}
	return false
}

// queuedDenyOOM reports whether the open transaction queued a command that
// may add data.
func (c *client) queuedDenyOOM() bool {
	for _, q := range c.multiQueue {
		if q.cmd.HasFlag("denyoom") {
			return true
		}
	}
	return false
}
