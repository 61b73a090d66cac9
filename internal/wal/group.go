package wal

import (
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
// A snapshot's end cut and a change of appendonly must not fall inside a
// command either: they are taken with every shard locked (engine.Frozen),
// and a command holds its shards from its first effect to its end.

// BeginGroup implements engine.GroupSink.
func (s *Store) BeginGroup(g *engine.Group) {}

// EmitIn implements engine.GroupSink.
func (s *Store) EmitIn(e *effect.Effect, g *engine.Group) {
	if t := s.track.Load(); t != nil {
		t.note(e)
	}
}

// EncodeIn implements engine.GroupEncoder: the effect is framed into the
// command's buffer outside the emit lock (the buffer is the command's own,
// and it reaches the log only in EndGroup).
func (s *Store) EncodeIn(e *effect.Effect, g *engine.Group) {
	if s.log.Load() != nil {
		b, at := beginFrame(g.Buf)
		b = e.AppendBinary(b)
		setFrameLen(b, at) // sealed in EndGroup
		g.Buf = b
	}
}

// EndGroup implements engine.GroupSink.
func (s *Store) EndGroup(g *engine.Group) {
	if len(g.Buf) > 0 {
		if l := s.log.Load(); l != nil {
			if s.inTxn.Load() {
				s.txnMu.Lock()
				s.txnBuf = append(s.txnBuf, g.Buf...) // sealed with the rest in EndTxn
				s.txnMu.Unlock()
			} else {
				sealGroup(g.Buf)
				l.appendFrames(g.Buf)
			}
		}
		g.Buf = g.Buf[:0]
	}
}

// BeginTxn says that the commands that follow, until EndTxn, are one
// transaction (MULTI/EXEC, a script): their effects reach the log as one
// piece, so a crash keeps all of them or none. The caller guarantees that
// nothing else writes meanwhile (EXEC runs alone).
func (s *Store) BeginTxn() { s.inTxn.Store(true) }

// EndTxn ends the transaction begun by BeginTxn.
func (s *Store) EndTxn() {
	s.inTxn.Store(false)
	s.txnMu.Lock()
	b := s.txnBuf
	s.txnBuf = s.txnBuf[:0]
	s.txnMu.Unlock()
	if len(b) == 0 {
		return
	}
	if l := s.log.Load(); l != nil {
		sealGroup(b)
		l.appendFrames(b)
	}
	if cap(s.txnBuf) > 1<<20 {
		s.txnBuf = nil
	}
}

// appendFrames appends already framed records.
func (l *Log) appendFrames(b []byte) {
	l.mu.Lock()
	l.buf = append(l.buf, b...)
	l.pos += uint64(len(b))
	l.apos.Store(l.pos)
	big := len(l.buf) >= kickSize
	l.mu.Unlock()
	if big {
		select {
		case l.kick <- struct{}{}:
		default:
		}
	}
}
