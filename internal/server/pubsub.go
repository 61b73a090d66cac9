package server

import (
	"sort"
	"sync"

	"github.com/lightconedb/lightcone/internal/cluster"
	"github.com/lightconedb/lightcone/internal/commands"
)

// Pub/Sub: SUBSCRIBE UNSUBSCRIBE PSUBSCRIBE PUNSUBSCRIBE SSUBSCRIBE
// SUNSUBSCRIBE PUBLISH SPUBLISH PUBSUB.
//
// The registry maps each channel, pattern and shard channel to its
// subscribers in subscription order. PUBLISH delivers to a channel's
// subscribers, then to every client of every matching pattern (a client
// with two matching patterns gets two pmessages and counts twice); Redis
// walks its patterns in hash order, here they go in the order they were
// first subscribed. Messages are encoded once per protocol and handed to
// each subscriber (pushTo); the publisher never waits for a subscriber.
//
// A RESP2 client with any subscription is in "subscribed mode": only
// (P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE, PING, QUIT and RESET are allowed, and
// PING replies ["pong", message]. RESP3 clients get messages as push
// frames ('>') and may run anything.

type pubsubRegistry struct {
	mu       sync.RWMutex
	channels map[string][]*client
	shard    map[string][]*client
	patterns map[string][]*client
	patOrder []string // patterns with subscribers, first subscription first
}

func (r *pubsubRegistry) init() {
	r.channels = map[string][]*client{}
	r.shard = map[string][]*client{}
	r.patterns = map[string][]*client{}
}

func removeClient(list []*client, c *client) []*client {
	for i, x := range list {
		if x == c {
			return append(list[:i:i], list[i+1:]...)
		}
	}
	return list
}

// Pubsub message kinds and the subscription kinds of the three namespaces.
type subKind struct {
	sub, unsub string // reply names
}

var (
	kindChannel = subKind{"subscribe", "unsubscribe"}
	kindPattern = subKind{"psubscribe", "punsubscribe"}
	kindShard   = subKind{"ssubscribe", "sunsubscribe"}
)

