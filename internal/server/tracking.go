package server

import (
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/lightconedb/lightcone/internal/commands"
)

// Client-side caching: CLIENT TRACKING, CACHING, TRACKINGINFO, GETREDIR.
//
// Default mode: after a read-only command of a tracking client (also one
// that failed, like Redis), the names of its keys are remembered with the
// client's ID (OPTIN: only after CLIENT CACHING YES; OPTOUT: unless CLIENT
// CACHING NO). The change hook — every effect, local or remote, the
// engine's expiry deletions included — looks the key up, tells every
// client that read it (except a NOLOOP client that wrote it itself) and
// forgets it. Like Redis the table holds key names without their database.
//
// BCAST mode: the client registers prefixes; every write of a key under a
// prefix is collected and, after the batch of commands that wrote it, each
// client of the prefix gets one invalidation listing its keys (sorted),
// less the keys it wrote itself when NOLOOP.
//
// FLUSHDB/FLUSHALL tell every tracking client with a null invalidation and
// empty the table. An invalidation is a RESP3 push [invalidate, [keys]] to
// the client or to its REDIRECT target; a RESP2 target gets it as a message
// on __redis__:invalidate if it is subscribed to anything. A client that
// caused the invalidation of its own keys gets it after its reply. When the
// redirect target has gone, a RESP3 client is told [tracking-redir-broken,
// id] instead.

// trackState is a client's tracking mode (in its pushState, guarded by
// trackingRegistry.mu).
type trackState struct {
	on, bcast, optin, optout, noloop bool
	caching                          bool // CLIENT CACHING YES (optin) / NO (optout) for the next command
	broken                           bool // the redirect target is gone
	redirect                         int64
	prefixes                         []string // sorted
}

type bcastPrefix struct {
	clients map[int64]*client
	keys    map[string]int64 // written keys → the ID of the client that wrote it (0: none)
}

type trackingRegistry struct {
	mu       sync.Mutex
	count    atomic.Int64 // clients with tracking on
	keys     atomic.Int64 // len(table): entries outlive their clients' tracking, as in Redis
	table    map[string]map[int64]struct{}
	items    int
	byID     map[int64]*client // clients with tracking on
	prefixes map[string]*bcastPrefix
	pending  atomic.Bool // some prefix has keys to broadcast
	maxKeys  atomic.Int64
}

func (t *trackingRegistry) init() {
	t.table = map[string]map[int64]struct{}{}
	t.byID = map[int64]*client{}
	t.prefixes = map[string]*bcastPrefix{}
	t.maxKeys.Store(1000000)
}

// live reports whether writes have anything to invalidate: a client
// tracks, or the table still names keys (Redis forgets a key when it is
// written, whether or not its readers still track).
func (t *trackingRegistry) live() bool { return t.count.Load() > 0 || t.keys.Load() > 0 }

func (t *trackingRegistry) clearCaching(ps *pushState) {
	t.mu.Lock()
	ps.tr.caching = false
	t.mu.Unlock()
}

// stats are INFO's tracking_total_keys, tracking_total_items,
// tracking_total_prefixes and tracking_clients.
func (t *trackingRegistry) stats() (keys, items, prefixes, clients int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return int64(len(t.table)), int64(t.items), int64(len(t.prefixes)), t.count.Load()
}

// remember records the keys of a read-only command a tracking client ran.
func (t *trackingRegistry) remember(c *client, ps *pushState, ctx *commands.Ctx) {
	if t.count.Load() == 0 || ctx.Cmd == nil {
		return
	}
	t.mu.Lock()
	tr := &ps.tr
	if !tr.on || tr.bcast || (tr.optin && !tr.caching) || (tr.optout && tr.caching) {
		t.mu.Unlock()
		return
	}
	for _, i := range ctx.Cmd.KeyPositions(ctx.Args) {
		ids := t.table[string(ctx.Args[i])]
		if ids == nil {
			ids = map[int64]struct{}{}
			t.table[string(ctx.Args[i])] = ids
			t.keys.Store(int64(len(t.table)))
		}
		if _, ok := ids[c.id]; !ok {
			ids[c.id] = struct{}{}
			t.items++
		}
	}
	var evict []string
	if over := len(t.table) - int(t.maxKeys.Load()); over > 0 && t.maxKeys.Load() > 0 {
		for k := range t.table {
			evict = append(evict, k)
			if len(evict) >= over {
				break
			}
		}
	}
	t.mu.Unlock()
	for _, k := range evict {
		t.invalidateKey(c.s, []byte(k), nil, nil)
	}
}

