package server

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/lightconedb/lightcone/internal/commands"
	"github.com/lightconedb/lightcone/internal/resp"
)

// COMMAND, COMMAND COUNT/INFO/DOCS/LIST/GETKEYS/GETKEYSANDFLAGS/HELP.
//
// COMMAND INFO is built from each Command's Name, Arity, Flags, key range
// and Categories. Key specs are derived from the key range: one "index" +
// "range" spec when FirstKey > 0, an "unknown" spec for commands that find
// their keys with a Keys function. Their access flags are not part of
// Command, so they are inferred: RO+access for read-only commands, the
// conservative RW+access+update for everything else.
//
// COMMAND DOCS derives each command's "arguments" from its Syntax string
// (see parseSyntax for the grammar), which is what redis-cli builds its
// hints from.

func init() { serverFamilies = append(serverFamilies, registerCommand) }

func registerCommand(s *Server, t *commands.Table) {
	stale := []string{"loading", "stale"}
	cats := []string{"slow", "connection"}
	sub := func(name string, arity int, syntax, summary, since, complexity string, h commands.Handler) *commands.Command {
		return &commands.Command{Name: name, Arity: arity, Flags: stale, Categories: cats,
			Summary: summary, Since: since, Group: "server", Complexity: complexity, Syntax: syntax, Handler: h}
	}
	t.Register(&commands.Command{
		Name: "command", Arity: -1, Flags: stale, Categories: cats,
		Summary: "Returns detailed information about all commands.", Since: "2.8.13", Group: "server",
		Complexity: "O(N) where N is the total number of Redis commands",
		Handler:    func(c *commands.Ctx) { cmdCommandInfo(c, 1) },
		Subs: map[string]*commands.Command{
			"count": sub("count", 2, "", "Returns a count of commands.", "2.8.13", "O(1)", func(c *commands.Ctx) {
				c.W.Int(int64(c.Server.(*Server).Table.Len()))
			}),
			"info": sub("info", -2, "[command-name [command-name ...]]",
				"Returns information about one, multiple or all commands.", "2.8.13",
				"O(N) where N is the number of commands to look up", func(c *commands.Ctx) { cmdCommandInfo(c, 2) }),
			"docs": sub("docs", -2, "[command-name [command-name ...]]",
				"Returns documentary information about one, multiple or all commands.", "7.0.0",
				"O(N) where N is the number of commands to look up", cmdCommandDocs),
			"list": sub("list", -2, "[FILTERBY <MODULE module-name | ACLCAT category | PATTERN pattern>]",
				"Returns a list of command names.", "7.0.0", "O(N) where N is the total number of Redis commands", cmdCommandList),
			"getkeys": sub("getkeys", -4, "command [arg [arg ...]]",
				"Extracts the key names from an arbitrary command.", "2.8.13",
				"O(N) where N is the number of arguments to the command", func(c *commands.Ctx) { cmdGetKeys(c, false) }),
			"getkeysandflags": sub("getkeysandflags", -4, "command [arg [arg ...]]",
				"Extracts the key names and access flags for an arbitrary command.", "7.0.0",
				"O(N) where N is the number of arguments to the command", func(c *commands.Ctx) { cmdGetKeys(c, true) }),
			"help": sub("help", 2, "", "Returns helpful text about the different subcommands.", "5.0.0", "O(1)", func(c *commands.Ctx) {
				writeHelp(c, "COMMAND",
					"(no subcommand)",
					"    Return details about all Redis commands.",
					"COUNT",
					"    Return the total number of commands in this Redis server.",
					"LIST",
					"    Return a list of all commands in this Redis server.",
					"INFO [<command-name> ...]",
					"    Return details about multiple Redis commands.",
					"    If no command names are given, documentation details for all",
					"    commands are returned.",
					"DOCS [<command-name> ...]",
					"    Return documentation details about multiple Redis commands.",
					"    If no command names are given, documentation details for all",
					"    commands are returned.",
					"GETKEYS <full-command>",
					"    Return the keys from a full Redis command.",
					"GETKEYSANDFLAGS <full-command>",
					"    Return the keys and the access flags from a full Redis command.")
			}),
		},
	})
}