func (s *Server) registerPubSub(t *commands.Table) {
	ps := []string{"pubsub", "noscript", "loading", "stale"}
	cats := []string{"pubsub", "slow"}
	t.Register(
		&commands.Command{Name: "subscribe", Arity: -2, Flags: ps, Categories: cats, Since: "2.0.0", Group: "pubsub",
			Complexity: "O(N) where N is the number of channels to subscribe to.", Syntax: "channel [channel ...]",
			Summary: "Listens for messages published to channels.", Handler: cmdSubscribe},
		&commands.Command{Name: "unsubscribe", Arity: -1, Flags: ps, Categories: cats, Since: "2.0.0", Group: "pubsub",
			Complexity: "O(N) where N is the number of channels to unsubscribe.", Syntax: "[channel [channel ...]]",
			Summary: "Stops listening to messages posted to channels.", Handler: cmdUnsubscribe},
		&commands.Command{Name: "psubscribe", Arity: -2, Flags: ps, Categories: cats, Since: "2.0.0", Group: "pubsub",
			Complexity: "O(N) where N is the number of patterns to subscribe to.", Syntax: "pattern [pattern ...]",
			Summary: "Listens for messages published to channels that match one or more patterns.", Handler: cmdPSubscribe},
		&commands.Command{Name: "punsubscribe", Arity: -1, Flags: ps, Categories: cats, Since: "2.0.0", Group: "pubsub",
			Complexity: "O(N) where N is the number of patterns to unsubscribe.", Syntax: "[pattern [pattern ...]]",
			Summary: "Stops listening to messages published to channels that match one or more patterns.", Handler: cmdPUnsubscribe},
		&commands.Command{Name: "ssubscribe", Arity: -2, Flags: ps, Categories: cats, Since: "7.0.0", Group: "pubsub",
			FirstKey: 1, LastKey: -1, Step: 1,
			Complexity: "O(N) where N is the number of shard channels to subscribe to.", Syntax: "shardchannel [shardchannel ...]",
			Summary: "Listens for messages published to shard channels.", Handler: cmdSSubscribe},
		&commands.Command{Name: "sunsubscribe", Arity: -1, Flags: ps, Categories: cats, Since: "7.0.0", Group: "pubsub",
			FirstKey: 1, LastKey: -1, Step: 1,
			Complexity: "O(N) where N is the number of shard channels to unsubscribe.", Syntax: "[shardchannel [shardchannel ...]]",
			Summary: "Stops listening to messages posted to shard channels.", Handler: cmdSUnsubscribe},
		&commands.Command{Name: "publish", Arity: 3, Flags: []string{"pubsub", "loading", "stale", "fast"}, Categories: []string{"pubsub", "fast"},
			Since: "2.0.0", Group: "pubsub", Syntax: "channel message",
			Complexity: "O(N+M) where N is the number of clients subscribed to the receiving channel and M is the total number of subscribed patterns (by any client).",
			Summary:    "Posts a message to a channel.", Handler: cmdPublish},
		&commands.Command{Name: "spublish", Arity: 3, Flags: []string{"pubsub", "loading", "stale", "fast"}, Categories: []string{"pubsub", "fast"},
			Since: "7.0.0", Group: "pubsub", Syntax: "shardchannel message", FirstKey: 1, LastKey: 1, Step: 1,
			Complexity: "O(N) where N is the number of clients subscribed to the receiving shard channel.",
			Summary:    "Post a message to a shard channel", Handler: cmdSPublish},
	)
	sub := func(name string, arity int, flags []string, cats []string, since, complexity, syntax, summary string, h commands.Handler) *commands.Command {
		return &commands.Command{Name: name, Arity: arity, Flags: flags, Categories: cats, Since: since, Group: "pubsub",
			Complexity: complexity, Syntax: syntax, Summary: summary, Handler: h}
	}
	pf := []string{"pubsub", "loading", "stale"}
	t.Register(&commands.Command{
		Name: "pubsub", Arity: -2, Categories: []string{"slow"}, Since: "2.8.0", Group: "pubsub",
		Complexity: "Depends on subcommand.", Summary: "A container for Pub/Sub commands.",
		Handler: func(c *commands.Ctx) { c.WrongArgs() },
		Subs: map[string]*commands.Command{
			"channels": sub("channels", -2, pf, cats, "2.8.0",
				"O(N) where N is the number of active channels, and assuming constant time pattern matching (relatively short channels and patterns)",
				"[pattern]", "Returns the active channels.", func(c *commands.Ctx) { pubsubChannels(c, false) }),
			"shardchannels": sub("shardchannels", -2, pf, cats, "7.0.0",
				"O(N) where N is the number of active shard channels, and assuming constant time pattern matching (relatively short shard channels).",
				"[pattern]", "Returns the active shard channels.", func(c *commands.Ctx) { pubsubChannels(c, true) }),
			"numsub": sub("numsub", -2, pf, cats, "2.8.0", "O(N) for the NUMSUB subcommand, where N is the number of requested channels",
				"[channel [channel ...]]", "Returns a count of subscribers to channels.", func(c *commands.Ctx) { pubsubNumSub(c, false) }),
			"shardnumsub": sub("shardnumsub", -2, pf, cats, "7.0.0", "O(N) for the SHARDNUMSUB subcommand, where N is the number of requested shard channels",
				"[shardchannel [shardchannel ...]]", "Returns the count of subscribers of shard channels.", func(c *commands.Ctx) { pubsubNumSub(c, true) }),
			"numpat": sub("numpat", 2, pf, cats, "2.8.0", "O(1)", "",
				"Returns a count of unique pattern subscriptions.", func(c *commands.Ctx) {
					r := &srv(c).pubsub
					r.mu.RLock()
					n := len(r.patterns)
					r.mu.RUnlock()
					c.W.Int(int64(n))
				}),
			"help": sub("help", 2, []string{"loading", "stale"}, []string{"slow"}, "6.2.0", "O(1)", "",
				"Returns helpful text about the different subcommands.", func(c *commands.Ctx) {
					writeHelp(c, "PUBSUB",
						"CHANNELS [<pattern>]",
						"    Return the currently active channels matching a <pattern> (default: '*').",
						"NUMPAT",
						"    Return number of subscriptions to patterns.",
						"NUMSUB [<channel> ...]",
						"    Return the number of subscribers for the specified channels, excluding",
						"    pattern subscriptions(default: no channels).",
						"SHARDCHANNELS [<pattern>]",
						"    Return the currently active shard level channels matching a <pattern> (default: '*').",
						"SHARDNUMSUB [<shardchannel> ...]",
						"    Return the number of subscribers for the specified shard level channel(s)")
				}),
		},
	})
}

func init() {
	serverFamilies = append(serverFamilies, func(s *Server, t *commands.Table) { s.registerPubSub(t) })
}

