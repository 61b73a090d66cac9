package wal

import (
	"encoding/binary"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lightconedb/lightcone/internal/effect"
	"github.com/lightconedb/lightcone/internal/engine"
)

// Commands and the log. A command's effects (an MSET's writes, a RENAME's
// delete and write, a FLUSHALL's flushes) are staged in its group and reach
// the log buffer together when the command ends, so a crash can never leave
// part of a command on disk. Concurrent commands touch disjoint shards (they
// hold their locks), so writing a command's effects when it ends instead of
// as they were stamped changes nothing on replay.
//
// The gate counts open groups; a snapshot's end cut and a change of
// appendonly wait at the gate for a moment with none (new commands wait
// meanwhile), so they never fall inside a command either.

// BeginGroup implements engine.GroupSink.
func (s *Store) BeginGroup(g *engine.Group) { s.gate.enter() }

// EmitIn implements engine.GroupSink.
func (s *Store) EmitIn(e *effect.Effect, g *engine.Group) {
	if t := s.track.Load(); t != nil {
		t.note(e)
	}
	if s.log.Load() != nil {
		b, at := beginFrame(g.Buf)
		b = e.AppendBinary(b)
		binary.LittleEndian.PutUint32(b[at:], uint32(len(b)-at-frameHeader)) // sealed in EndGroup
		g.Buf = b
	}
}

// EndGroup implements engine.GroupSink.
func (s *Store) EndGroup(g *engine.Group) {
	if len(g.Buf) > 0 {
		if l := s.log.Load(); l != nil {
			sealGroup(g.Buf)
			l.appendFrames(g.Buf)
		}
		g.Buf = g.Buf[:0]
	}
	s.gate.exit()
}

// appendFrames appends already framed records.
func (l *Log) appendFrames(b []byte) {
	l.mu.Lock()
	l.buf = append(l.buf, b...)
	l.pos.Add(uint64(len(b)))
	big := len(l.buf) >= kickSize
	l.mu.Unlock()
	if big {
		select {
		case l.kick <- struct{}{}:
		default:
		}
	}
}

// gate lets the store find a moment when no command is between its first
// and last effect.
type gate struct {
	open    atomic.Int64
	closing atomic.Bool
	mu      sync.Mutex
	cond    sync.Cond
}

func (g *gate) enter() {
	for {
		g.open.Add(1)
		if !g.closing.Load() {
			return
		}
		g.open.Add(-1)
		g.mu.Lock()
		for g.closing.Load() {
			if g.cond.L == nil {
				g.cond.L = &g.mu
			}
			g.cond.Wait()
		}
		g.mu.Unlock()
	}
}

func (g *gate) exit() { g.open.Add(-1) }

// quiesce runs fn while no group is open and none can open. A command that
// opened a group and then waits for another (one goroutine nesting two
// commands) would wait for the gate forever, so the gate opens again after
// a while and the attempt is repeated.
func (g *gate) quiesce(fn func()) {
	for {
		g.mu.Lock()
		if g.cond.L == nil {
			g.cond.L = &g.mu
		}
		g.closing.Store(true)
		g.mu.Unlock()
		deadline := time.Now().Add(50 * time.Millisecond)
		ok := true
		for spins := 0; g.open.Load() != 0; spins++ {
			if time.Now().After(deadline) {
				ok = false
				break
			}
			if spins < 100 {
				runtime.Gosched()
			} else {
				time.Sleep(20 * time.Microsecond)
			}
		}
		if ok {
			fn()
		}
		g.mu.Lock()
		g.closing.Store(false)
		g.cond.Broadcast()
		g.mu.Unlock()
		if ok {
			return
		}
		time.Sleep(time.Millisecond)
	}
}