// writeHelp writes a container's HELP reply: Redis' header line, the given
// lines, and the closing HELP entry.
func writeHelp(c *commands.Ctx, container string, lines ...string) {
	c.W.ArrayLen(len(lines) + 3)
	c.W.Simple(container + " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
	for _, l := range lines {
		c.W.Simple(l)
	}
	c.W.Simple("HELP")
	c.W.Simple("    Prints this help.")
}

// lookupCommand finds a command or a "container|sub" subcommand by name.
func lookupCommand(t *commands.Table, name string) *commands.Command {
	if i := strings.IndexByte(name, '|'); i >= 0 {
		parent := t.Lookup([]byte(name[:i]))
		if parent == nil {
			return nil
		}
		return parent.LookupSub([]byte(name[i+1:]))
	}
	return t.Lookup([]byte(name))
}

func sortedSubs(c *commands.Command) []*commands.Command {
	out := make([]*commands.Command, 0, len(c.Subs))
	for _, s := range c.Subs {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// cmdCommandInfo serves COMMAND (from = 1) and COMMAND INFO (from = 2).
func cmdCommandInfo(c *commands.Ctx, from int) {
	t := srv(c).Table
	if len(c.Args) <= from {
		all := t.All()
		c.W.ArrayLen(len(all))
		for _, cmd := range all {
			writeCommandInfo(c.W, cmd)
		}
		return
	}
	c.W.ArrayLen(len(c.Args) - from)
	for _, a := range c.Args[from:] {
		if cmd := lookupCommand(t, string(a)); cmd != nil {
			writeCommandInfo(c.W, cmd)
		} else {
			c.W.Null()
		}
	}
}

// infoFlags are the flags COMMAND INFO reports: the command's own plus
// movablekeys for commands that find their keys with a function.
func infoFlags(cmd *commands.Command) []string {
	if cmd.Keys != nil && !cmd.HasFlag("movablekeys") {
		return append(append([]string(nil), cmd.Flags...), "movablekeys")
	}
	return cmd.Flags
}

// keySpecFlags infers the access flags of a command's keys.
func keySpecFlags(cmd *commands.Command) []string {
	if f, ok := keySpecFlagsOf[cmd.Name]; ok {
		return f
	}
	if cmd.IsWrite() || !cmd.HasFlag("readonly") && cmd.HasFlag("denyoom") {
		return []string{"RW", "access", "update"}
	}
	return []string{"RO", "access"}
}

func hasKeys(cmd *commands.Command) bool { return cmd.FirstKey > 0 || cmd.Keys != nil }

func writeCommandInfo(w *resp.Writer, cmd *commands.Command) {
	if writeRedisInfo(w, cmd) {
		return
	}
	w.ArrayLen(10)
	w.BulkString(cmd.Name)
	w.Int(int64(cmd.Arity))
	flags := infoFlags(cmd)
	w.SetLen(len(flags))
	for _, f := range flags {
		w.Simple(f)
	}
	step := cmd.Step
	if cmd.FirstKey > 0 && step == 0 {
		step = 1
	}
	w.Int(int64(cmd.FirstKey))
	w.Int(int64(cmd.LastKey))
	w.Int(int64(step))
	w.SetLen(len(cmd.Categories))
	for _, cat := range cmd.Categories {
		w.Simple("@" + cat)
	}
	tips := redisTips[cmd.Name]
	w.SetLen(len(tips))
	for _, tip := range tips {
		w.BulkString(tip)
	}
	switch {
	case cmd.FirstKey > 0:
		w.SetLen(1)
		writeKeySpec(w, cmd, step)
	case cmd.Keys != nil:
		w.SetLen(1)
		writeKeySpec(w, cmd, 0)
	default:
		w.SetLen(0)
	}
	subs := sortedSubs(cmd)
	w.SetLen(len(subs))
	for _, s := range subs {
		writeCommandInfo(w, s)
	}
}

func writeKeySpec(w *resp.Writer, cmd *commands.Command, step int) {
	w.MapLen(3)
	w.BulkString("flags")
	flags := keySpecFlags(cmd)
	w.SetLen(len(flags))
	for _, f := range flags {
		w.Simple(f)
	}
	if cmd.FirstKey <= 0 {
		for _, part := range []string{"begin_search", "find_keys"} {
			w.BulkString(part)
			w.MapLen(2)
			w.BulkString("type")
			w.BulkString("unknown")
			w.BulkString("spec")
			w.MapLen(0)
		}
		return
	}
	w.BulkString("begin_search")
	w.MapLen(2)
	w.BulkString("type")
	w.BulkString("index")
	w.BulkString("spec")
	w.MapLen(1)
	w.BulkString("index")
	w.Int(int64(cmd.FirstKey))
	last := cmd.LastKey
	if last >= 0 {
		last -= cmd.FirstKey
	}
	w.BulkString("find_keys")
	w.MapLen(2)
	w.BulkString("type")
	w.BulkString("range")
	w.BulkString("spec")
	w.MapLen(3)
	w.BulkString("lastkey")
	w.Int(int64(last))
	w.BulkString("keystep")
	w.Int(int64(step))
	w.BulkString("limit")
	w.Int(0)
}

// cmdGetKeys serves COMMAND GETKEYS and GETKEYSANDFLAGS.
func cmdGetKeys(c *commands.Ctx, withFlags bool) {
	full := c.Args[2:]
	cmd := srv(c).Table.Lookup(full[0])
	if cmd != nil && cmd.Subs != nil && len(full) >= 2 {
		cmd = cmd.LookupSub(full[1])
	}
	switch {
	case cmd == nil:
		c.Error("ERR Invalid command specified")
		return
	case !hasKeys(cmd):
		c.Error("ERR The command has no key arguments")
		return
	case (cmd.Arity > 0 && len(full) != cmd.Arity) || len(full) < -cmd.Arity:
		c.Error("ERR Invalid number of arguments specified for command")
		return
	}
	pos := cmd.KeyPositions(full)
	if len(pos) == 0 && !cmd.HasFlag("no_mandatory_keys") {
		c.Error("ERR Invalid arguments specified for command")
		return
	}
	c.W.ArrayLen(len(pos))
	for _, p := range pos {
		if !withFlags {
			c.W.Bulk(full[p])
			continue
		}
		c.W.ArrayLen(2)
		c.W.Bulk(full[p])
		flags := keySpecFlags(cmd)
		c.W.SetLen(len(flags))
		for _, f := range flags {
			c.W.Simple(f)
		}
	}
}

func cmdCommandList(c *commands.Ctx) {
	t := srv(c).Table
	var keep func(*commands.Command) bool
	switch {
	case len(c.Args) == 2:
		keep = func(*commands.Command) bool { return true }
	case len(c.Args) == 5 && c.Is(2, "filterby"):
		val := string(c.Args[4])
		switch {
		case c.Is(3, "module"):
			keep = func(*commands.Command) bool { return false } // no modules
		case c.Is(3, "aclcat"):
			keep = func(cmd *commands.Command) bool {
				for _, cat := range cmd.Categories {
					if strings.EqualFold(cat, val) {
						return true
					}
				}
				return false
			}
		case c.Is(3, "pattern"):
			keep = func(cmd *commands.Command) bool { return globMatch(val, cmd.Name, true) }
		}
	}
	if keep == nil {
		c.Syntax()
		return
	}
	var names []string
	for _, cmd := range t.All() {
		if keep(cmd) {
			names = append(names, cmd.Name)
		}
		for _, s := range sortedSubs(cmd) {
			if keep(s) {
				names = append(names, s.Name)
			}
		}
	}
	c.W.ArrayLen(len(names))
	for _, n := range names {
		c.W.BulkString(n)
	}
}

func cmdCommandDocs(c *commands.Ctx) {
	t := srv(c).Table
	var list []*commands.Command
	if len(c.Args) == 2 {
		list = t.All()
	} else {
		for _, a := range c.Args[2:] {
			if cmd := lookupCommand(t, string(a)); cmd != nil {
				list = append(list, cmd)
			}
		}
	}
	c.W.MapLen(len(list))
	for _, cmd := range list {
		c.W.BulkString(cmd.Name)
		writeCommandDocs(c.W, cmd)
	}
}

func writeCommandDocs(w *resp.Writer, cmd *commands.Command) {
	if doc, ok := redisDoc(cmd); ok {
		writeRedisDoc(w, cmd, doc)
		return
	}
	args := commandArgs(cmd)
	subs := sortedSubs(cmd)
	n := 4
	if len(args) > 0 {
		n++
	}
	if len(subs) > 0 {
		n++
	}
	group := cmd.Group
	if group == "" {
		group = "generic"
	}
	w.MapLen(n)
	w.BulkString("summary")
	w.BulkString(cmd.Summary)
	w.BulkString("since")
	w.BulkString(cmd.Since)
	w.BulkString("group")
	w.BulkString(group)
	w.BulkString("complexity")
	w.BulkString(cmd.Complexity)
	if len(args) > 0 {
		w.BulkString("arguments")
		w.ArrayLen(len(args))
		for _, a := range args {
			writeDocArg(w, a)
		}
	}
	if len(subs) > 0 {
		w.BulkString("subcommands")
		w.MapLen(len(subs))
		for _, s := range subs {
			w.BulkString(s.Name)
			writeCommandDocs(w, s)
		}
	}
}

func writeDocArg(w *resp.Writer, a *docArg) {
	var flags []string
	if a.Optional {
		flags = append(flags, "optional")
	}
	if a.Multiple {
		flags = append(flags, "multiple")
	}
	if a.MultipleToken {
		flags = append(flags, "multiple_token")
	}
	n := 2
	if a.KeySpec >= 0 {
		n++
	}
	if a.Token != "" {
		n++
	}
	if len(flags) > 0 {
		n++
	}
	if len(a.Args) > 0 {
		n++
	}
	w.MapLen(n)
	w.BulkString("name")
	w.BulkString(a.Name)
	w.BulkString("type")
	w.BulkString(a.Type)
	if a.KeySpec >= 0 {
		w.BulkString("key_spec_index")
		w.Int(int64(a.KeySpec))
	}
	if a.Token != "" {
		w.BulkString("token")
		w.BulkString(a.Token)
	}
	if len(flags) > 0 {
		w.BulkString("flags")
		w.SetLen(len(flags))
		for _, f := range flags {
			w.Simple(f)
		}
	}
	if len(a.Args) > 0 {
		w.BulkString("arguments")
		w.ArrayLen(len(a.Args))
		for _, sub := range a.Args {
			writeDocArg(w, sub)
		}
	}
}

// docsCache holds parsed arguments by name, key presence and Syntax.
var docsCache sync.Map // docsKey -> []*docArg

type docsKey struct {
	name, syntax string
	keys         bool
}

// commandArgs returns cmd's COMMAND DOCS arguments, parsed from its Syntax.
// A Syntax that does not parse yields no arguments (a unit test checks that
// every registered command's Syntax parses).
func commandArgs(cmd *commands.Command) []*docArg {
	k := docsKey{cmd.Name, cmd.Syntax, hasKeys(cmd)}
	if v, ok := docsCache.Load(k); ok {
		return v.([]*docArg)
	}
	args, err := parseSyntax(k.name, k.syntax, k.keys)
	if err != nil {
		args = nil
	}
	docsCache.Store(k, args)
	return args
}

// docArg is one COMMAND DOCS argument.
type docArg struct {
	Name          string
	Type          string // key string integer double pattern unix-time pure-token oneof block
	Token         string
	KeySpec       int // key_spec_index of a key argument, -1 when none
	Optional      bool
	Multiple      bool
	MultipleToken bool
	Args          []*docArg // of a oneof or block
}

// parseSyntax turns a redis.io-style synopsis into COMMAND DOCS arguments.
//
// Grammar (whitespace separates items; "|" binds loosest):
//
//	syntax := alts
//	alts   := seq { "|" seq }              alternatives make a oneof
//	seq    := { item }
//	item   := WORD | "[" alts "]"          optional
//	        | "<" alts ">" | "(" alts ")"  required group
//	        | "..."                        the previous item repeats
//
// A WORD without lower-case letters (NX, EX, LIMIT, *, =, "") is a token; any
// other WORD names an argument. Meaning:
//
//   - A token followed by argument names, required groups or repeated items
//     takes them as its value: "EX seconds" is the argument seconds with
//     token EX; "LIMIT offset count" a block with token LIMIT; a token alone
//     is a pure-token.
//   - "x [x ...]" (the bracketed part equal to what precedes it) makes x a
//     multiple argument; several items repeated together ("field value
//     [field value ...]") form a multiple block named "data"; a repeated part
//     that starts with its token ("GET pattern [GET pattern ...]") is
//     multiple_token. A "[x ...]" that repeats nothing before it is an
//     optional multiple.
//   - A group of one item is that item; a group of several is a block; a
//     group with alternatives is a oneof, named by joining its members'
//     names (a member with a token by the token) with "_".
//   - Argument types come from their names: key (key, *key, source,
//     destination), pattern (*pattern*), unix-time (unix-time*), integer
//     (count, offset, start, stop, timeout, ...), double (score, longitude,
//     ..., the increment of *float commands), otherwise string.
//
// hasKeys says whether the command has a key spec for key_spec_index.
func parseSyntax(cmdName, syntax string, hasKeys bool) ([]*docArg, error) {
	p := &synParser{toks: lexSyntax(syntax)}
	if len(p.toks) == 0 {
		return nil, nil
	}
	alts, err := p.alts("")
	if err != nil {
		return nil, err
	}
	cv := &synConv{cmd: cmdName, hasKeys: hasKeys}
	if len(alts) == 1 {
		return cv.seq(alts[0])
	}
	a, err := cv.item(synItem{node: &synNode{group: '<', alts: alts}})
	if err != nil {
		return nil, err
	}
	return []*docArg{a}, nil
}

type synNode struct {
	word     string       // a word, or "" for a group or an ellipsis
	group    byte         // '[', '<' or '(' for a group
	ellipsis bool         // "..."
	alts     [][]*synNode // a group's alternatives
}

func (n *synNode) isToken() bool {
	if n.word == "" {
		return false
	}
	for i := 0; i < len(n.word); i++ {
		if c := n.word[i]; c >= 'a' && c <= 'z' {
			return false
		}
	}
	return true
}

func (n *synNode) isName() bool { return n.word != "" && !n.isToken() }

func sameNodes(a, b []*synNode) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.word != y.word || x.group != y.group || x.ellipsis != y.ellipsis || len(x.alts) != len(y.alts) {
			return false
		}
		for j := range x.alts {
			if !sameNodes(x.alts[j], y.alts[j]) {
				return false
			}
		}
	}
	return true
}

func lexSyntax(s string) []string {
	var out []string
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case strings.HasPrefix(s[i:], "..."):
			out = append(out, "...")
			i += 3
		case strings.IndexByte("[]<>()|", c) >= 0:
			out = append(out, s[i:i+1])
			i++
		default:
			j := i
			for j < len(s) && strings.IndexByte(" \t\n\r[]<>()|", s[j]) < 0 && !strings.HasPrefix(s[j:], "...") {
				j++
			}
			out = append(out, s[i:j])
			i = j
		}
	}
	return out
}

