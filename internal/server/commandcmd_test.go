package server

import (
	"strings"
	"testing"

	"github.com/lightconedb/lightcone/internal/resp"
)

// hint renders arguments the way redis-cli 7.0 builds its hints from
// COMMAND DOCS.
func hint(args []*docArg, sep string) string {
	parts := make([]string, len(args))
	for i, a := range args {
		var repeat string
		switch a.Type {
		case "oneof":
			repeat = hint(a.Args, "|")
		case "block":
			repeat = hint(a.Args, " ")
		case "pure-token":
		default:
			repeat = a.Name
		}
		var b strings.Builder
		if a.Optional {
			b.WriteString("[")
		}
		b.WriteString(a.Token)
		if a.Token != "" && repeat != "" {
			b.WriteString(" ")
		}
		b.WriteString(repeat)
		if a.Multiple {
			b.WriteString(" [")
			if a.MultipleToken {
				b.WriteString(a.Token + " ")
			}
			b.WriteString(repeat + " ...]")
		}
		if a.Optional {
			b.WriteString("]")
		}
		parts[i] = b.String()
	}
	return strings.Join(parts, sep)
}

// describe renders arguments with their types and flags, for exact checks.
func describe(args []*docArg) string {
	var parts []string
	for _, a := range args {
		s := a.Name + ":" + a.Type
		if a.Token != "" {
			s += "/" + a.Token
		}
		if a.KeySpec >= 0 {
			s += "#0"
		}
		if a.Optional {
			s += "?"
		}
		if a.Multiple {
			s += "*"
		}
		if a.MultipleToken {
			s += "T"
		}
		if len(a.Args) > 0 {
			s += "(" + describe(a.Args) + ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

func TestParseSyntax(t *testing.T) {
	for _, tc := range []struct {
		cmd, syntax, hint, desc string
	}{
		{"get", "key", "key", "key:key#0"},
		{"set", "key value [NX | XX] [GET] [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | KEEPTTL]",
			"key value [NX|XX] [GET] [EX seconds|PX milliseconds|EXAT unix-time-seconds|PXAT unix-time-milliseconds|KEEPTTL]",
			"key:key#0 value:string nx_xx:oneof?(nx:pure-token/NX xx:pure-token/XX) get:pure-token/GET? " +
				"ex_px_exat_pxat_keepttl:oneof?(seconds:integer/EX milliseconds:integer/PX unix-time-seconds:unix-time/EXAT " +
				"unix-time-milliseconds:unix-time/PXAT keepttl:pure-token/KEEPTTL)"},
		{"del", "key [key ...]", "key [key ...]", "key:key#0*"},
		{"mset", "key value [key value ...]", "key value [key value ...]", "data:block*(key:key#0 value:string)"},
		{"eval", "script numkeys [key [key ...]] [arg [arg ...]]", "script numkeys [key [key ...]] [arg [arg ...]]",
			"script:string numkeys:integer key:key#0?* arg:string?*"},
		{"sort", "key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC | DESC] [ALPHA] [STORE destination]",
			"key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC|DESC] [ALPHA] [STORE destination]",
			"key:key#0 pattern:pattern/BY? limit:block/LIMIT?(offset:integer count:integer) pattern:pattern/GET?*T " +
				"asc_desc:oneof?(asc:pure-token/ASC desc:pure-token/DESC) alpha:pure-token/ALPHA? destination:key/STORE#0?"},
		{"xread", "[COUNT count] [BLOCK milliseconds] STREAMS key [key ...] id [id ...]",
			"[COUNT count] [BLOCK milliseconds] STREAMS key [key ...] id [id ...]",
			"count:integer/COUNT? milliseconds:integer/BLOCK? streams:block/STREAMS(key:key#0* id:string*)"},
		{"client|kill", "<ip:port | [ID client-id] [TYPE <NORMAL | MASTER>] [SKIPME <YES | NO>]>",
			"ip:port|[ID client-id] [TYPE NORMAL|MASTER] [SKIPME YES|NO]",
			"ip:port_id_type_skipme:oneof(ip:port:string id_type_skipme:block(client-id:integer/ID? " +
				"normal_master:oneof/TYPE?(normal:pure-token/NORMAL master:pure-token/MASTER) yes_no:oneof/SKIPME?(yes:pure-token/YES no:pure-token/NO)))"},
		{"client|reply", "ON | OFF | SKIP", "ON|OFF|SKIP", "on_off_skip:oneof(on:pure-token/ON off:pure-token/OFF skip:pure-token/SKIP)"},
		{"hello", "[protover [AUTH username password] [SETNAME clientname]]", "[protover [AUTH username password] [SETNAME clientname]]",
			"protover_auth_setname:block?(protover:integer auth:block/AUTH?(username:string password:string) clientname:string/SETNAME?)"},
		{"xadd", "key [NOMKSTREAM] [<MAXLEN | MINID> [= | ~] threshold [LIMIT count]] <* | id> field value [field value ...]",
			"key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]] *|id field value [field value ...]",
			"key:key#0 nomkstream:pure-token/NOMKSTREAM? maxlen_minid_equal_approximately_threshold_limit:block?(" +
				"maxlen_minid:oneof(maxlen:pure-token/MAXLEN minid:pure-token/MINID) equal_approximately:oneof?(equal:pure-token/= approximately:pure-token/~) " +
				"threshold:string count:integer/LIMIT?) auto_id_id:oneof(auto_id:pure-token/* id:string) data:block*(field:string value:string)"},
		{"incrbyfloat", "key increment", "key increment", "key:key#0 increment:double"},
		{"ping", "[message]", "[message]", "message:string?"},
		{"bare", "member ...", "member [member ...]", "member:string*"},
		{"optrep", "[field value ...]", "[field value [field value ...]]", "data:block?*(field:string value:string)"},
		{"none", "", "", ""},
	} {
		args, err := parseSyntax(tc.cmd, tc.syntax, true)
		if err != nil {
			t.Errorf("%s: %v", tc.cmd, err)
			continue
		}
		if got := hint(args, " "); got != tc.hint {
			t.Errorf("%s hint:\n got %s\nwant %s", tc.cmd, got, tc.hint)
		}
		if got := describe(args); got != tc.desc {
			t.Errorf("%s args:\n got %s\nwant %s", tc.cmd, got, tc.desc)
		}
	}
	for _, bad := range []string{"[a", "a]", "<a | b", "[]", "a | | b", "...", "[...]", "(a >"} {
		if args, err := parseSyntax("x", bad, false); err == nil {
			t.Errorf("%q parsed: %s", bad, describe(args))
		}
	}
}

// Every registered command's Syntax must parse (COMMAND DOCS would
// otherwise show no arguments).
func TestAllSyntaxesParse(t *testing.T) {
	set := NewSettings()
	set.Set("dir", t.TempDir())
	s, err := New(set, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range allCommands(s.Table) {
		if _, err := parseSyntax(c.Name, c.Syntax, hasKeys(c)); err != nil {
			t.Errorf("%s: Syntax %q: %v", c.Name, c.Syntax, err)
		}
	}
}

func TestGlobMatch(t *testing.T) {
	for _, tc := range []struct {
		p, s       string
		nocase, ok bool
	}{
		{"*", "anything", false, true},
		{"get*", "getrange", false, true},
		{"GET*", "getrange", true, true},
		{"GET*", "getrange", false, false},
		{"h?llo", "hello", false, true},
		{"h[ae]llo", "hallo", false, true},
		{"h[^e]llo", "hello", false, false},
		{"h[a-c]llo", "hbllo", false, true},
		{"h\\*llo", "h*llo", false, true},
		{"h\\*llo", "hallo", false, false},
		{"*max*", "proto-max-bulk-len", false, true},
		{"a*b*c", "aXbYc", false, true},
		{"a*b*c", "aXbY", false, false},
		{"", "", false, true},
	} {
		if got := globMatch(tc.p, tc.s, tc.nocase); got != tc.ok {
			t.Errorf("globMatch(%q, %q, %v) = %v", tc.p, tc.s, tc.nocase, got)
		}
	}
}

// field returns the value of key in a flat key/value list (RESP2 map).
func field(v resp.Value, key string) (resp.Value, bool) {
	for i := 0; i+1 < len(v.Elems); i += 2 {
		if string(v.Elems[i].Str) == key {
			return v.Elems[i+1], true
		}
	}
	return resp.Value{}, false
}

func TestCommandReplies(t *testing.T) {
	s, addr := adminTestServer(t)
	c := dialTest(t, addr)
	c.wantInt(int64(s.Table.Len()), "COMMAND", "COUNT")
	if all := c.do("COMMAND"); len(all.Elems) != s.Table.Len() {
		t.Errorf("COMMAND: %d entries, table has %d", len(all.Elems), s.Table.Len())
	}
	if all := c.do("COMMAND", "INFO"); len(all.Elems) != s.Table.Len() {
		t.Errorf("COMMAND INFO: %d entries", len(all.Elems))
	}
	if list := c.do("COMMAND", "LIST"); len(list.Elems) != len(allCommands(s.Table)) {
		t.Errorf("COMMAND LIST: %d names, %d commands and subcommands", len(list.Elems), len(allCommands(s.Table)))
	}

	v := c.do("COMMAND", "INFO", "get", "nosuch", "CLIENT|LIST")
	if len(v.Elems) != 3 || !v.Elems[1].Null {
		t.Fatalf("COMMAND INFO get nosuch client|list: %v", v)
	}
	get := v.Elems[0]
	if len(get.Elems) != 10 || string(get.Elems[0].Str) != "get" || get.Elems[1].Int != 2 ||
		get.Elems[2].Elems[0].Kind != resp.KindSimple || string(get.Elems[2].Elems[0].Str) != "readonly" ||
		get.Elems[3].Int != 1 || get.Elems[4].Int != 1 || get.Elems[5].Int != 1 ||
		string(get.Elems[6].Elems[0].Str) != "@read" || len(get.Elems[8].Elems) != 1 {
		t.Errorf("COMMAND INFO get: %v", get)
	}
	spec := get.Elems[8].Elems[0]
	bs, _ := field(spec, "begin_search")
	fk, _ := field(spec, "find_keys")
	if typ, _ := field(bs, "type"); string(typ.Str) != "index" {
		t.Errorf("key spec: %v", spec)
	}
	if typ, _ := field(fk, "type"); string(typ.Str) != "range" {
		t.Errorf("key spec: %v", spec)
	}
	cl := v.Elems[2]
	if string(cl.Elems[0].Str) != "client|list" || cl.Elems[1].Int != -2 || string(cl.Elems[7].Elems[0].Str) != "nondeterministic_output" {
		t.Errorf("COMMAND INFO client|list: %v", cl)
	}
	v = c.do("COMMAND", "INFO", "client")
	if subs := v.Elems[0].Elems[9]; len(subs.Elems) < 10 {
		t.Errorf("CLIENT subcommands: %v", subs)
	}

	// COMMAND DOCS set: what redis-cli needs for its hint
	v = c.do("COMMAND", "DOCS", "set", "nosuch")
	if len(v.Elems) != 2 || string(v.Elems[0].Str) != "set" {
		t.Fatalf("COMMAND DOCS set: %v", v)
	}
	doc := v.Elems[1]
	for _, k := range []string{"summary", "since", "group", "complexity"} {
		if f, ok := field(doc, k); !ok || f.Kind != resp.KindBulk {
			t.Errorf("docs %s: %v", k, doc)
		}
	}
	args, ok := field(doc, "arguments")
	if !ok || len(args.Elems) != 5 {
		t.Fatalf("SET arguments: %v", args)
	}
	key := args.Elems[0]
	if n, _ := field(key, "name"); string(n.Str) != "key" {
		t.Errorf("first argument: %v", key)
	}
	if typ, _ := field(key, "type"); string(typ.Str) != "key" {
		t.Errorf("first argument: %v", key)
	}
	if ks, _ := field(key, "key_spec_index"); ks.Kind != resp.KindInt || ks.Int != 0 {
		t.Errorf("first argument: %v", key)
	}
	exp := args.Elems[4]
	flags, _ := field(exp, "flags")
	if typ, _ := field(exp, "type"); string(typ.Str) != "oneof" || len(flags.Elems) != 1 ||
		flags.Elems[0].Kind != resp.KindSimple || string(flags.Elems[0].Str) != "optional" {
		t.Errorf("expiration argument: %v", exp)
	}
	sub, _ := field(exp, "arguments")
	if tok, _ := field(sub.Elems[0], "token"); string(tok.Str) != "EX" {
		t.Errorf("EX: %v", sub)
	}
	v = c.do("COMMAND", "DOCS", "config")
	if subs, ok := field(v.Elems[1], "subcommands"); !ok || len(subs.Elems) != 10 {
		t.Errorf("CONFIG docs subcommands: %v", v)
	}
	c.do("HELLO", "3")
	if v := c.do("COMMAND", "DOCS", "get"); v.Kind != resp.KindMap || v.Elems[1].Kind != resp.KindMap {
		t.Errorf("RESP3 COMMAND DOCS: %v", v)
	}
	c.do("HELLO", "2")

	// GETKEYS / GETKEYSANDFLAGS
	v = c.do("COMMAND", "GETKEYS", "mset", "a", "1", "b", "2")
	if len(v.Elems) != 2 || string(v.Elems[0].Str) != "a" || string(v.Elems[1].Str) != "b" {
		t.Errorf("GETKEYS mset: %v", v)
	}
	v = c.do("COMMAND", "GETKEYSANDFLAGS", "get", "k")
	if len(v.Elems) != 1 || string(v.Elems[0].Elems[0].Str) != "k" || string(v.Elems[0].Elems[1].Elems[0].Str) != "RO" {
		t.Errorf("GETKEYSANDFLAGS get: %v", v)
	}
	c.want(kErr, "ERR Invalid command specified", "COMMAND", "GETKEYS", "nosuch", "a")
	c.want(kErr, "ERR Invalid number of arguments specified for command", "COMMAND", "GETKEYS", "get", "a", "b")
	c.want(kErr, "ERR The command has no key arguments", "COMMAND", "GETKEYS", "ping", "x")
	c.want(kErr, "ERR The command has no key arguments", "COMMAND", "GETKEYS", "client", "kill")
	c.want(kErr, "ERR wrong number of arguments for 'command|getkeys' command", "COMMAND", "GETKEYS", "get")

	// LIST filters
	v = c.do("COMMAND", "LIST", "FILTERBY", "PATTERN", "client|*")
	if len(v.Elems) < 10 {
		t.Errorf("LIST PATTERN client|*: %v", v)
	}
	v = c.do("COMMAND", "LIST", "FILTERBY", "ACLCAT", "read")
	hasGet := false
	for _, e := range v.Elems {
		hasGet = hasGet || string(e.Str) == "get"
		if string(e.Str) == "set" {
			t.Errorf("set in @read")
		}
	}
	if !hasGet {
		t.Errorf("LIST ACLCAT read: %v", v)
	}
	if v := c.do("COMMAND", "LIST", "FILTERBY", "MODULE", "x"); len(v.Elems) != 0 {
		t.Errorf("LIST MODULE: %v", v)
	}
	c.want(kErr, "ERR syntax error", "COMMAND", "LIST", "FILTERBY", "FOO", "x")
	c.want(kErr, "ERR syntax error", "COMMAND", "LIST", "FILTERBY")
	c.want(kErr, "ERR unknown subcommand 'foo'. Try COMMAND HELP.", "COMMAND", "foo")
	if h := c.do("COMMAND", "HELP"); len(h.Elems) != 21 {
		t.Errorf("COMMAND HELP: %v", h)
	}
}