// trackSend is one invalidation to hand out once the registry is unlocked.
type trackSend struct {
	from     *client // the tracking client
	redirect int64
	payload  []byte // RESP: the array of keys, or a null
}

// invalidateKey tells the clients that read key that it changed; origin
// is the client whose command wrote it (nil if unknown), here the event
// loop running (nil if none).
func (t *trackingRegistry) invalidateKey(s *Server, key []byte, origin *client, here *loop) {
	if !t.live() {
		return
	}
	t.mu.Lock()
	if len(t.prefixes) > 0 {
		var oid int64
		if origin != nil {
			oid = origin.id
		}
		for p, bp := range t.prefixes {
			if strings.HasPrefix(string(key), p) {
				bp.keys[string(key)] = oid
				t.pending.Store(true)
			}
		}
	}
	ids := t.table[string(key)]
	if ids == nil {
		t.mu.Unlock()
		return
	}
	delete(t.table, string(key))
	t.keys.Store(int64(len(t.table)))
	t.items -= len(ids)
	var sends []trackSend
	var payload []byte
	for id := range ids {
		c := t.byID[id]
		if c == nil {
			continue
		}
		tr := &c.push.Load().tr
		if !tr.on || tr.bcast || (tr.noloop && c == origin) {
			continue
		}
		if payload == nil {
			payload = appendBulk([]byte("*1\r\n"), key)
		}
		sends = append(sends, trackSend{from: c, redirect: tr.redirect, payload: payload})
	}
	t.mu.Unlock()
	sort.Slice(sends, func(i, j int) bool { return sends[i].from.id < sends[j].from.id })
	for _, x := range sends {
		s.sendTracking(x, origin, here)
	}
}

// invalidateAll is FLUSHDB/FLUSHALL: every tracking client is told with a
// null, and the table is emptied.
func (t *trackingRegistry) invalidateAll(s *Server, origin *client, here *loop) {
	if !t.live() {
		return
	}
	t.mu.Lock()
	var sends []trackSend
	for _, c := range t.byID {
		tr := &c.push.Load().tr
		sends = append(sends, trackSend{from: c, redirect: tr.redirect})
	}
	t.table = map[string]map[int64]struct{}{}
	t.keys.Store(0)
	t.items = 0
	t.mu.Unlock()
	sort.Slice(sends, func(i, j int) bool { return sends[i].from.id < sends[j].from.id })
	for _, x := range sends {
		s.sendTracking(x, origin, here)
	}
}

// sendTracking delivers one invalidation to the tracking client or its
// redirect target. A nil payload is a null (flush). The invalidations a
// tracking client causes itself wait until its command has replied (as
// Redis' pending keys); others go out at once.
func (s *Server) sendTracking(x trackSend, origin *client, here *loop) {
	deliver := func(to *client, msg []byte) {
		if origin != nil && x.from == origin {
			ops := origin.pushOf()
			ops.later = append(ops.later, laterPush{to: to, msg: msg})
			return
		}
		s.pushTo(to, msg, false, origin, here)
	}
	to := x.from
	redirected := false
	if x.redirect != 0 {
		s.mu.Lock()
		r := s.clients[x.redirect]
		s.mu.Unlock()
		if r == nil || r.killed.Load() {
			fps := x.from.push.Load()
			s.tracking.mu.Lock()
			if fps.tr.on && fps.tr.redirect == x.redirect {
				fps.tr.broken = true
			}
			s.tracking.mu.Unlock()
			if fps.proto.Load() == 3 {
				b := appendPushHeader(nil, 3, 2)
				b = appendBulk(b, []byte("tracking-redir-broken"))
				b = append(b, ':')
				b = strconv.AppendInt(b, x.redirect, 10)
				b = append(b, '\r', '\n')
				deliver(x.from, b)
			}
			return
		}
		to, redirected = r, true
	}
	tps := to.pushOf()
	proto := tps.proto.Load()
	payload := x.payload
	if payload == nil {
		// a flush: Redis writes the null of the tracking client's protocol,
		// whoever receives it
		payload = []byte("$-1\r\n")
		if x.from.push.Load().proto.Load() == 3 {
			payload = []byte("_\r\n")
		}
	}
	if proto == 3 {
		b := make([]byte, 0, 20+len(payload))
		b = appendPushHeader(b, 3, 2)
		b = appendBulk(b, []byte("invalidate"))
		b = append(b, payload...)
		deliver(to, b)
		return
	}
	if redirected && tps.subscribed() {
		m := message{kind: "message", channel: []byte("__redis__:invalidate"), payload: payload, payloadRaw: true}
		deliver(to, m.encoded(proto))
	}
	// RESP2 without a subscribed redirect target: nothing can carry it
}