type synParser struct {
	toks []string
	pos  int
}

func closerOf(open string) string {
	switch open {
	case "[":
		return "]"
	case "<":
		return ">"
	}
	return ")"
}

// alts parses alternatives up to close ("" = end of input) and consumes it.
func (p *synParser) alts(close string) ([][]*synNode, error) {
	var alts [][]*synNode
	for {
		seq, err := p.seq()
		if err != nil {
			return nil, err
		}
		if len(seq) == 0 {
			return nil, fmt.Errorf("empty alternative at item %d", p.pos)
		}
		alts = append(alts, seq)
		if p.pos >= len(p.toks) {
			if close != "" {
				return nil, fmt.Errorf("missing %q", close)
			}
			return alts, nil
		}
		t := p.toks[p.pos]
		p.pos++
		switch {
		case t == "|":
		case t == close:
			return alts, nil
		default:
			return nil, fmt.Errorf("unexpected %q at item %d", t, p.pos-1)
		}
	}
}

func (p *synParser) seq() ([]*synNode, error) {
	var out []*synNode
	for p.pos < len(p.toks) {
		t := p.toks[p.pos]
		switch t {
		case "]", ">", ")", "|":
			return out, nil
		case "[", "<", "(":
			p.pos++
			alts, err := p.alts(closerOf(t))
			if err != nil {
				return nil, err
			}
			out = append(out, &synNode{group: t[0], alts: alts})
		case "...":
			p.pos++
			out = append(out, &synNode{ellipsis: true})
		default:
			p.pos++
			out = append(out, &synNode{word: t})
		}
	}
	return out, nil
}

