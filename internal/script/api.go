package script

import (
	"crypto/sha1"
	"encoding/hex"
	"math"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/lightconedb/lightcone/internal/resp"
)

// RedisVersion is what redis.REDIS_VERSION reports.
const (
	RedisVersion    = "7.0.15"
	RedisVersionNum = 0x07000f
)

// openRedis installs the redis table.
func (vm *VM) openRedis() {
	L := vm.L
	r := L.NewTable()
	fns := map[string]lua.LGFunction{
		"call":               func(L *lua.LState) int { return vm.redisCall(L, true) },
		"pcall":              func(L *lua.LState) int { return vm.redisCall(L, false) },
		"error_reply":        luaErrorReply,
		"status_reply":       luaStatusReply,
		"sha1hex":            luaSha1hex,
		"log":                vm.luaLog,
		"setresp":            vm.luaSetresp,
		"set_repl":           luaSetRepl,
		"replicate_commands": func(L *lua.LState) int { L.Push(lua.LTrue); return 1 },
		"breakpoint":         func(L *lua.LState) int { L.Push(lua.LFalse); return 1 },
		"debug":              func(L *lua.LState) int { return 0 },
		"acl_check_cmd":      vm.luaACLCheck,
	}
	for k, f := range fns {
		r.RawSetString(k, L.NewFunction(f))
	}
	for k, v := range map[string]int{"LOG_DEBUG": LogDebug, "LOG_VERBOSE": LogVerbose, "LOG_NOTICE": LogNotice, "LOG_WARNING": LogWarning,
		"REPL_NONE": 0, "REPL_AOF": 1, "REPL_SLAVE": 2, "REPL_REPLICA": 2, "REPL_ALL": 3} {
		r.RawSetString(k, lua.LNumber(v))
	}
	r.RawSetString("REDIS_VERSION", lua.LString(RedisVersion))
	r.RawSetString("REDIS_VERSION_NUM", lua.LNumber(RedisVersionNum))
	vm.real.RawSetString("redis", r)
}

// errTable builds Redis' error table from "-CODE msg" or "msg" (code ERR).
func errTable(L *lua.LState, msg string) *lua.LTable {
	code := "ERR"
	if strings.HasPrefix(msg, "-") {
		if i := strings.IndexByte(msg, ' '); i >= 0 {
			code, msg = msg[1:i], msg[i+1:]
		} else {
			msg = msg[1:]
		}
	}
	msg = strings.Trim(msg, "\r\n") // sdstrim: both ends
	t := L.CreateTable(0, 3)
	t.RawSetString("err", lua.LString(code+" "+msg))
	return t
}

// raise raises an error table made by errTable.
func raise(L *lua.LState, msg string) int {
	L.Error(errTable(L, msg), 0)
	return 0
}

func luaErrorReply(L *lua.LState) int {
	s, ok := L.Get(1).(lua.LString)
	if L.GetTop() != 1 || !ok {
		L.Push(errTable(L, "wrong number or type of arguments"))
		return 1
	}
	msg := cString(string(s))
	if !strings.HasPrefix(msg, "-") {
		msg = "-" + msg
	}
	L.Push(errTable(L, msg))
	return 1
}

func luaStatusReply(L *lua.LState) int {
	s, ok := L.Get(1).(lua.LString)
	if L.GetTop() != 1 || !ok {
		L.Push(errTable(L, "wrong number or type of arguments"))
		return 1
	}
	t := L.CreateTable(0, 1)
	t.RawSetString("ok", s)
	L.Push(t)
	return 1
}

func luaSha1hex(L *lua.LState) int {
	if L.GetTop() != 1 {
		L.Error(lua.LString("wrong number of arguments"), 0)
	}
	s, ok := luaStringOf(L.Get(1))
	if !ok {
		s = ""
	}
	sum := sha1.Sum([]byte(s))
	L.Push(lua.LString(hex.EncodeToString(sum[:])))
	return 1
}

// luaStringOf is lua_tolstring: strings and numbers convert.
func luaStringOf(v lua.LValue) (string, bool) {
	switch x := v.(type) {
	case lua.LString:
		return string(x), true
	case lua.LNumber:
		return FormatNumber(float64(x)), true
	}
	return "", false
}

