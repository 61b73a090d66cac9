package server

import (
	"errors"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/lightconedb/lightcone/internal/commands"
	"github.com/lightconedb/lightcone/internal/effect"
	"github.com/lightconedb/lightcone/internal/notify"
)

// Keyspace notifications, raised from the engine's change hook (so remote
// effects raise them too): every applied effect yields the events of
// notify.Events, each published, when notify-keyspace-events selects its
// class, on __keyspace@<db>__:<key> (message: the event) with K and on
// __keyevent@<db>__:<event> (message: the key) with E. A read that finds no
// key raises "keymiss" (class m) from the engine's miss hook. The same hook
// invalidates tracked keys.

// notifyRawNew remembers that the last notify-keyspace-events value given
// had 'n' next to 'A': Redis keeps the flag although its canonical text
// ("A...") does not show it.
var notifyRawNew atomic.Bool

func init() {
	Params = append(Params,
		&Param{Name: "notify-keyspace-events", Kind: KindString, Default: "", Mutable: true,
			Help: "keyspace notification classes (K E g $ l s h z x e t m d n A)",
			Norm: func(_, v string) (string, error) {
				c, ok := notify.ParseClasses(v)
				if !ok {
					return "", errors.New(notify.InvalidClassError)
				}
				notifyRawNew.Store(c&notify.New != 0)
				return c.String(), nil
			},
			OnSet: func(s *Server, v string) error { s.applyNotify(v); return nil }},
		&Param{Name: "client-output-buffer-limit", Kind: KindString,
			Default: "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60", Mutable: true,
			Help:  "output buffer limits per client class: <class> <hard> <soft> <soft seconds> (pubsub is enforced)",
			Norm:  normOutputLimits,
			OnSet: func(s *Server, v string) error { s.applyOutputLimits(v); return nil }},
		&Param{Name: "tracking-table-max-keys", Kind: KindInt, Default: "1000000", Min: 0, Max: 1<<63 - 1, Mutable: true,
			Help: "most keys remembered for client-side caching (older ones are invalidated)",
			OnSet: func(s *Server, v string) error {
				n, _ := strconv.ParseInt(v, 10, 64)
				s.tracking.maxKeys.Store(n)
				return nil
			}},
	)
}

// initPush sets up pub/sub, notifications, tracking and MONITOR once the
// command table is complete.
func (s *Server) initPush() {
	s.pubsub.init()
	s.tracking.init()
	s.applyNotify(s.Settings.Get("notify-keyspace-events"))
	s.applyOutputLimits(s.Settings.Get("client-output-buffer-limit"))
	s.tracking.maxKeys.Store(s.Settings.Int("tracking-table-max-keys"))
	s.Eng.SetMissHook(s.keyMissed)
	if ping := s.Table.Lookup([]byte("ping")); ping != nil {
		orig := ping.Handler
		ping.Handler = func(c *commands.Ctx) {
			if ps := cli(c).push.Load(); ps.subscribed() && c.W.Proto() == 2 && len(c.Args) <= 2 {
				subscribedPing(c)
				return
			}
			orig(c)
		}
	}
	if reset := s.Table.Lookup([]byte("reset")); reset != nil {
		orig := reset.Handler
		reset.Handler = func(c *commands.Ctx) {
			cl := cli(c)
			if ps := cl.push.Load(); ps != nil {
				s.unsubscribeAll(cl, ps, false)
				s.tracking.disable(cl, ps)
				s.stopMonitor(cl, ps)
			}
			orig(c)
		}
	}
	wrapHandlers(s.Table)
}

func (s *Server) applyNotify(v string) {
	c, _ := notify.ParseClasses(v)
	s.notifyFlags.Store(uint32(c))
}

// notifyClasses is notify-keyspace-events in force. CONFIG SET does not
// re-apply a value whose canonical text did not change ("KEA" after
// "AKE"), so the hidden 'n' of "An" is read from the last value parsed.
func (s *Server) notifyClasses() notify.Class {
	c := notify.Class(s.notifyFlags.Load())
	if c&notify.All == notify.All && notifyRawNew.Load() {
		c |= notify.New
	}
	return c
}

var outputClasses = []string{"normal", "slave", "pubsub"}