// synItem is a node, or a repeated run of nodes.
type synItem struct {
	node     *synNode
	rep      []*synNode
	optional bool // a repeat that may occur zero times
}

type synConv struct {
	cmd     string
	hasKeys bool
}

func (cv *synConv) seq(nodes []*synNode) ([]*docArg, error) {
	var items []synItem
	for _, n := range nodes {
		switch {
		case n.ellipsis:
			if len(items) == 0 {
				return nil, fmt.Errorf("'...' repeats nothing")
			}
			last := &items[len(items)-1]
			if last.rep == nil {
				*last = synItem{rep: []*synNode{last.node}}
			}
		case n.group == '[' && len(n.alts) == 1 && n.alts[0][len(n.alts[0])-1].ellipsis:
			rep := n.alts[0][:len(n.alts[0])-1]
			if len(rep) == 0 {
				return nil, fmt.Errorf("'[...]' repeats nothing")
			}
			k := len(rep)
			merged := false
			if k <= len(items) {
				prev := make([]*synNode, 0, k)
				for _, it := range items[len(items)-k:] {
					if it.node == nil {
						break
					}
					prev = append(prev, it.node)
				}
				if sameNodes(prev, rep) {
					items = append(items[:len(items)-k], synItem{rep: rep})
					merged = true
				}
			}
			if !merged {
				items = append(items, synItem{rep: rep, optional: true})
			}
		default:
			items = append(items, synItem{node: n})
		}
	}
	var out []*docArg
	for i := 0; i < len(items); i++ {
		it := items[i]
		if it.node == nil || !it.node.isToken() {
			a, err := cv.item(it)
			if err != nil {
				return nil, err
			}
			out = append(out, a)
			continue
		}
		j := i + 1
		for j < len(items) && absorbable(items[j]) {
			j++
		}
		var sub []*docArg
		for _, x := range items[i+1 : j] {
			a, err := cv.item(x)
			if err != nil {
				return nil, err
			}
			sub = append(sub, a)
		}
		tok := it.node.word
		switch {
		case len(sub) == 0:
			out = append(out, &docArg{Name: tokenName(tok), Type: "pure-token", Token: tok, KeySpec: -1})
		case len(sub) == 1 && sub[0].Token == "":
			sub[0].Token = tok
			out = append(out, sub[0])
		default:
			out = append(out, &docArg{Name: tokenName(tok), Type: "block", Token: tok, KeySpec: -1, Args: sub})
		}
		i = j - 1
	}
	return out, nil
}

