package diff

import (
	"crypto/sha1"
	"encoding/hex"
	"strconv"
	"strings"
)

func sha1hex(s string) string {
	sum := sha1.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

func init() { generators["scripting"] = genScripting }

// genScripting builds random scripts from a grammar of safe operations:
// sequences of redis.call / redis.pcall on the key pool (strings family
// commands, errors included), Lua string and integer operations on ARGV,
// round trips through cjson, cmsgpack, struct and bit, RESP2/RESP3
// conversions (redis.setresp), read-only scripts, shebang flags, and the
// script cache and function library lifecycles (SCRIPT LOAD/EXISTS/FLUSH,
// EVALSHA, FUNCTION LOAD/DELETE/LIST, FCALL/FCALL_RO). Replies whose order
// Lua leaves unspecified (maps of several keys) are not generated.
func genScripting(g *Gen) Op {
	switch g.R.IntN(20) {
	case 0, 1, 2, 3, 4, 5:
		return g.evalOp()
	case 6:
		return g.codecOp()
	case 7:
		return g.jsonOp()
	case 8:
		return g.packOp()
	case 9:
		body := scriptPool[g.R.IntN(len(scriptPool))]
		return Op{Args: []string{"SCRIPT", "LOAD", body}}
	case 10:
		body := scriptPool[g.R.IntN(len(scriptPool))]
		args := []string{g.Pick("EVALSHA", "EVALSHA", "EVALSHA_RO"), sha1hex(body), "1", g.Key(), g.Value()}
		return Op{Args: args}
	case 11:
		args := []string{"SCRIPT", "EXISTS"}
		for i := g.Int(1, 3); i > 0; i-- {
			args = append(args, sha1hex(scriptPool[g.R.IntN(len(scriptPool))]))
		}
		return Op{Args: args}
	case 12:
		if g.Chance(0.2) {
			return Op{Args: []string{"SCRIPT", "FLUSH"}}
		}
		return Op{Args: []string{"FUNCTION", "DELETE", g.Pick("glib1", "glib2", "glib3", "nolib")}}
	case 13, 14:
		lib := libPool[g.R.IntN(len(libPool))]
		args := []string{"FUNCTION", "LOAD"}
		if g.Chance(0.5) {
			args = append(args, "REPLACE")
		}
		return Op{Args: append(args, lib)}
	case 15, 16:
		fn := g.Pick("gget", "gset", "gincr", "gerr", "gecho", "nofn")
		cmd := "FCALL"
		if g.Chance(0.3) {
			cmd = "FCALL_RO"
		}
		return Op{Args: []string{cmd, fn, "1", g.Key(), g.Value()}}
	case 17:
		return Op{Args: []string{"FUNCTION", "LIST", "LIBRARYNAME", g.Pick("glib1", "glib2", "glib3")}}
	case 18:
		return g.roOp()
	default:
		return g.errorOp()
	}
}

// A few fixed scripts for SCRIPT LOAD / EVALSHA.
var scriptPool = []string{
	"return redis.call('get', KEYS[1])",
	"return redis.call('set', KEYS[1], ARGV[1])",
	"return {KEYS[1], ARGV[1], redis.call('exists', KEYS[1])}",
	"return redis.pcall('incr', KEYS[1])",
	"#!lua flags=no-writes\nreturn redis.call('strlen', KEYS[1])",
	"#!lua\nreturn redis.call('append', KEYS[1], ARGV[1])",
}

// Function libraries for FUNCTION LOAD (one function each, so that FUNCTION
// LIST's order is defined).
var libPool = []string{
	"#!lua name=glib1\nredis.register_function{function_name='gget', callback=function(keys, args) return redis.call('get', keys[1]) end, flags={'no-writes'}}",
	"#!lua name=glib1\nredis.register_function{function_name='gget', callback=function(keys, args) return {redis.call('get', keys[1]), #args} end, flags={'no-writes'}, description='get'}",
	"#!lua name=glib2\nredis.register_function('gset', function(keys, args) return redis.call('set', keys[1], args[1]) end)",
	"#!lua name=glib2\nredis.register_function('gincr', function(keys, args) return redis.pcall('incr', keys[1]) end)",
	"#!lua name=glib3\nredis.register_function('gerr', function(keys, args) return redis.call('incrby', keys[1], args[1]) end)",
	"#!lua name=glib3\nredis.register_function{function_name='gecho', callback=function(keys, args) return args end, flags={'no-writes', 'allow-oom'}}",
	"#!lua name=glib4\nredis.register_function('gget', function() return 1 end)",
}

// luaQuote quotes s as a Lua string literal.
func luaQuote(s string) string {
	var b strings.Builder
	b.WriteByte('\'')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\'' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c >= 0x7f:
			// three digits, so that a following digit is not part of it
			d := strconv.Itoa(int(c))
			b.WriteString("\\" + strings.Repeat("0", 3-len(d)) + d)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('\'')
	return b.String()
}

// expr returns a Lua expression over KEYS[1..nk] and ARGV[1..na].
func (g *Gen) expr(nk, na int) string {
	k := "KEYS[" + g.IntArg(1, nk) + "]"
	a := "ARGV[" + g.IntArg(1, na) + "]"
	call := g.Pick("redis.call", "redis.pcall")
	switch g.R.IntN(22) {
	case 0:
		return call + "('get', " + k + ")"
	case 1:
		return call + "('set', " + k + ", " + a + ")"
	case 2:
		return call + "('incr', " + k + ")"
	case 3:
		return call + "('incrby', " + k + ", " + a + ")"
	case 4:
		return call + "('append', " + k + ", " + a + ")"
	case 5:
		return call + "('del', " + k + ")"
	case 6:
		return call + "('exists', " + k + ", " + k + ")"
	case 7:
		return call + "('strlen', " + k + ")"
	case 8:
		return call + "('mget', " + k + ", " + k + ")"
	case 9:
		return call + "('getrange', " + k + ", " + g.IntArg(-5, 5) + ", " + g.IntArg(-5, 5) + ")"
	case 10:
		return call + "('setrange', " + k + ", " + g.IntArg(0, 10) + ", " + a + ")"
	case 11:
		return call + "('type', " + k + ")"
	case 12:
		return "#" + a
	case 13:
		return "string.upper(" + a + ")"
	case 14:
		return "string.rep(" + a + ", " + g.IntArg(0, 3) + ")"
	case 15:
		return "(tonumber(" + a + ") or " + g.IntArg(-3, 3) + ")"
	case 16:
		return a + " .. " + luaQuote(g.Value())
	case 17:
		return "string.sub(" + a + ", " + g.IntArg(-4, 4) + ", " + g.IntArg(-4, 4) + ")"
	case 18:
		return call + "('incrbyfloat', " + k + ", " + a + ")"
	case 19:
		return "redis.sha1hex(" + a + ")"
	case 20:
		return call + "('setnx', " + k + ", " + a + ")"
	default:
		return "type(" + call + "('get', " + k + "))"
	}
}

// evalOp is an EVAL of a random sequence of statements whose values are
// collected into the reply.
func (g *Gen) evalOp() Op {
	nk, na := g.Int(1, 3), g.Int(1, 3)
	var b strings.Builder
	resp3 := g.Chance(0.2)
	if resp3 {
		b.WriteString("redis.setresp(3) ")
	}
	b.WriteString("local r = {} ")
	for i := g.Int(1, 4); i > 0; i-- {
		e := g.expr(nk, na)
		switch g.R.IntN(4) {
		case 0:
			b.WriteString("local _ = " + e + " ")
		case 1:
			b.WriteString("local v = " + e + " if type(v) == 'table' then r[#r+1] = v.err or v.ok or #v else r[#r+1] = v end ")
		default:
			b.WriteString("r[#r+1] = " + e + " ")
		}
	}
	switch g.R.IntN(6) {
	case 0:
		b.WriteString("return #r")
	case 1:
		b.WriteString("return r[1]")
	case 2:
		b.WriteString("return {ok = 'done'}")
	default:
		b.WriteString("return r")
	}
	args := []string{"EVAL", b.String(), strconv.Itoa(nk)}
	for i := 0; i < nk; i++ {
		args = append(args, g.Key())
	}
	for i := 0; i < na; i++ {
		args = append(args, g.Value())
	}
	return Op{Args: args}
}

// codecOp is a bit or struct operation on random numbers.
func (g *Gen) codecOp() Op {
	n := func() string {
		return g.Pick("0", "1", "-1", "255", "256", "65535", "-32768", "2147483647", "-2147483648", "4294967295",
			"4294967296", "1.5", "-2.5", strconv.Itoa(g.Int(-100000, 100000)))
	}
	switch g.R.IntN(6) {
	case 0:
		fn := g.Pick("band", "bor", "bxor")
		return Op{Args: []string{"EVAL", "return bit." + fn + "(tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]))", "0", n(), n(), n()}}
	case 1:
		fn := g.Pick("lshift", "rshift", "arshift", "rol", "ror")
		return Op{Args: []string{"EVAL", "return bit." + fn + "(tonumber(ARGV[1]), tonumber(ARGV[2]))", "0", n(), g.IntArg(0, 40)}}
	case 2:
		fn := g.Pick("tobit", "bnot", "bswap")
		return Op{Args: []string{"EVAL", "return {bit." + fn + "(tonumber(ARGV[1])), bit.tohex(tonumber(ARGV[1]), tonumber(ARGV[2]))}", "0", n(), g.IntArg(-9, 9)}}
	case 3:
		f := g.Pick(">i4", "<i4", ">I2", "<h", "b", "B", ">l", "<I8", ">i3", "<i2 >i2", "!4 b i4", "i8")
		return Op{Args: []string{"EVAL", "local ok, s = pcall(struct.pack, ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])) if not ok then return s end return {s, struct.unpack(ARGV[1], s)}", "0", f, n(), n()}}
	case 4:
		f := g.Pick(">i4", "<i2", "B", "s", "c3", ">I2 B", "<d", ">f", "x b", "z")
		return Op{Args: []string{"EVAL", "local ok, a, b, c = pcall(struct.unpack, ARGV[1], ARGV[2]) return {tostring(ok), a, b, c}", "0", f, g.Value()}}
	default:
		f := g.Pick(">i4 h b", "d", "!8 b d", "c5 i2", "s", "x")
		return Op{Args: []string{"EVAL", "local ok, v = pcall(struct.size, ARGV[1]) return v", "0", f}}
	}
}

// jsonValue is a random JSON document: arrays, single-key objects, strings
// with escapes, numbers, booleans and null.
func (g *Gen) jsonValue(depth int) string {
	if depth > 3 {
		return g.Pick("1", "\"s\"", "null")
	}
	switch g.R.IntN(9) {
	case 0:
		n := g.Int(0, 4)
		parts := make([]string, n)
		for i := range parts {
			parts[i] = g.jsonValue(depth + 1)
		}
		return "[" + strings.Join(parts, ",") + "]"
	case 1:
		return "{\"" + g.Pick("a", "key", "x y", "\\u00e9") + "\":" + g.jsonValue(depth+1) + "}"
	case 2:
		return g.Pick("\"\"", "\"text\"", "\"a\\\"b\"", "\"tab\\tnl\\n\"", "\"\\u0041\\u00e9\"", "\"sl\\/ash\"", "\"\\ud83d\\ude00\"")
	case 3:
		return g.Pick("0", "-1", "42", "3.5", "-0.25", "1e3", "123456789012", "1E-2", "0.1")
	case 4:
		return g.Pick("true", "false", "null")
	case 5:
		return g.Pick("[1,", "{\"a\"}", "[1 2]", "nul", "\"unterminated", "{1:2}", "[]x", "")
	default:
		return strconv.Itoa(g.Int(-1000, 1000))
	}
}

func (g *Gen) jsonOp() Op {
	switch g.R.IntN(4) {
	case 0:
		return Op{Args: []string{"EVAL", "return cjson.encode(cjson.decode(ARGV[1]))", "0", g.jsonValue(0)}}
	case 1:
		return Op{Args: []string{"EVAL", "local ok, v = pcall(cjson.decode, ARGV[1]) if not ok then return v end if type(v) == 'table' then return #v end return tostring(v)", "0", g.jsonValue(0)}}
	case 2:
		return Op{Args: []string{"EVAL", "return cjson.encode({ARGV[1], tonumber(ARGV[2]) or ARGV[2], {ARGV[3]}})", "0", g.Value(), g.Value(), g.Value()}}
	default:
		return Op{Args: []string{"EVAL", "return cjson.encode({[ARGV[1]] = ARGV[2]})", "0", g.Value(), g.Value()}}
	}
}

// packOp is a cmsgpack round trip.
func (g *Gen) packOp() Op {
	switch g.R.IntN(3) {
	case 0:
		return Op{Args: []string{"EVAL", "return cmsgpack.pack(ARGV[1], tonumber(ARGV[2]) or 0, {ARGV[3], true, false}, {x = ARGV[1]})", "0", g.Value(), g.Value(), g.Value()}}
	case 1:
		return Op{Args: []string{"EVAL", "local t = {cmsgpack.unpack(cmsgpack.pack(ARGV[1], tonumber(ARGV[2]) or -1, {1, {2, ARGV[1]}}))} return {t[1], t[2], t[3][2][2]}", "0", g.Value(), g.Value()}}
	default:
		return Op{Args: []string{"EVAL", "local ok, a, b = pcall(cmsgpack.unpack, ARGV[1]) if not ok then return a end return {type(a) == 'table' and 'table' or tostring(a), type(b) == 'table' and 'table' or tostring(b)}", "0", g.Value()}}
	}
}

// roOp is a read-only script (EVAL_RO, or a no-writes shebang) that may
// try to write.
func (g *Gen) roOp() Op {
	cmd := g.Pick("get", "strlen", "set", "incr", "del")
	args := "KEYS[1]"
	if cmd == "set" {
		args += ", ARGV[1]"
	}
	call := g.Pick("redis.call", "redis.pcall")
	body := "return " + call + "('" + cmd + "', " + args + ")"
	if g.Chance(0.5) {
		return Op{Args: []string{"EVAL_RO", body, "1", g.Key(), g.Value()}}
	}
	return Op{Args: []string{g.Pick("EVAL", "EVAL_RO"), "#!lua flags=no-writes\n" + body, "1", g.Key(), g.Value()}}
}

// errorOp is a script or command that fails in one of Redis' ways.
func (g *Gen) errorOp() Op {
	switch g.R.IntN(10) {
	case 0:
		return Op{Args: []string{"EVAL", "return redis.call('nosuchcommand')", "0"}}
	case 1:
		return Op{Args: []string{"EVAL", "return redis.call('get')", "0"}}
	case 2:
		return Op{Args: []string{"EVAL", "return undefined_global", "0"}}
	case 3:
		return Op{Args: []string{"EVAL", "newglobal = 1", "0"}}
	case 4:
		return Op{Args: []string{"EVAL", "error(" + luaQuote(g.Value()) + ")", "0"}}
	case 5:
		return Op{Args: []string{"EVAL", "return redis.error_reply(ARGV[1])", "0", g.Value()}}
	case 6:
		return Op{Args: []string{"EVAL", "return 1", g.Pick("-1", "x", "5", "")}}
	case 7:
		return Op{Args: []string{"EVAL", "return redis.call('multi')", "0"}}
	case 8:
		return Op{Args: []string{"EVAL", "return {err = ARGV[1]}", "0", g.Value()}}
	default:
		return Op{Args: []string{"EVALSHA", g.Pick("0000000000000000000000000000000000000000", "nosuchsha"), "0"}}
	}
}
