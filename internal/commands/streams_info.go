package commands

import (
	"github.com/lightconedb/lightcone/internal/crdt"
	"github.com/lightconedb/lightcone/internal/resp"
)

// XINFO STREAM / GROUPS / CONSUMERS / HELP.

var xinfoHelp = []string{
	"XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"CONSUMERS <key> <groupname>",
	"    Show consumers of <groupname>.",
	"GROUPS <key>",
	"    Show the stream consumer groups.",
	"STREAM <key> [FULL [COUNT <count>]",
	"    Show information about the stream.",
	"HELP",
	"    Prints this help.",
}

func registerStreamInfo(t *Table) {
	rslow := []string{"read", "stream", "slow"}
	sub := func(name string, arity int, summary, syntax string) *Command {
		return &Command{Name: name, Arity: arity, Flags: []string{"readonly"}, FirstKey: 2, LastKey: 2, Step: 1,
			Categories: rslow, Summary: summary, Since: "5.0.0", Group: "stream", Complexity: "O(1)",
			Syntax: syntax, Handler: cmdXinfo}
	}
	t.Register(&Command{Name: "xinfo", Arity: -2,
		Categories: []string{"slow"},
		Summary:    "A container for stream introspection commands", Since: "5.0.0", Group: "stream", Complexity: "Depends on subcommand.",
		Handler: func(c *Ctx) { c.WrongArgs() },
		Subs: map[string]*Command{
			"stream":    sub("stream", -3, "Get information about a stream", "key [FULL [COUNT count]]"),
			"groups":    sub("groups", 3, "List the consumer groups of a stream", "key"),
			"consumers": sub("consumers", 4, "List the consumers in a consumer group", "key group"),
			"help": {Name: "help", Arity: 2, Flags: []string{"loading", "stale"},
				Categories: []string{"stream", "slow"},
				Summary:    "Show helpful text about the different subcommands", Since: "5.0.0", Group: "stream", Complexity: "O(1)",
				Handler: func(c *Ctx) { replyHelp(c, xinfoHelp) }},
		}})
}

func cmdXinfo(c *Ctx) {
	key := c.Args[2]
	tx := c.Eng.Begin1(c.DB, key)
	defer tx.End()
	ent := tx.Read(c.DB, key)
	if ent == nil {
		c.Error(ErrNoSuchKey)
		return
	}
	s, ok := streamOf(c, ent)
	if !ok {
		return
	}
	w := c.W
	switch {
	case c.Is(1, "consumers") && len(c.Args) == 4:
		g := s.Group(c.Args[3])
		if g == nil {
			c.Error("NOGROUP No such consumer group '" + string(cstr(c.Args[3])) + "' for key name '" + string(cstr(key)) + "'")
			return
		}
		now := tx.Now
		w.ArrayLen(len(g.Consumers()))
		for _, cs := range g.Consumers() {
			idle := now - cs.SeenTime
			if idle < 0 {
				idle = 0
			}
			w.MapLen(3)
			w.BulkString("name")
			w.BulkString(cs.Name)
			w.BulkString("pending")
			w.Int(int64(cs.Pending()))
			w.BulkString("idle")
			w.Int(idle)
		}
	case c.Is(1, "groups") && len(c.Args) == 3:
		w.ArrayLen(len(s.Groups()))
		for _, g := range s.Groups() {
			w.MapLen(6)
			w.BulkString("name")
			w.BulkString(g.Name)
			w.BulkString("consumers")
			w.Int(int64(len(g.Consumers())))
			w.BulkString("pending")
			w.Int(int64(g.Pending()))
			w.BulkString("last-delivered-id")
			replyStreamID(w, g.LastID)
			replyGroupCounters(w, s, g)
		}
	case c.Is(1, "stream"):
		xinfoStream(c, s)
	default:
		subcommandSyntax(c)
	}
}

// replyGroupCounters writes entries-read and lag.
func replyGroupCounters(w *resp.Writer, s *crdt.Stream, g *crdt.StreamGroup) {
	w.BulkString("entries-read")
	if g.EntriesRead != -1 {
		w.Int(g.EntriesRead)
	} else {
		w.Null()
	}
	w.BulkString("lag")
	if lag, ok := s.Lag(g); ok {
		w.Int(lag)
	} else {
		w.Null()
	}
}