// laterPush is an invalidation held until the command of the tracking
// client that caused it has replied.
type laterPush struct {
	to  *client
	msg []byte
}

// flushBroadcasts sends the keys collected for BCAST prefixes.
func (t *trackingRegistry) flushBroadcasts(s *Server) {
	if !t.pending.Load() {
		return
	}
	t.mu.Lock()
	if !t.pending.Swap(false) {
		t.mu.Unlock()
		return
	}
	var sends []trackSend
	names := make([]string, 0, len(t.prefixes))
	for p, bp := range t.prefixes {
		if len(bp.keys) > 0 {
			names = append(names, p)
		}
	}
	sort.Strings(names)
	for _, p := range names {
		bp := t.prefixes[p]
		keys := make([]string, 0, len(bp.keys))
		for k := range bp.keys {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		ids := make([]int64, 0, len(bp.clients))
		for id := range bp.clients {
			ids = append(ids, id)
		}
		sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
		var all []byte
		for _, id := range ids {
			c := bp.clients[id]
			tr := &c.push.Load().tr
			var payload []byte
			if tr.noloop {
				n := 0
				var body []byte
				for _, k := range keys {
					if bp.keys[k] != id {
						body = appendBulk(body, []byte(k))
						n++
					}
				}
				if n == 0 {
					continue
				}
				payload = append(append([]byte{'*'}, strconv.Itoa(n)+"\r\n"...), body...)
			} else {
				if all == nil {
					all = append([]byte{'*'}, strconv.Itoa(len(keys))+"\r\n"...)
					for _, k := range keys {
						all = appendBulk(all, []byte(k))
					}
				}
				payload = all
			}
			sends = append(sends, trackSend{from: c, redirect: tr.redirect, payload: payload})
		}
		bp.keys = map[string]int64{}
	}
	t.mu.Unlock()
	for _, x := range sends {
		s.sendTracking(x, nil, nil)
	}
}

// enable turns tracking on (or updates it) as Redis' enableTracking.
func (t *trackingRegistry) enable(c *client, ps *pushState, redirect int64, bcast, optin, optout, noloop bool, prefixes []string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	tr := &ps.tr
	if !tr.on {
		t.count.Add(1)
		t.byID[c.id] = c
	}
	tr.on = true
	ps.trOn.Store(true)
	tr.broken, tr.bcast, tr.optin, tr.optout, tr.noloop = false, false, false, false, false
	tr.redirect = redirect
	if bcast {
		tr.bcast = true
		if len(prefixes) == 0 {
			prefixes = []string{""}
		}
		for _, p := range prefixes {
			bp := t.prefixes[p]
			if bp == nil {
				bp = &bcastPrefix{clients: map[int64]*client{}, keys: map[string]int64{}}
				t.prefixes[p] = bp
			}
			bp.clients[c.id] = c
			found := false
			for _, x := range tr.prefixes {
				if x == p {
					found = true
					break
				}
			}
			if !found {
				tr.prefixes = append(tr.prefixes, p)
			}
		}
		sort.Strings(tr.prefixes)
	}
	tr.optin, tr.optout, tr.noloop = optin, optout, noloop
}

// disable turns tracking off (CLIENT TRACKING OFF, RESET, disconnect).
func (t *trackingRegistry) disable(c *client, ps *pushState) {
	t.mu.Lock()
	defer t.mu.Unlock()
	tr := &ps.tr
	if tr.bcast {
		for _, p := range tr.prefixes {
			if bp := t.prefixes[p]; bp != nil {
				delete(bp.clients, c.id)
				if len(bp.clients) == 0 {
					delete(t.prefixes, p)
				}
			}
		}
		tr.prefixes = nil
	}
	if tr.on {
		t.count.Add(-1)
		delete(t.byID, c.id)
		tr.on, tr.broken, tr.bcast, tr.optin, tr.optout, tr.caching, tr.noloop = false, false, false, false, false, false, false
		ps.trOn.Store(false)
	}
}

func init() {
	conn := []string{"noscript", "loading", "stale"}
	cats := []string{"slow", "connection"}
	sub := func(name string, arity int, since, complexity, syntax, summary string, h commands.Handler) *commands.Command {
		return &commands.Command{Name: name, Arity: arity, Flags: conn, Categories: cats, Since: since,
			Group: "connection", Complexity: complexity, Syntax: syntax, Summary: summary, Handler: h}
	}
	moreClientSubs = append(moreClientSubs,
		sub("tracking", -3, "6.0.0", "O(1). Some options may introduce additional complexity.",
			"<ON | OFF> [REDIRECT client-id] [PREFIX prefix [PREFIX prefix ...]] [BCAST] [OPTIN] [OPTOUT] [NOLOOP]",
			"Controls server-assisted client-side caching for the connection.", cmdClientTracking),
		sub("caching", 3, "6.0.0", "O(1)", "<YES | NO>",
			"Instructs the server whether to track the keys in the next request.", cmdClientCaching),
		sub("trackinginfo", 2, "6.2.0", "O(1)", "",
			"Returns information about server-assisted client-side caching for the connection.", cmdClientTrackingInfo),
		sub("getredir", 2, "6.0.0", "O(1)", "",
			"Returns the client ID to which the connection's tracking notifications are redirected.", cmdClientGetRedir),
	)
	moreClientHelp = append(moreClientHelp,
		"CACHING (YES|NO)",
		"    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
		"GETREDIR",
		"    Return the client ID we are redirecting to when tracking is enabled.",
		"TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
		"         [OPTIN] [OPTOUT] [NOLOOP]",
		"    Control server assisted client side caching.",
		"TRACKINGINFO",
		"    Report tracking status for the current connection.")
}

// prefixOverlap reports whether one of a, b is a prefix of the other.
func prefixOverlap(a, b string) bool {
	n := min(len(a), len(b))
	return a[:n] == b[:n]
}

// cstr is a string as C's "%s" prints it: up to its first NUL byte.
func cstr(s string) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return s[:i]
	}
	return s
}