// writeSubReply writes one (un)subscribe confirmation: [kind, name|nil, count].
func writeSubReply(c *commands.Ctx, kind string, name []byte, null bool, count int32) {
	w := c.W
	w.PushLen(3)
	w.BulkString(kind)
	if null {
		w.Null()
	} else {
		w.Bulk(name)
	}
	w.Int(int64(count))
}

func cmdSubscribe(c *commands.Ctx) {
	cl := cli(c)
	s := srv(c)
	ps := cl.pushOf()
	for _, ch := range c.Args[1:] {
		s.subscribe(cl, ps, kindChannel, ch)
		writeSubReply(c, kindChannel.sub, ch, false, ps.nsub.Load()+ps.npsub.Load())
	}
}

func cmdPSubscribe(c *commands.Ctx) {
	cl := cli(c)
	s := srv(c)
	ps := cl.pushOf()
	for _, p := range c.Args[1:] {
		s.subscribe(cl, ps, kindPattern, p)
		writeSubReply(c, kindPattern.sub, p, false, ps.nsub.Load()+ps.npsub.Load())
	}
}

func cmdSSubscribe(c *commands.Ctx) {
	cl := cli(c)
	if cl.execDepth > 0 {
		// EXEC runs its commands as a client that must not block (Redis'
		// CLIENT_DENY_BLOCKING), which SSUBSCRIBE refuses
		c.Error("ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client")
		return
	}
	s := srv(c)
	ps := cl.pushOf()
	for _, ch := range c.Args[1:] {
		s.subscribe(cl, ps, kindShard, ch)
		writeSubReply(c, kindShard.sub, ch, false, ps.nssub.Load())
	}
}

func cmdUnsubscribe(c *commands.Ctx)  { unsubscribeCmd(c, kindChannel) }
func cmdPUnsubscribe(c *commands.Ctx) { unsubscribeCmd(c, kindPattern) }
func cmdSUnsubscribe(c *commands.Ctx) { unsubscribeCmd(c, kindShard) }

func unsubscribeCmd(c *commands.Ctx, k subKind) {
	cl := cli(c)
	s := srv(c)
	ps := cl.push.Load()
	count := func() int32 {
		if ps == nil {
			return 0
		}
		if k == kindShard {
			return ps.nssub.Load()
		}
		return ps.nsub.Load() + ps.npsub.Load()
	}
	if len(c.Args) > 1 {
		for _, name := range c.Args[1:] {
			if ps != nil {
				s.unsubscribe(cl, ps, k, string(name))
			}
			writeSubReply(c, k.unsub, name, false, count())
		}
		return
	}
	var names []string
	if ps != nil {
		switch k {
		case kindChannel:
			names = append(names, ps.channels...)
		case kindPattern:
			names = append(names, ps.patterns...)
		default:
			names = append(names, ps.shard...)
		}
	}
	if len(names) == 0 {
		writeSubReply(c, k.unsub, nil, true, count())
		return
	}
	for _, name := range names {
		s.unsubscribe(cl, ps, k, name)
		writeSubReply(c, k.unsub, []byte(name), false, count())
	}
}

// subscribe adds one subscription (nothing if the client has it already).
func (s *Server) subscribe(c *client, ps *pushState, k subKind, name []byte) {
	r := &s.pubsub
	switch k {
	case kindChannel:
		if _, ok := ps.chanSet[string(name)]; ok {
			return
		}
		n := string(name)
		if ps.chanSet == nil {
			ps.chanSet = map[string]struct{}{}
		}
		ps.chanSet[n] = struct{}{}
		ps.channels = append(ps.channels, n)
		r.mu.Lock()
		r.channels[n] = append(r.channels[n], c)
		r.mu.Unlock()
		ps.nsub.Add(1)
	case kindPattern:
		for _, p := range ps.patterns {
			if p == string(name) {
				return
			}
		}
		n := string(name)
		ps.patterns = append(ps.patterns, n)
		r.mu.Lock()
		if len(r.patterns[n]) == 0 {
			r.patOrder = append(r.patOrder, n)
		}
		r.patterns[n] = append(r.patterns[n], c)
		r.mu.Unlock()
		ps.npsub.Add(1)
	default:
		if _, ok := ps.shardSet[string(name)]; ok {
			return
		}
		n := string(name)
		if ps.shardSet == nil {
			ps.shardSet = map[string]struct{}{}
		}
		ps.shardSet[n] = struct{}{}
		ps.shard = append(ps.shard, n)
		r.mu.Lock()
		r.shard[n] = append(r.shard[n], c)
		r.mu.Unlock()
		ps.nssub.Add(1)
	}
	ps.subCount.Add(1)
}