// normOutputLimits validates client-output-buffer-limit and merges the
// classes given into the current value, as Redis does.
func normOutputLimits(cur, v string) (string, error) {
	vals := map[string][3]int64{}
	parse := func(s string, strict bool) error {
		f := strings.Fields(s)
		if len(f)%4 != 0 {
			return errors.New("Wrong number of arguments in buffer limit configuration.")
		}
		for i := 0; i < len(f); i += 4 {
			class := strings.ToLower(f[i])
			if class == "replica" {
				class = "slave"
			}
			if class != "normal" && class != "slave" && class != "pubsub" {
				return errors.New("Invalid client class specified in buffer limit configuration.")
			}
			hard, ok1 := ParseMemory(f[i+1])
			soft, ok2 := ParseMemory(f[i+2])
			secs, err := strconv.ParseInt(f[i+3], 10, 64)
			if !ok1 || !ok2 || err != nil || secs < 0 {
				return errors.New("Error in hard, soft or soft_seconds setting in buffer limit configuration.")
			}
			vals[class] = [3]int64{hard, soft, secs}
		}
		return nil
	}
	if err := parse(cur, false); err != nil {
		vals = map[string][3]int64{}
	}
	if err := parse(v, true); err != nil {
		return "", err
	}
	var b strings.Builder
	for i, class := range outputClasses {
		if i > 0 {
			b.WriteByte(' ')
		}
		x := vals[class]
		b.WriteString(class)
		for _, n := range x {
			b.WriteByte(' ')
			b.WriteString(strconv.FormatInt(n, 10))
		}
	}
	return b.String(), nil
}

func (s *Server) applyOutputLimits(v string) {
	f := strings.Fields(v)
	for i := 0; i+3 < len(f); i += 4 {
		if f[i] != "pubsub" {
			continue
		}
		for j := 0; j < 3; j++ {
			n, _ := strconv.ParseInt(f[i+1+j], 10, 64)
			s.pubsubLimit[j].Store(n)
		}
	}
}

// pubsubLimits are client-output-buffer-limit pubsub: hard and soft bytes,
// soft seconds.
func (s *Server) pubsubLimits() (hard, soft, secs int64) {
	return s.pubsubLimit[0].Load(), s.pubsubLimit[1].Load(), s.pubsubLimit[2].Load()
}