func cmdClientTracking(c *commands.Ctx) {
	s := srv(c)
	cl := cli(c)
	var redirect int64
	var bcast, optin, optout, noloop bool
	var prefixes []string
	for j := 3; j < len(c.Args); j++ {
		more := len(c.Args) - 1 - j
		switch {
		case c.Is(j, "redirect") && more > 0:
			j++
			if redirect != 0 {
				c.Error("ERR A client can only redirect to a single other client")
				return
			}
			id, ok := commands.ParseInt(c.Args[j])
			if !ok {
				c.Error(commands.ErrNotInt)
				return
			}
			s.mu.Lock()
			target := s.clients[id]
			s.mu.Unlock()
			if target == nil || target.killed.Load() {
				c.Error("ERR The client ID you want redirect to does not exist")
				return
			}
			redirect = id
			// its own writes may now send it invalidations: like a tracking
			// client it runs its commands alone (pubsub_push.go)
			target.pushOf().target.Store(true)
		case c.Is(j, "bcast"):
			bcast = true
		case c.Is(j, "optin"):
			optin = true
		case c.Is(j, "optout"):
			optout = true
		case c.Is(j, "noloop"):
			noloop = true
		case c.Is(j, "prefix") && more > 0:
			j++
			prefixes = append(prefixes, string(c.Args[j]))
		default:
			c.Syntax()
			return
		}
	}
	switch {
	case c.Is(2, "on"):
	case c.Is(2, "off"):
		if ps := cl.push.Load(); ps != nil {
			s.tracking.disable(cl, ps)
		}
		c.OK()
		return
	default:
		c.Syntax()
		return
	}
	if !bcast && len(prefixes) > 0 {
		c.Error("ERR PREFIX option requires BCAST mode to be enabled")
		return
	}
	ps := cl.pushOf()
	t := &s.tracking
	t.mu.Lock()
	cur := ps.tr
	cur.prefixes = append([]string(nil), ps.tr.prefixes...)
	t.mu.Unlock()
	if cur.on && cur.bcast != bcast {
		c.Error("ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.")
		return
	}
	if bcast && (optin || optout) {
		c.Error("ERR OPTIN and OPTOUT are not compatible with BCAST")
		return
	}
	if optin && optout {
		c.Error("ERR You can't specify both OPTIN mode and OPTOUT mode")
		return
	}
	if (optin && cur.optout) || (optout && cur.optin) {
		c.Error("ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.")
		return
	}
	if bcast {
		for i, p := range prefixes {
			for _, e := range cur.prefixes {
				if prefixOverlap(e, p) {
					c.Errorf("ERR Prefix '%s' overlaps with an existing prefix '%s'. Prefixes for a single client must not overlap.", cstr(p), cstr(e))
					return
				}
			}
			for _, q := range prefixes[i+1:] {
				if prefixOverlap(p, q) {
					c.Errorf("ERR Prefix '%s' overlaps with another provided prefix '%s'. Prefixes for a single client must not overlap.", cstr(p), cstr(q))
					return
				}
			}
		}
	}
	t.enable(cl, ps, redirect, bcast, optin, optout, noloop, prefixes)
	c.OK()
}