// unsubscribe removes one subscription; false if the client had none.
func (s *Server) unsubscribe(c *client, ps *pushState, k subKind, name string) bool {
	r := &s.pubsub
	switch k {
	case kindChannel:
		if _, ok := ps.chanSet[name]; !ok {
			return false
		}
		delete(ps.chanSet, name)
		ps.channels = removeString(ps.channels, name)
		r.mu.Lock()
		if l := removeClient(r.channels[name], c); len(l) == 0 {
			delete(r.channels, name)
		} else {
			r.channels[name] = l
		}
		r.mu.Unlock()
		ps.nsub.Add(-1)
	case kindPattern:
		found := false
		for _, p := range ps.patterns {
			if p == name {
				found = true
				break
			}
		}
		if !found {
			return false
		}
		ps.patterns = removeString(ps.patterns, name)
		r.mu.Lock()
		if l := removeClient(r.patterns[name], c); len(l) == 0 {
			delete(r.patterns, name)
			r.patOrder = removeString(r.patOrder, name)
		} else {
			r.patterns[name] = l
		}
		r.mu.Unlock()
		ps.npsub.Add(-1)
	default:
		if _, ok := ps.shardSet[name]; !ok {
			return false
		}
		delete(ps.shardSet, name)
		ps.shard = removeString(ps.shard, name)
		r.mu.Lock()
		if l := removeClient(r.shard[name], c); len(l) == 0 {
			delete(r.shard, name)
		} else {
			r.shard[name] = l
		}
		r.mu.Unlock()
		ps.nssub.Add(-1)
	}
	ps.subCount.Add(-1)
	return true
}

func removeString(list []string, s string) []string {
	for i, x := range list {
		if x == s {
			return append(list[:i:i], list[i+1:]...)
		}
	}
	return list
}

// unsubscribeAll drops every subscription of c (RESET, disconnect).
func (s *Server) unsubscribeAll(c *client, ps *pushState, _ bool) {
	for _, n := range append([]string(nil), ps.channels...) {
		s.unsubscribe(c, ps, kindChannel, n)
	}
	for _, n := range append([]string(nil), ps.patterns...) {
		s.unsubscribe(c, ps, kindPattern, n)
	}
	for _, n := range append([]string(nil), ps.shard...) {
		s.unsubscribe(c, ps, kindShard, n)
	}
}

// encBufs recycles message encodings (subscribers copy them).
var encBufs = sync.Pool{New: func() any { b := make([]byte, 0, 256); return &b }}

// message is one published message, encoded lazily once per protocol.
type message struct {
	kind    string // "message" or "smessage"
	channel []byte
	payload []byte
	enc     [2][]byte // RESP2, RESP3
	bufs    [2]*[]byte
	// payloadRaw: the payload is already RESP (tracking invalidations)
	payloadRaw bool
}

func (m *message) encoded(proto int32) []byte {
	i := 0
	if proto == 3 {
		i = 1
	}
	if m.enc[i] == nil {
		bp := encBufs.Get().(*[]byte)
		m.bufs[i] = bp
		b := (*bp)[:0]
		b = appendPushHeader(b, proto, 3)
		b = appendBulk(b, []byte(m.kind))
		b = appendBulk(b, m.channel)
		if m.payloadRaw {
			b = append(b, m.payload...)
		} else {
			b = appendBulk(b, m.payload)
		}
		m.enc[i] = b
		*m.bufs[i] = b
	}
	return m.enc[i]
}

// release recycles the encodings; the message must not be used after.
func (m *message) release() {
	for i, bp := range m.bufs {
		if bp != nil && cap(*bp) <= 64<<10 {
			encBufs.Put(bp)
		}
		m.bufs[i], m.enc[i] = nil, nil
	}
}

func encodePMessage(proto int32, pattern string, channel, payload []byte) []byte {
	b := make([]byte, 0, 48+len(pattern)+len(channel)+len(payload))
	b = appendPushHeader(b, proto, 4)
	b = appendBulk(b, []byte("pmessage"))
	b = appendBulk(b, []byte(pattern))
	b = appendBulk(b, channel)
	return appendBulk(b, payload)
}