// absorbable reports whether an item following a token is the token's value.
func absorbable(it synItem) bool {
	if it.node != nil {
		return it.node.isName() || it.node.group == '<' || it.node.group == '('
	}
	return !it.optional && !it.rep[0].isToken()
}

func (cv *synConv) item(it synItem) (*docArg, error) {
	if it.rep != nil {
		sub, err := cv.seq(it.rep)
		if err != nil {
			return nil, err
		}
		a := sub[0]
		if len(sub) > 1 {
			a = &docArg{Name: "data", Type: "block", KeySpec: -1, Args: sub}
		}
		a.Multiple = true
		a.MultipleToken = a.Token != ""
		a.Optional = a.Optional || it.optional
		return a, nil
	}
	n := it.node
	if n.isToken() {
		return &docArg{Name: tokenName(n.word), Type: "pure-token", Token: n.word, KeySpec: -1}, nil
	}
	if n.word != "" {
		typ := argType(cv.cmd, n.word)
		ks := -1
		if typ == "key" && cv.hasKeys {
			ks = 0
		}
		return &docArg{Name: n.word, Type: typ, KeySpec: ks}, nil
	}
	var choices []*docArg
	for _, alt := range n.alts {
		sub, err := cv.seq(alt)
		if err != nil {
			return nil, err
		}
		if len(sub) == 1 {
			choices = append(choices, sub[0])
		} else {
			choices = append(choices, &docArg{Name: joinArgNames(sub), Type: "block", KeySpec: -1, Args: sub})
		}
	}
	a := choices[0]
	if len(choices) > 1 {
		a = &docArg{Name: joinArgNames(choices), Type: "oneof", KeySpec: -1, Args: choices}
	}
	if n.group == '[' {
		a.Optional = true
	}
	return a, nil
}