func xinfoStream(c *Ctx, s *crdt.Stream) {
	full := false
	count := int64(10)
	opts := c.Args[3:]
	if len(opts) > 0 {
		if (len(opts) != 1 && len(opts) != 3) || !EqualFold(opts[0], "full") {
			subcommandSyntax(c)
			return
		}
		full = true
		if len(opts) == 3 {
			if !EqualFold(opts[1], "count") {
				subcommandSyntax(c)
				return
			}
			v, ok := c.IntArg(5)
			if !ok {
				return
			}
			if v < 0 {
				v = 10
			}
			count = v
		}
	}
	w := c.W
	if full {
		w.MapLen(9)
	} else {
		w.MapLen(10)
	}
	w.BulkString("length")
	w.Int(int64(s.Length()))
	w.BulkString("radix-tree-keys")
	w.Int(int64(s.Nodes()))
	w.BulkString("radix-tree-nodes")
	w.Int(int64(s.RaxNodes()))
	w.BulkString("last-generated-id")
	replyStreamID(w, s.LastID())
	w.BulkString("max-deleted-entry-id")
	replyStreamID(w, s.MaxDeletedID())
	w.BulkString("entries-added")
	w.Int(int64(s.EntriesAdded()))
	w.BulkString("recorded-first-entry-id")
	replyStreamID(w, s.FirstID())
	if !full {
		w.BulkString("groups")
		w.Int(int64(len(s.Groups())))
		w.BulkString("first-entry")
		replyEdge(w, s, false)
		w.BulkString("last-entry")
		replyEdge(w, s, true)
		return
	}
	w.BulkString("entries")
	replyRange(w, s, crdt.StreamID{}, crdt.StreamIDMax, count, false)
	w.BulkString("groups")
	w.ArrayLen(len(s.Groups()))
	for _, g := range s.Groups() {
		w.MapLen(7)
		w.BulkString("name")
		w.BulkString(g.Name)
		w.BulkString("last-delivered-id")
		replyStreamID(w, g.LastID)
		replyGroupCounters(w, s, g)
		w.BulkString("pel-count")
		w.Int(int64(g.Pending()))
		w.BulkString("pending")
		n := g.Pending()
		if count > 0 && int64(n) > count {
			n = int(count)
		}
		w.ArrayLen(n)
		i := 0
		g.EachPending(crdt.StreamID{}, crdt.StreamIDMax, false, func(nk *crdt.StreamNACK) bool {
			if i == n {
				return false
			}
			i++
			w.ArrayLen(4)
			replyStreamID(w, nk.ID)
			w.BulkString(nk.Consumer.Name)
			w.Int(nk.DeliveryTime)
			w.Int(int64(nk.DeliveryCount))
			return true
		})
		w.BulkString("consumers")
		w.ArrayLen(len(g.Consumers()))
		for _, cs := range g.Consumers() {
			w.MapLen(4)
			w.BulkString("name")
			w.BulkString(cs.Name)
			w.BulkString("seen-time")
			w.Int(cs.SeenTime)
			w.BulkString("pel-count")
			w.Int(int64(cs.Pending()))
			w.BulkString("pending")
			m := cs.Pending()
			if count > 0 && int64(m) > count {
				m = int(count)
			}
			w.ArrayLen(m)
			j := 0
			g.EachConsumerPending(cs, crdt.StreamID{}, crdt.StreamIDMax, func(nk *crdt.StreamNACK) bool {
				if j == m {
					return false
				}
				j++
				w.ArrayLen(3)
				replyStreamID(w, nk.ID)
				w.Int(nk.DeliveryTime)
				w.Int(int64(nk.DeliveryCount))
				return true
			})
		}
	}
}

// replyEdge writes the first (or last) entry, or a null.
func replyEdge(w *resp.Writer, s *crdt.Stream, last bool) {
	found := false
	s.Range(crdt.StreamID{}, crdt.StreamIDMax, last, func(e *crdt.StreamEntry) bool {
		replyEntry(w, e)
		found = true
		return false
	})
	if !found {
		w.Null()
	}
}