// publish delivers a message to a channel's subscribers and to the clients
// of the patterns it matches; it returns the number of deliveries.
func (s *Server) publish(channel, payload []byte, origin *client, here *loop) int {
	r := &s.pubsub
	m := message{kind: "message", channel: channel, payload: payload}
	n := 0
	r.mu.RLock()
	for _, c := range r.channels[string(channel)] {
		ps := c.push.Load()
		s.pushTo(c, m.encoded(ps.proto.Load()), false, origin, here)
		n++
	}
	for _, p := range r.patOrder {
		if !commands.GlobMatch([]byte(p), channel) {
			continue
		}
		var enc [2][]byte
		for _, c := range r.patterns[p] {
			proto := c.push.Load().proto.Load()
			i := 0
			if proto == 3 {
				i = 1
			}
			if enc[i] == nil {
				enc[i] = encodePMessage(proto, p, channel, payload)
			}
			s.pushTo(c, enc[i], false, origin, here)
			n++
		}
	}
	r.mu.RUnlock()
	m.release()
	return n
}

// spublish delivers a message to a shard channel's subscribers.
func (s *Server) spublish(channel, payload []byte, origin *client, here *loop) int {
	r := &s.pubsub
	m := message{kind: "smessage", channel: channel, payload: payload}
	r.mu.RLock()
	subs := r.shard[string(channel)]
	for _, c := range subs {
		s.pushTo(c, m.encoded(c.push.Load().proto.Load()), false, origin, here)
	}
	n := len(subs)
	r.mu.RUnlock()
	m.release()
	return n
}

// cmdLoop is the event loop running the command of c (nil for goroutine
// clients).
func cmdLoop(c *client) *loop {
	if c.fd >= 0 {
		return c.loop
	}
	return nil
}

func cmdPublish(c *commands.Ctx) {
	s := srv(c)
	cl := cli(c)
	n := s.publish(c.Args[1], c.Args[2], s.origin.Load(), cmdLoop(cl))
	s.forwardMessage(cluster.MsgPublish, c.Args[1], c.Args[2]) // pubsub_cluster.go
	c.W.Int(int64(n))
}

func cmdSPublish(c *commands.Ctx) {
	s := srv(c)
	cl := cli(c)
	n := s.spublish(c.Args[1], c.Args[2], s.origin.Load(), cmdLoop(cl))
	s.forwardMessage(cluster.MsgSPublish, c.Args[1], c.Args[2])
	c.W.Int(int64(n))
}

func pubsubChannels(c *commands.Ctx, shard bool) {
	if len(c.Args) > 3 {
		c.Errorf("ERR unknown subcommand or wrong number of arguments for '%s'. Try PUBSUB HELP.", c.Args[1])
		return
	}
	r := &srv(c).pubsub
	var pat []byte
	if len(c.Args) == 3 {
		pat = c.Args[2]
	}
	var out []string
	r.mu.RLock()
	m := r.channels
	if shard {
		m = r.shard
	}
	for ch := range m {
		if pat == nil || commands.GlobMatch(pat, []byte(ch)) {
			out = append(out, ch)
		}
	}
	r.mu.RUnlock()
	sort.Strings(out)
	c.W.ArrayLen(len(out))
	for _, ch := range out {
		c.W.BulkString(ch)
	}
}

func pubsubNumSub(c *commands.Ctx, shard bool) {
	r := &srv(c).pubsub
	c.W.ArrayLen(2 * (len(c.Args) - 2))
	r.mu.RLock()
	m := r.channels
	if shard {
		m = r.shard
	}
	counts := make([]int, len(c.Args)-2)
	for i, ch := range c.Args[2:] {
		counts[i] = len(m[string(ch)])
	}
	r.mu.RUnlock()
	for i, ch := range c.Args[2:] {
		c.W.Bulk(ch)
		c.W.Int(int64(counts[i]))
	}
}

// subscribedReject is the error of a command a RESP2 client in subscribed
// mode may not run ("" if it may).
func subscribedReject(cmd *commands.Command) string {
	switch cmd.Name {
	case "ping", "subscribe", "ssubscribe", "unsubscribe", "sunsubscribe", "psubscribe", "punsubscribe", "quit", "reset":
		return ""
	}
	return "ERR Can't execute '" + cmd.Name + "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"
}

// subscribedPing is PING in RESP2 subscribed mode: ["pong", message].
func subscribedPing(c *commands.Ctx) {
	c.W.ArrayLen(2)
	c.W.BulkString("pong")
	if len(c.Args) == 2 {
		c.W.Bulk(c.Args[1])
	} else {
		c.W.BulkString("")
	}
}

// pubsubStats are INFO's pubsub_channels, pubsub_patterns and
// pubsubshard_channels.
func (s *Server) pubsubStats() (channels, patterns, shardChannels int64) {
	r := &s.pubsub
	r.mu.RLock()
	defer r.mu.RUnlock()
	return int64(len(r.channels)), int64(len(r.patterns)), int64(len(r.shard))
}