func joinArgNames(args []*docArg) string {
	names := make([]string, len(args))
	for i, a := range args {
		names[i] = a.Name
		if a.Token != "" {
			names[i] = tokenName(a.Token)
		}
	}
	return strings.Join(names, "_")
}

// tokenName names a pure token's argument the way Redis does: its lower
// case, or a word for punctuation.
func tokenName(tok string) string {
	switch tok {
	case "=":
		return "equal"
	case "~":
		return "approximately"
	case "*":
		return "auto_id"
	case "$":
		return "last_id"
	case "+":
		return "plus"
	case "-":
		return "minus"
	case `""`:
		return "empty_string"
	}
	return strings.ToLower(tok)
}

var (
	integerArgs = map[string]bool{
		"count": true, "seconds": true, "milliseconds": true, "offset": true, "start": true, "end": true,
		"stop": true, "index": true, "index1": true, "index2": true, "numkeys": true, "db": true,
		"destination-db": true, "port": true, "timeout": true, "rank": true, "len": true,
		"num-matches": true, "cursor": true, "client-id": true, "increment": true, "decrement": true,
		"ttl": true, "numreplicas": true, "limit": true, "maxlen": true, "bit": true, "protover": true,
		"min-idle-time": true, "numsides": true, "position": true, "size": true, "length": true,
		"numerator": true, "delay": true, "microseconds": true, "numlocal": true, "numshards": true,
	}
	doubleArgs = map[string]bool{
		"score": true, "longitude": true, "latitude": true, "radius": true, "width": true, "height": true,
	}
)