func (vm *VM) luaLog(L *lua.LState) int {
	n := L.GetTop()
	if n < 2 {
		return raise(L, "redis.log() requires two arguments or more.")
	}
	lv, ok := luaToNum(L.Get(1))
	if !ok {
		return raise(L, "First argument must be a number (log level).")
	}
	level := int(lv)
	if level < LogDebug || level > LogWarning {
		return raise(L, "Invalid debug level.")
	}
	var b strings.Builder
	for i := 2; i <= n; i++ {
		if i > 2 {
			b.WriteByte(' ')
		}
		if s, ok := luaStringOf(L.Get(i)); ok {
			b.WriteString(s)
		}
	}
	if vm.cur != nil && vm.cur.host != nil {
		vm.cur.host.Log(level, b.String())
	}
	return 0
}

func (vm *VM) luaSetresp(L *lua.LState) int {
	if L.GetTop() != 1 {
		return raise(L, "redis.setresp() requires one argument.")
	}
	n, _ := luaToNum(L.Get(1))
	if n != 2 && n != 3 {
		return raise(L, "RESP version must be 2 or 3.")
	}
	if vm.cur != nil {
		vm.cur.proto = int(n)
	}
	return 0
}

func luaSetRepl(L *lua.LState) int {
	if L.GetTop() != 1 {
		return raise(L, "redis.set_repl() requires two arguments.")
	}
	n, _ := luaToNum(L.Get(1))
	if n < 0 || n > 3 || n != lua.LNumber(math.Trunc(float64(n))) {
		return raise(L, "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.")
	}
	return 0
}

// CommandChecker is an optional Host method for redis.acl_check_cmd.
type CommandChecker interface {
	// CanRun reports whether the command exists (ok) and the script's user
	// may run it (allowed).
	CanRun(args [][]byte) (ok, allowed bool)
}

func (vm *VM) luaACLCheck(L *lua.LState) int {
	n := L.GetTop()
	if n < 1 {
		return raise(L, "Please specify at least one argument for this redis lib call")
	}
	args, ok := vm.collectArgs(L, n)
	if !ok {
		return raise(L, "Lua redis lib command arguments must be strings or integers")
	}
	if vm.cur != nil {
		if cc, isCC := vm.cur.host.(CommandChecker); isCC {
			exists, allowed := cc.CanRun(args)
			if !exists {
				return raise(L, "Invalid command passed to redis.acl_check_cmd()")
			}
			L.Push(lua.LBool(allowed))
			return 1
		}
	}
	L.Push(lua.LTrue)
	return 1
}

// collectArgs converts the n arguments on the stack to command arguments
// (strings, and numbers as "%.17g"); ok=false when one is neither.
func (vm *VM) collectArgs(L *lua.LState, n int) ([][]byte, bool) {
	vm.argBuf = vm.argBuf[:0]
	vm.argOffs = vm.argOffs[:0]
	for i := 1; i <= n; i++ {
		switch x := L.Get(i).(type) {
		case lua.LString:
			vm.argBuf = append(vm.argBuf, x...)
		case lua.LNumber:
			vm.argBuf = formatArg(vm.argBuf, float64(x))
		default:
			return nil, false
		}
		vm.argOffs = append(vm.argOffs, len(vm.argBuf))
	}
	vm.args = vm.args[:0]
	start := 0
	for _, end := range vm.argOffs {
		vm.args = append(vm.args, vm.argBuf[start:end:end])
		start = end
	}
	return vm.args, true
}