func cmdClientCaching(c *commands.Ctx) {
	cl := cli(c)
	t := &srv(c).tracking
	ps := cl.push.Load()
	t.mu.Lock()
	defer t.mu.Unlock()
	if ps == nil || !ps.tr.on {
		c.Error("ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled")
		return
	}
	switch {
	case c.Is(2, "yes"):
		if !ps.tr.optin {
			c.Error("ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.")
			return
		}
	case c.Is(2, "no"):
		if !ps.tr.optout {
			c.Error("ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.")
			return
		}
	default:
		c.Syntax()
		return
	}
	ps.tr.caching = true
	c.OK()
}

func cmdClientTrackingInfo(c *commands.Ctx) {
	cl := cli(c)
	t := &srv(c).tracking
	var tr trackState
	if ps := cl.push.Load(); ps != nil {
		t.mu.Lock()
		tr = ps.tr
		tr.prefixes = append([]string(nil), ps.tr.prefixes...)
		t.mu.Unlock()
	}
	flags := []string{"off"}
	if tr.on {
		flags[0] = "on"
	}
	if tr.bcast {
		flags = append(flags, "bcast")
	}
	if tr.optin {
		flags = append(flags, "optin")
		if tr.caching {
			flags = append(flags, "caching-yes")
		}
	}
	if tr.optout {
		flags = append(flags, "optout")
		if tr.caching {
			flags = append(flags, "caching-no")
		}
	}
	if tr.noloop {
		flags = append(flags, "noloop")
	}
	if tr.broken {
		flags = append(flags, "broken_redirect")
	}
	w := c.W
	w.MapLen(3)
	w.BulkString("flags")
	w.SetLen(len(flags))
	for _, f := range flags {
		w.BulkString(f)
	}
	w.BulkString("redirect")
	if tr.on {
		w.Int(tr.redirect)
	} else {
		w.Int(-1)
	}
	w.BulkString("prefixes")
	w.ArrayLen(len(tr.prefixes))
	for _, p := range tr.prefixes {
		w.BulkString(p)
	}
}

func cmdClientGetRedir(c *commands.Ctx) {
	cl := cli(c)
	t := &srv(c).tracking
	if ps := cl.push.Load(); ps != nil {
		t.mu.Lock()
		on, r := ps.tr.on, ps.tr.redirect
		t.mu.Unlock()
		if on {
			c.W.Int(r)
			return
		}
	}
	c.W.Int(-1)
}

// trackingFlags are the CLIENT LIST flags of a tracking client: t, R, B.
func (t *trackingRegistry) listFlags(ps *pushState) (flags string, redir int64) {
	redir = -1
	if ps == nil || t.count.Load() == 0 {
		return "", redir
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	tr := &ps.tr
	if !tr.on {
		return "", redir
	}
	flags = "t"
	if tr.broken {
		flags += "R"
	}
	if tr.bcast {
		flags += "B"
	}
	return flags, tr.redirect
}