// keyspaceChanged is the part of the engine's change hook that raises
// keyspace notifications and invalidates tracked keys. It runs with the
// key's shard locked (the whole database for FLUSHDB).
func (s *Server) keyspaceChanged(db int, key []byte, e *effect.Effect, existed, exists bool) {
	flags := s.notifyClasses()
	order := notify.InvalidationOrderOf(e.Event, exists && !existed)
	tracking := s.tracking.live() && order != notify.InvalidateNever
	if flags&(notify.Keyspace|notify.Keyevent) == 0 && !tracking {
		return
	}
	var origin *client
	if e.ID.Node == s.NodeID {
		origin = s.origin.Load()
	}
	var here *loop
	if origin != nil && origin.fd >= 0 {
		here = origin.loop
	}
	notifying := flags&(notify.Keyspace|notify.Keyevent) != 0
	if key == nil {
		if tracking && e.Op == effect.OpFlushDB && e.Event != notify.None {
			s.tracking.invalidateAll(s, origin, here)
		}
		return
	}
	local := e.ID.Node == s.NodeID
	if e.Event == notify.RenameTo || e.Event == notify.MoveTo {
		// RENAME and MOVE write the destination first, then delete the
		// source. Redis raises "new" (destination) first, then invalidates
		// the source and the destination, then raises rename_from/move_from
		// and rename_to/move_to: hold the destination's invalidation and
		// main events until the source's effect, written by the same Tx
		// (whose effect record is the same object for all its writes). A
		// peer's RENAME arrives as two effects of that peer, the source's
		// after the destination's: those wait per origin (holdRemote).
		h := heldEvents{db: db, key: append([]byte(nil), key...), invalidate: tracking}
		if notifying {
			var buf [4]notify.Event
			for _, ev := range notify.Events(buf[:0], e, existed, exists) {
				switch {
				case flags&ev.Class == 0:
				case ev.Class == notify.New:
					s.keyspaceEvent(flags, db, key, ev.Name, origin, here)
				default:
					h.names = append(h.names, ev.Name)
				}
			}
		}
		if !local {
			s.holdRemote(e.ID.Node, h, flags)
			return
		}
		if h.invalidate || len(h.names) > 0 {
			s.heldMu.Lock()
			if s.held == nil {
				s.held = map[*effect.Effect]heldEvents{}
			}
			s.held[e] = h
			s.heldMu.Unlock()
		}
		return
	}
	var h heldEvents
	switch {
	case !(e.Event == notify.RenameFrom || e.Event == notify.MoveFrom):
	case local:
		s.heldMu.Lock()
		h = s.held[e]
		delete(s.held, e)
		s.heldMu.Unlock()
	default:
		h = s.releaseRemote(e.ID.Node)
	}
	invalidate := func() {
		if tracking {
			s.tracking.invalidateKey(s, key, origin, here)
		}
		if h.invalidate {
			s.tracking.invalidateKey(s, h.key, origin, here)
		}
	}
	if !notifying {
		invalidate()
		return
	}
	var buf [4]notify.Event
	evs := notify.Events(buf[:0], e, existed, exists)
	// "new" comes first (Redis raises it as it adds the key); the
	// invalidation goes where the command's Redis counterpart signals
	for len(evs) > 0 && evs[0].Class == notify.New {
		if flags&notify.New != 0 {
			s.keyspaceEvent(flags, db, key, evs[0].Name, origin, here)
		}
		evs = evs[1:]
	}
	var tail []notify.Event // what follows the invalidation
	switch order {
	case notify.InvalidateFirst:
		invalidate()
	case notify.InvalidateBeforeDel:
		if n := len(evs); n > 0 && evs[n-1].Name == "del" && evs[n-1].Class == notify.Generic {
			evs, tail = evs[:n-1], evs[n-1:]
		}
	}
	for _, ev := range evs {
		if flags&ev.Class != 0 {
			s.keyspaceEvent(flags, db, key, ev.Name, origin, here)
		}
	}
	for _, name := range h.names {
		s.keyspaceEvent(flags, h.db, h.key, name, origin, here)
	}
	if order != notify.InvalidateFirst {
		invalidate() // (nothing to do for InvalidateNever: tracking is off)
	}
	for _, ev := range tail {
		if flags&ev.Class != 0 {
			s.keyspaceEvent(flags, db, key, ev.Name, origin, here)
		}
	}
}

// heldEvents is what a RENAME/MOVE destination's effect leaves for the
// source's (see keyspaceChanged).
type heldEvents struct {
	db         int
	key        []byte
	invalidate bool
	names      []string
}

// keyMissed is the engine's miss hook: "keymiss" (class m).
func (s *Server) keyMissed(db int, key []byte) {
	flags := s.notifyClasses()
	if flags&notify.KeyMiss == 0 || flags&(notify.Keyspace|notify.Keyevent) == 0 {
		return
	}
	origin := s.origin.Load()
	var here *loop
	if origin != nil && origin.fd >= 0 {
		here = origin.loop
	}
	s.keyspaceEvent(flags, db, key, notify.KeyMissEvent().Name, origin, here)
}

// keyspaceEvent publishes one event on the keyspace and keyevent channels.
func (s *Server) keyspaceEvent(flags notify.Class, db int, key []byte, event string, origin *client, here *loop) {
	if s.pubsubEmpty() {
		return
	}
	dbs := strconv.Itoa(db)
	if flags&notify.Keyspace != 0 {
		ch := make([]byte, 0, 16+len(dbs)+len(key))
		ch = append(ch, "__keyspace@"...)
		ch = append(ch, dbs...)
		ch = append(ch, "__:"...)
		ch = append(ch, key...)
		s.publish(ch, []byte(event), origin, here)
	}
	if flags&notify.Keyevent != 0 {
		ch := make([]byte, 0, 16+len(dbs)+len(event))
		ch = append(ch, "__keyevent@"...)
		ch = append(ch, dbs...)
		ch = append(ch, "__:"...)
		ch = append(ch, event...)
		s.publish(ch, key, origin, here)
	}
}

// pubsubEmpty reports whether nobody subscribes to any channel or pattern.
func (s *Server) pubsubEmpty() bool {
	r := &s.pubsub
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.channels) == 0 && len(r.patterns) == 0
}