// redisCall is redis.call (raise=true) and redis.pcall.
func (vm *VM) redisCall(L *lua.LState, raiseErr bool) int {
	n := L.GetTop()
	fail := func(msg string) int {
		t := errTable(L, msg)
		if raiseErr {
			L.Error(t, 0)
			return 0
		}
		L.Push(t)
		return 1
	}
	if n == 0 {
		return fail("Please specify at least one argument for this redis lib call")
	}
	args, ok := vm.collectArgs(L, n)
	if !ok {
		return fail("Lua redis lib command arguments must be strings or integers")
	}
	if vm.cur == nil || vm.cur.host == nil {
		return fail("Unknown Redis command called from script")
	}
	vm.w.SetProto(vm.cur.proto)
	vm.sink.b = vm.sink.b[:0]
	if refused := vm.cur.host.Call(args, vm.w); refused != "" {
		return fail("-" + refused)
	}
	vm.w.Flush()
	v, _ := vm.parser.parse(L, vm.sink.b, 0)
	if len(vm.sink.b) > 1<<20 {
		vm.sink.b = nil // do not keep a huge reply's buffer
	}
	if raiseErr {
		if t, isT := v.(*lua.LTable); isT && vm.parser.lastErr {
			L.Error(t, 0)
			return 0
		}
	}
	L.Push(v)
	return 1
}

// replyParser turns a RESP reply into Lua values by Redis' rules.
type replyParser struct {
	lastErr bool // the top-level reply was an error
}

func (p *replyParser) parse(L *lua.LState, b []byte, i int) (lua.LValue, int) {
	p.lastErr = false
	return p.value(L, b, i)
}

func lineEnd(b []byte, i int) int {
	for j := i; j+1 < len(b); j++ {
		if b[j] == '\r' && b[j+1] == '\n' {
			return j
		}
	}
	return len(b)
}

