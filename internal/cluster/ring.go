package cluster

import (
	"sync"

	"github.com/lightconedb/lightcone/internal/effect"
)

// Retained keeps, per origin, the most recent encoded effects in Seq order
// within a byte budget per origin: the source of the effect streams and of
// catch-up fetches. (The durable effect log will take its place.)
type Retained struct {
	mu     sync.Mutex
	budget int
	logs   map[effect.NodeID]*originLog
}

type originLog struct {
	first uint64   // Seq of recs[head]
	recs  [][]byte // recs[head:] are live
	head  int
	bytes int
}

// NewRetained makes a store keeping at most budget bytes per origin (at
// least the latest effect is always kept).
func NewRetained(budget int) *Retained {
	return &Retained{budget: budget, logs: map[effect.NodeID]*originLog{}}
}

func (l *originLog) last() uint64 { return l.first + uint64(len(l.recs)-l.head) - 1 }

// Add appends origin's effect seq (encoded rec, owned by the store from now
// on). Effects of one origin must come in Seq order; a gap restarts the log.
func (r *Retained) Add(origin effect.NodeID, seq uint64, rec []byte) {
	r.mu.Lock()
	l := r.logs[origin]
	if l == nil {
		l = &originLog{}
		r.logs[origin] = l
	}
	if len(l.recs) == l.head || seq != l.last()+1 {
		if len(l.recs) > l.head && seq <= l.last() {
			r.mu.Unlock()
			return // already have it
		}
		clear(l.recs)
		l.recs, l.head, l.bytes, l.first = l.recs[:0], 0, 0, seq
	}
	l.recs = append(l.recs, rec)
	l.bytes += len(rec) + 24
	for l.bytes > r.budget && len(l.recs)-l.head > 1 {
		l.bytes -= len(l.recs[l.head]) + 24
		l.recs[l.head] = nil
		l.head++
		l.first++
	}
	if l.head > 1024 && l.head > len(l.recs)/2 {
		n := copy(l.recs, l.recs[l.head:])
		clear(l.recs[n:])
		l.recs = l.recs[:n]
		l.head = 0
	}
	r.mu.Unlock()
}

// Range appends to dst the retained records of origin from seq on, at most
// max records or maxBytes bytes. evicted reports that seq is older than the
// oldest retained record (nothing is returned then).
func (r *Retained) Range(origin effect.NodeID, seq uint64, max, maxBytes int, dst [][]byte) (out [][]byte, evicted bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	l := r.logs[origin]
	if l == nil || len(l.recs) == l.head {
		return dst, seq > 0 && seq <= r.lastLocked(origin)
	}
	if seq < l.first {
		return dst, true
	}
	n := 0
	for i := l.head + int(seq-l.first); i < len(l.recs) && len(dst) < max && n < maxBytes; i++ {
		dst = append(dst, l.recs[i])
		n += len(l.recs[i])
	}
	return dst, false
}

func (r *Retained) lastLocked(origin effect.NodeID) uint64 {
	l := r.logs[origin]
	if l == nil || len(l.recs) == l.head {
		return 0
	}
	return l.last()
}

// Span is the retained Seq range of origin (0, 0 when none).
func (r *Retained) Span(origin effect.NodeID) (first, last uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	l := r.logs[origin]
	if l == nil || len(l.recs) == l.head {
		return 0, 0
	}
	return l.first, l.last()
}

// TrimTo drops origin's records up to seq (the latest one stays).
func (r *Retained) TrimTo(origin effect.NodeID, seq uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	l := r.logs[origin]
	if l == nil {
		return
	}
	for l.first <= seq && len(l.recs)-l.head > 1 {
		l.bytes -= len(l.recs[l.head]) + 24
		l.recs[l.head] = nil
		l.head++
		l.first++
	}
	if l.head > 0 && l.head >= len(l.recs)/2 {
		n := copy(l.recs, l.recs[l.head:])
		clear(l.recs[n:])
		l.recs = l.recs[:n]
		l.head = 0
		if cap(l.recs) > 4*len(l.recs)+1024 {
			l.recs = append([][]byte(nil), l.recs...) // give back the room a busy period took
		}
	}
}

// Bytes is the memory held, approximately.
func (r *Retained) Bytes() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, l := range r.logs {
		n += l.bytes
	}
	return n
}