// argType guesses an argument's COMMAND DOCS type from its name.
func argType(cmd, name string) string {
	n := strings.ToLower(name)
	switch {
	case n == "key" || strings.HasSuffix(n, "key") || n == "source" || n == "destination":
		return "key"
	case strings.Contains(n, "pattern"):
		return "pattern"
	case strings.HasPrefix(n, "unix-time"):
		return "unix-time"
	case doubleArgs[n] || n == "increment" && strings.Contains(cmd, "float"):
		return "double"
	case integerArgs[n]:
		return "integer"
	}
	return "string"
}

// globMatch is Redis' glob matching (stringmatchlen): '*', '?', '[...]'
// with '^' negation and ranges, '\' escapes; nocase folds ASCII case.
func globMatch(pattern, str string, nocase bool) bool {
	return globMatchDepth(pattern, str, nocase, 0)
}

func globMatchDepth(p, s string, nocase bool, depth int) bool {
	if depth > 1000 {
		return false
	}
	lower := func(c byte) byte {
		if nocase && c >= 'A' && c <= 'Z' {
			return c + 32
		}
		return c
	}
	for len(p) > 0 {
		switch p[0] {
		case '*':
			for len(p) > 1 && p[1] == '*' {
				p = p[1:]
			}
			if len(p) == 1 {
				return true
			}
			for i := 0; i <= len(s); i++ {
				if globMatchDepth(p[1:], s[i:], nocase, depth+1) {
					return true
				}
			}
			return false
		case '?':
			if len(s) == 0 {
				return false
			}
			s = s[1:]
			p = p[1:]
		case '[':
			if len(s) == 0 {
				return false
			}
			p = p[1:]
			not := len(p) > 0 && p[0] == '^'
			if not {
				p = p[1:]
			}
			match := false
			for {
				if len(p) == 0 {
					break
				}
				if p[0] == '\\' && len(p) >= 2 {
					p = p[1:]
					if lower(p[0]) == lower(s[0]) {
						match = true
					}
				} else if p[0] == ']' {
					break
				} else if len(p) >= 3 && p[1] == '-' {
					lo, hi := lower(p[0]), lower(p[2])
					if lo > hi {
						lo, hi = hi, lo
					}
					c := lower(s[0])
					if c >= lo && c <= hi {
						match = true
					}
					p = p[2:]
				} else if lower(p[0]) == lower(s[0]) {
					match = true
				}
				p = p[1:]
			}
			if len(p) > 0 {
				p = p[1:] // the ']'
			}
			if not {
				match = !match
			}
			if !match {
				return false
			}
			s = s[1:]
		case '\\':
			if len(p) >= 2 {
				p = p[1:]
			}
			fallthrough
		default:
			if len(s) == 0 || lower(p[0]) != lower(s[0]) {
				return false
			}
			s = s[1:]
			p = p[1:]
		}
	}
	return len(s) == 0
}