func atoi(b []byte) int64 {
	n, neg := int64(0), false
	for i, c := range b {
		if i == 0 && c == '-' {
			neg = true
			continue
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		return -n
	}
	return n
}

func (p *replyParser) value(L *lua.LState, b []byte, i int) (lua.LValue, int) {
	if i >= len(b) {
		return lua.LNil, i
	}
	kind := b[i]
	e := lineEnd(b, i+1)
	line := b[i+1 : e]
	next := e + 2
	switch kind {
	case '+':
		t := L.CreateTable(0, 1)
		t.RawSetString("ok", lua.LString(line))
		return t, next
	case '-':
		t := L.CreateTable(0, 1)
		t.RawSetString("err", lua.LString(line))
		p.lastErr = true
		return t, next
	case ':':
		return lua.LNumber(atoi(line)), next
	case '$', '=', '!':
		n := atoi(line)
		if n < 0 {
			return lua.LFalse, next
		}
		s := b[next : next+int(n)]
		next += int(n) + 2
		if kind == '=' {
			t := L.CreateTable(0, 1)
			v := L.CreateTable(0, 2)
			if len(s) >= 4 {
				v.RawSetString("format", lua.LString(s[:3]))
				v.RawSetString("string", lua.LString(s[4:]))
			}
			t.RawSetString("verbatim_string", v)
			return t, next
		}
		if kind == '!' {
			t := L.CreateTable(0, 1)
			t.RawSetString("err", lua.LString(s))
			return t, next
		}
		return lua.LString(s), next
	case '*', '~', '%', '>':
		n := atoi(line)
		if n < 0 {
			return lua.LFalse, next
		}
		switch kind {
		case '%':
			m := L.CreateTable(0, int(n))
			for j := int64(0); j < n; j++ {
				var k, v lua.LValue
				k, next = p.value(L, b, next)
				v, next = p.value(L, b, next)
				if k != lua.LNil {
					m.RawSet(k, v)
				}
			}
			t := L.CreateTable(0, 1)
			t.RawSetString("map", m)
			return t, next
		case '~':
			m := L.CreateTable(0, int(n))
			for j := int64(0); j < n; j++ {
				var k lua.LValue
				k, next = p.value(L, b, next)
				if k != lua.LNil {
					m.RawSet(k, lua.LTrue)
				}
			}
			t := L.CreateTable(0, 1)
			t.RawSetString("set", m)
			return t, next
		}
		t := L.CreateTable(int(min(n, 1024)), 0)
		for j := int64(0); j < n; j++ {
			var v lua.LValue
			v, next = p.value(L, b, next)
			t.RawSetInt(int(j+1), v)
		}
		return t, next
	case ',':
		f := parseDouble(line)
		t := L.CreateTable(0, 1)
		t.RawSetString("double", lua.LNumber(f))
		return t, next
	case '#':
		return lua.LBool(len(line) > 0 && line[0] == 't'), next
	case '(':
		t := L.CreateTable(0, 1)
		t.RawSetString("big_number", lua.LString(line))
		return t, next
	case '_':
		return lua.LNil, next
	case '|':
		n := atoi(line)
		for j := int64(0); j < 2*n; j++ {
			_, next = p.value(L, b, next)
		}
		return p.value(L, b, next)
	}
	return lua.LNil, next
}

func parseDouble(b []byte) float64 {
	switch string(b) {
	case "inf", "+inf":
		return math.Inf(1)
	case "-inf":
		return math.Inf(-1)
	case "nan", "-nan":
		return math.NaN()
	}
	f, _ := strconv.ParseFloat(string(b), 64)
	return f
}

// toInt64 is C's (long long) cast of a Lua number, as Redis uses for integer
// replies (x86: out of range and NaN give the minimum).
func toInt64(f float64) int64 {
	if f != f || f >= 9.223372036854775807e18 || f < -9.223372036854775808e18 {
		return math.MinInt64
	}
	return int64(f)
}

// maxReplyDepth bounds the nesting of a script's reply (Redis stops at Lua's
// C stack limit).
const maxReplyDepth = 1000

// writeReply writes a Lua value as the script's reply, with Redis' Lua →
// RESP rules; luaProto is the protocol the script chose (redis.setresp).
func writeReply(w *resp.Writer, v lua.LValue, luaProto int, depth int) {
	switch x := v.(type) {
	case lua.LString:
		w.BulkString(string(x))
	case lua.LBool:
		if luaProto == 2 {
			if x {
				w.Int(1)
			} else {
				w.Null()
			}
		} else {
			w.Bool(bool(x))
		}
	case lua.LNumber:
		w.Int(toInt64(float64(x)))
	case *lua.LTable:
		if depth >= maxReplyDepth {
			w.Error("ERR reached lua stack limit")
			return
		}
		if e, ok := x.RawGetString("err").(lua.LString); ok {
			w.Error(strings.TrimRight(cString(string(e)), "\r\n"))
			return
		}
		if s, ok := x.RawGetString("ok").(lua.LString); ok {
			w.Simple(cString(string(s)))
			return
		}
		if d, ok := x.RawGetString("double").(lua.LNumber); ok {
			w.Double(float64(d))
			return
		}
		if s, ok := x.RawGetString("big_number").(lua.LString); ok {
			w.BigNumber(string(s))
			return
		}
		if vt, ok := x.RawGetString("verbatim_string").(*lua.LTable); ok {
			f, fok := vt.RawGetString("format").(lua.LString)
			s, sok := vt.RawGetString("string").(lua.LString)
			if fok && sok {
				w.Verbatim(string(f), string(s))
				return
			}
		}
		if m, ok := x.RawGetString("map").(*lua.LTable); ok {
			n := 0
			m.ForEach(func(_, _ lua.LValue) { n++ })
			w.MapLen(n)
			m.ForEach(func(k, val lua.LValue) {
				writeReply(w, k, luaProto, depth+1)
				writeReply(w, val, luaProto, depth+1)
			})
			return
		}
		if m, ok := x.RawGetString("set").(*lua.LTable); ok {
			n := 0
			m.ForEach(func(_, _ lua.LValue) { n++ })
			w.SetLen(n)
			m.ForEach(func(k, _ lua.LValue) { writeReply(w, k, luaProto, depth+1) })
			return
		}
		n := 0
		for x.RawGetInt(n+1) != lua.LNil {
			n++
		}
		w.ArrayLen(n)
		for j := 1; j <= n; j++ {
			writeReply(w, x.RawGetInt(j), luaProto, depth+1)
		}
	default:
		w.Null()
	}
}

// luaToNum is lua_tonumber: numbers, and strings that convert (else 0).
func luaToNum(v lua.LValue) (lua.LNumber, bool) {
	switch x := v.(type) {
	case lua.LNumber:
		return x, true
	case lua.LString:
		if f, ok := strToNumber(string(x)); ok {
			return lua.LNumber(f), true
		}
	}
	return 0, false
}

// cString is s as C sees it: up to its first NUL byte (Redis builds error
// and status replies from C strings).
func cString(s string) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return s[:i]
	}
	return s
}
