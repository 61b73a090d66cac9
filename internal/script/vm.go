// Package script is Lightcone's Lua runtime: Redis 7.0's scripting
// environment (EVAL scripts and FUNCTION libraries) on gopher-lua (Lua 5.1).
//
// It knows nothing of connections or the keyspace: commands called from a
// script go through a Host, which runs them and writes their reply into a
// resp.Writer; the VM parses that reply back into Lua values with Redis'
// RESP2/RESP3 → Lua rules, and writes a script's result with the Lua →
// RESP rules. The server serialises runs (one script at a time, holding its
// gate), so a VM is used by one goroutine at a time; Kill may be called from
// any goroutine.
package script

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"

	"github.com/lightconedb/lightcone/internal/resp"
)

// Host runs the commands a script calls.
type Host interface {
	// Call runs args (a command called from the running script) and writes
	// its reply to w, which speaks the protocol the script chose with
	// redis.setresp. If the command is refused before it runs (unknown,
	// wrong arity, not allowed from scripts, a write in a read-only
	// script...) Call writes nothing and returns Redis' error text
	// ("ERR Unknown Redis command called from script").
	Call(args [][]byte, w *resp.Writer) (refused string)
	// Log writes a redis.log line (level is one of the LOG_* values).
	Log(level int, msg string)
}

// Log levels of redis.log.
const (
	LogDebug   = 0
	LogVerbose = 1
	LogNotice  = 2
	LogWarning = 3
)

// errKilled is the error a killed script raises at its next instruction.
var errKilled = errors.New("Script killed by user with SCRIPT KILL...")

// killCtx is the context a VM runs under: closing done makes the running
// script raise an error at its next instruction (SCRIPT KILL, FUNCTION
// KILL, SHUTDOWN NOSAVE).
type killCtx struct {
	done   chan struct{}
	closed atomic.Bool
}

func newKillCtx() *killCtx                                 { return &killCtx{done: make(chan struct{})} }
func (k *killCtx) Deadline() (deadline time.Time, ok bool) { return }
func (k *killCtx) Done() <-chan struct{}                   { return k.done }
func (k *killCtx) Value(any) any                           { return nil }
func (k *killCtx) Err() error {
	if k.closed.Load() {
		return errKilled
	}
	return nil
}
func (k *killCtx) kill() {
	if k.closed.CompareAndSwap(false, true) {
		close(k.done)
	}
}

// run is the state of the script being run.
type run struct {
	host     Host
	name     string // the sha1 of an EVAL script, the name of a function
	proto    int    // redis.setresp: the protocol of the replies of redis.call
	function bool   // a FUNCTION (FCALL) rather than an EVAL script
}

// VM is one Lua interpreter with Redis' environment.
type VM struct {
	L        *lua.LState
	real     *lua.LTable                 // the globals behind the read-only _G proxy
	proxy    *lua.LTable                 // what scripts see as their globals
	readonly map[*lua.LTable]*lua.LTable // read-only proxy → the table it shows
	errFn    *lua.LFunction
	ctx      *killCtx
	cur      *run
	rng      uint64 // math.random's 48-bit state (Redis' redisLrand48)

	// buffers for redis.call
	argBuf  []byte
	argOffs []int
	args    [][]byte
	sink    sink
	w       *resp.Writer
	parser  replyParser
	chunk   string // "@user_script" or "@user_function"
	srcName string // "user_script" or "user_function"

	// library loading (FUNCTION LOAD)
	loading *Library

	// EVAL's globals KEYS and ARGV as last set, and the shared empty table
	keysT, argvT, empty *lua.LTable
	evalRun             run
}

// sink collects what the scratch writer flushes.
type sink struct{ b []byte }

func (s *sink) Write(p []byte) (int, error) {
	s.b = append(s.b, p...)
	return len(p), nil
}

// The globals Redis 7.0 leaves to scripts (base library).
var keepBase = map[string]bool{
	"assert": true, "collectgarbage": true, "error": true, "getmetatable": true, "ipairs": true,
	"load": true, "loadstring": true, "next": true, "pairs": true, "pcall": true, "rawequal": true,
	"rawget": true, "rawset": true, "select": true, "setmetatable": true, "tonumber": true,
	"tostring": true, "type": true, "unpack": true, "xpcall": true, "_G": true, "_VERSION": true,
}

func init() {
	// Lua 5.1's LUA_COMPAT_VARARG "arg" table, which gopher-lua builds on
	// every call of a vararg function (every script's main chunk) at the
	// cost of two maps; scripts use "..." instead.
	lua.CompatVarArg = false
}

// newVM builds an interpreter; function selects the FUNCTION flavour
// (chunk names "user_function").
func newVM(function bool) *VM {
	L := lua.NewState(lua.Options{SkipOpenLibs: true, CallStackSize: 1024, RegistrySize: 1024 * 20, RegistryMaxSize: 1024 * 1024, RegistryGrowStep: 64})
	for _, lib := range []struct {
		name string
		fn   lua.LGFunction
	}{
		{lua.BaseLibName, lua.OpenBase}, {lua.TabLibName, lua.OpenTable}, {lua.StringLibName, lua.OpenString},
		{lua.MathLibName, lua.OpenMath}, {lua.CoroutineLibName, lua.OpenCoroutine},
	} {
		L.Push(L.NewFunction(lib.fn))
		L.Push(lua.LString(lib.name))
		L.Call(1, 0)
	}
	vm := &VM{L: L, real: L.G.Global, readonly: map[*lua.LTable]*lua.LTable{}, ctx: newKillCtx(), rng: 0x1234ABCD330E}
	vm.chunk, vm.srcName = "@user_script", "user_script"
	if function {
		vm.chunk, vm.srcName = "@user_function", "user_function"
	}
	vm.w = resp.NewWriter(&vm.sink, 64*1024)
	g := vm.real
	var drop []string
	g.ForEach(func(k, v lua.LValue) {
		if s, ok := k.(lua.LString); ok {
			if _, isTable := v.(*lua.LTable); !isTable && !keepBase[string(s)] {
				drop = append(drop, string(s))
			}
		}
	})
	for _, k := range drop {
		g.RawSetString(k, lua.LNil)
	}
	g.RawSetString("package", lua.LNil)
	g.RawSetString("_VERSION", lua.LString("Lua 5.1"))
	g.RawSetString("gcinfo", L.NewFunction(func(L *lua.LState) int { L.Push(lua.LNumber(luaMemoryKB())); return 1 }))
	g.RawSetString("tostring", L.NewFunction(luaToString))
	g.RawSetString("rawset", L.NewFunction(vm.luaRawSet))
	g.RawSetString("setmetatable", L.NewFunction(vm.luaSetMetatable))
	g.RawSetString("collectgarbage", L.NewFunction(luaCollectGarbage))
	g.RawSetString("error", L.NewFunction(luaError))
	g.RawSetString("pcall", L.NewFunction(luaPcall))
	g.RawSetString("tonumber", L.NewFunction(luaToNumber))
	next := L.NewFunction(vm.luaNext)
	g.RawSetString("next", next)
	g.RawSetString("pairs", L.NewFunction(func(L *lua.LState) int {
		t := L.CheckTable(1)
		L.Push(next)
		L.Push(t)
		L.Push(lua.LNil)
		return 3
	}))
	g.RawSetString("rawget", L.NewFunction(func(L *lua.LState) int {
		t := vm.unwrap(L.CheckTable(1))
		L.Push(t.RawGet(L.CheckAny(2)))
		return 1
	}))
	vm.patchLibs()
	openBit(L)
	openStruct(L)
	openCjson(L)
	openCmsgpack(L)
	vm.openRedis()
	vm.errFn = L.NewFunction(vm.errHandler)
	g.RawSetString("__redis__err__handler", vm.errFn)

	// read-only library tables and globals
	for _, lib := range []string{"string", "math", "table", "coroutine", "bit", "struct", "cjson", "cmsgpack", "redis"} {
		if t, ok := g.RawGetString(lib).(*lua.LTable); ok {
			g.RawSetString(lib, vm.protect(t))
		}
	}
	vm.proxy = vm.protect(g)
	g.RawSetString("_G", vm.proxy)
	gm := L.NewTable()
	gm.RawSetString("__index", L.NewFunction(luaNoGlobal))
	L.SetMetatable(g, gm)
	L.SetContext(vm.ctx)
	return vm
}

// protect returns a read-only view of t: reads go to t, writes fail with
// Redis' "Attempt to modify a readonly table".
func (vm *VM) protect(t *lua.LTable) *lua.LTable {
	L := vm.L
	p := L.NewTable()
	mt := L.NewTable()
	mt.RawSetString("__index", t)
	mt.RawSetString("__newindex", L.NewFunction(luaReadonly))
	mt.RawSetString("__metatable", lua.LFalse)
	L.SetMetatable(p, mt)
	vm.readonly[p] = t
	return p
}

func luaReadonly(L *lua.LState) int {
	libError(L, "Attempt to modify a readonly table")
	return 0
}

func luaNoGlobal(L *lua.LState) int {
	libError(L, "Script attempted to access nonexistent global variable '%s'", L.ToString(2))
	return 0
}

func (vm *VM) luaRawSet(L *lua.LState) int {
	t := L.CheckTable(1)
	if vm.readonly[t] != nil {
		L.Error(lua.LString("Attempt to modify a readonly table"), 0)
	}
	k := L.CheckAny(2)
	if k == lua.LNil {
		libArgError(L, 2, "table index is nil")
	}
	t.RawSet(k, L.CheckAny(3))
	L.SetTop(1)
	return 1
}

func (vm *VM) luaSetMetatable(L *lua.LState) int {
	t := L.CheckTable(1)
	if vm.readonly[t] != nil {
		L.Error(lua.LString("Attempt to modify a readonly table"), 0)
	}
	mt := L.Get(2)
	if m := L.GetMetatable(t); m != lua.LNil {
		if mm, ok := m.(*lua.LTable); ok && mm.RawGetString("__metatable") != lua.LNil {
			libError(L, "cannot change a protected metatable")
		}
	}
	if mt != lua.LNil {
		if _, ok := mt.(*lua.LTable); !ok {
			libTypeError(L, 2, "table")
		}
	}
	L.SetMetatable(t, mt)
	L.SetTop(1)
	return 1
}

func luaCollectGarbage(L *lua.LState) int {
	switch opt := L.OptString(1, "collect"); opt {
	case "count":
		L.Push(lua.LNumber(luaMemoryKB()))
	case "step":
		L.Push(lua.LFalse)
	default:
		L.Push(lua.LNumber(0))
	}
	return 1
}

// luaMemoryKB is what collectgarbage("count") reports: Lua's own heap is
// part of the Go heap, so a fixed small figure is reported.
func luaMemoryKB() float64 { return 32 }

// luaToString is tostring with Lua 5.1's number format ("%.14g").
func luaToString(L *lua.LState) int {
	v := L.CheckAny(1)
	if n, ok := v.(lua.LNumber); ok {
		L.Push(lua.LString(FormatNumber(float64(n))))
		return 1
	}
	if v == cjsonNull {
		L.Push(lua.LString("userdata: (nil)")) // a NULL light userdata in C
		return 1
	}
	if mt, ok := L.GetMetaField(v, "__tostring").(*lua.LFunction); ok {
		L.Push(mt)
		L.Push(v)
		L.Call(1, 1)
		return 1
	}
	switch x := v.(type) {
	case lua.LString:
		L.Push(x)
	case *lua.LNilType:
		L.Push(lua.LString("nil"))
	case lua.LBool:
		if x {
			L.Push(lua.LString("true"))
		} else {
			L.Push(lua.LString("false"))
		}
	default:
		L.Push(lua.LString(v.String()))
	}
	return 1
}

// FormatNumber formats a Lua number as Lua 5.1 does ("%.14g").
func FormatNumber(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		if math.Signbit(f) {
			return "-nan"
		}
		return "nan"
	}
	if f == math.Trunc(f) && math.Abs(f) < 1e14 {
		if f == 0 && math.Signbit(f) {
			return "-0"
		}
		return strconv.FormatInt(int64(f), 10)
	}
	return strconv.FormatFloat(f, 'g', 14, 64)
}

// formatArg formats a number passed to redis.call ("%.17g", as Redis 7.0).
func formatArg(b []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(b, "inf"...)
	case math.IsInf(f, -1):
		return append(b, "-inf"...)
	case math.IsNaN(f):
		if math.Signbit(f) {
			return append(b, "-nan"...)
		}
		return append(b, "nan"...)
	}
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		if f == 0 && math.Signbit(f) {
			return append(b, "-0"...)
		}
		return strconv.AppendInt(b, int64(f), 10)
	}
	return strconv.AppendFloat(b, f, 'g', 17, 64)
}

// patchLibs adds what gopher-lua lacks from Lua 5.1's standard library and
// replaces math.random with Redis' deterministic generator.
func (vm *VM) patchLibs() {
	L := vm.L
	g := vm.real
	tbl := g.RawGetString("table").(*lua.LTable)
	tbl.RawSetString("foreach", L.NewFunction(tableForeach))
	tbl.RawSetString("foreachi", L.NewFunction(tableForeachi))
	tbl.RawSetString("setn", L.NewFunction(func(L *lua.LState) int {
		libError(L, "'setn' is obsolete")
		return 0
	}))
	m := g.RawGetString("math").(*lua.LTable)
	m.RawSetString("huge", lua.LNumber(math.Inf(1)))
	m.RawSetString("random", L.NewFunction(vm.mathRandom))
	m.RawSetString("randomseed", L.NewFunction(vm.mathRandomseed))
	s := g.RawGetString("string").(*lua.LTable)
	s.RawSetString("format", L.NewFunction(strFormat))
	// C's toupper/tolower in the "C" locale: ASCII only
	s.RawSetString("upper", L.NewFunction(func(L *lua.LState) int {
		b := []byte(checkString(L, 1))
		for i, c := range b {
			if c >= 'a' && c <= 'z' {
				b[i] = c - 32
			}
		}
		L.Push(lua.LString(b))
		return 1
	}))
	s.RawSetString("lower", L.NewFunction(func(L *lua.LState) int {
		b := []byte(checkString(L, 1))
		for i, c := range b {
			if c >= 'A' && c <= 'Z' {
				b[i] = c + 32
			}
		}
		L.Push(lua.LString(b))
		return 1
	}))
	// strings index the string table through a metatable of their own, so
	// that the table itself has no __index field (as in Lua 5.1)
	s.RawSetString("__index", lua.LNil)
	smt := L.NewTable()
	smt.RawSetString("__index", s)
	L.SetMetatable(lua.LString(""), smt)
}

func tableForeach(L *lua.LState) int {
	t := L.CheckTable(1)
	f := L.CheckFunction(2)
	k, v := t.Next(lua.LNil)
	for k != lua.LNil {
		L.Push(f)
		L.Push(k)
		L.Push(v)
		L.Call(2, 1)
		if r := L.Get(-1); r != lua.LNil {
			return 1
		}
		L.Pop(1)
		k, v = t.Next(k)
	}
	return 0
}

func tableForeachi(L *lua.LState) int {
	t := L.CheckTable(1)
	f := L.CheckFunction(2)
	n := t.Len()
	for i := 1; i <= n; i++ {
		L.Push(f)
		L.Push(lua.LNumber(i))
		L.Push(t.RawGetInt(i))
		L.Call(2, 1)
		if r := L.Get(-1); r != lua.LNil {
			return 1
		}
		L.Pop(1)
	}
	return 0
}

// Redis' lrand48: a 48-bit linear congruential generator, reseeded with 0
// before every script so that scripts stay deterministic.
const lrandMax = 1<<31 - 1

func (vm *VM) srand48(seed int32) { vm.rng = uint64(uint32(seed))<<16 | 0x330E }

func (vm *VM) lrand48() int32 {
	vm.rng = (vm.rng*0x5DEECE66D + 0xB) & (1<<48 - 1)
	return int32(vm.rng >> 17)
}

func (vm *VM) mathRandom(L *lua.LState) int {
	r := float64(vm.lrand48()%lrandMax) / float64(lrandMax)
	switch L.GetTop() {
	case 0:
		L.Push(lua.LNumber(r))
	case 1:
		u := checkInt(L, 1)
		if u < 1 {
			libArgError(L, 1, "interval is empty")
		}
		L.Push(lua.LNumber(math.Floor(r*float64(u)) + 1))
	case 2:
		l, u := checkInt(L, 1), checkInt(L, 2)
		if l > u {
			libArgError(L, 2, "interval is empty")
		}
		L.Push(lua.LNumber(math.Floor(r*float64(u-l+1)) + float64(l)))
	default:
		libError(L, "wrong number of arguments")
	}
	return 1
}

func (vm *VM) mathRandomseed(L *lua.LState) int {
	vm.srand48(int32(checkInt(L, 1)))
	return 0
}

// compile compiles source as a chunk named chunk. The error is Lua 5.1's
// message ("user_script:1: unexpected symbol near '<eof>'").
func (vm *VM) compile(src, name string) (*lua.LFunction, string) {
	chunk, err := parse.Parse(strings.NewReader(src), name)
	if err != nil {
		return nil, parseMessage(err, src, name)
	}
	proto, err := lua.Compile(chunk, name)
	if err != nil {
		return nil, name + ": " + err.Error()
	}
	fn := vm.L.NewFunctionFromProto(proto)
	fn.Env = vm.proxy
	return fn, ""
}

// parseMessage renders a gopher-lua syntax error like Lua 5.1's parser.
func parseMessage(err error, src, name string) string {
	var pe *parse.Error
	if errors.As(err, &pe) {
		line := pe.Pos.Line
		near := pe.Token
		if line == parse.EOF || line <= 0 {
			line = strings.Count(src, "\n") + 1
			near = "<eof>"
		}
		msg := pe.Message
		if msg == "syntax error" || msg == "" {
			msg = "unexpected symbol"
		}
		if strings.HasPrefix(msg, "unterminated string") {
			// Lua reports the line where the string starts and its text so far
			for _, q := range []string{"'", "\""} {
				if i := strings.Index(src, q+near); i >= 0 {
					line = strings.Count(src[:i], "\n") + 1
					near = q + near
					break
				}
			}
			return name + ":" + strconv.Itoa(line) + ": unfinished string near '" + near + "'"
		}
		return name + ":" + strconv.Itoa(line) + ": " + msg + " near '" + near + "'"
	}
	return name + ": " + strings.TrimSpace(err.Error())
}

// Kill stops the running script at its next Lua instruction.
func (vm *VM) Kill() { vm.ctx.kill() }

// resetKill readies the VM for the next script after a kill.
func (vm *VM) resetKill() {
	if vm.ctx.closed.Load() {
		vm.ctx = newKillCtx()
		vm.L.SetContext(vm.ctx)
	}
}

// unwrap returns the table a read-only proxy shows (or t itself).
func (vm *VM) unwrap(t *lua.LTable) *lua.LTable {
	if r := vm.readonly[t]; r != nil {
		return r
	}
	return t
}

func (vm *VM) luaNext(L *lua.LState) int {
	t := vm.unwrap(L.CheckTable(1))
	k, v := t.Next(L.Get(2))
	if k == lua.LNil {
		L.Push(lua.LNil)
		return 1
	}
	L.Push(k)
	L.Push(v)
	return 2
}

// luaError is Lua 5.1's error: a string or number message gets the position
// of the function at level (default 1); any other value is raised as is.
func luaError(L *lua.LState) int {
	v := L.Get(1)
	level := L.OptInt(2, 1)
	switch x := v.(type) {
	case lua.LString:
		L.Error(lua.LString(where(L, level)+string(x)), 0)
	case lua.LNumber:
		L.Error(lua.LString(where(L, level)+FormatNumber(float64(x))), 0)
	}
	L.Error(v, 0)
	return 0
}

// where is luaL_where: "chunk:line: " of the Lua function at level.
func where(L *lua.LState, level int) string {
	if level <= 0 {
		return ""
	}
	dbg, ok := L.GetStack(level)
	if !ok {
		return ""
	}
	if _, err := L.GetInfo("Sl", dbg, lua.LNil); err != nil || dbg.CurrentLine <= 0 {
		return ""
	}
	src := dbg.Source
	if strings.HasPrefix(src, "@") || strings.HasPrefix(src, "=") {
		src = src[1:]
	}
	return src + ":" + strconv.Itoa(dbg.CurrentLine) + ": "
}

// luaMessage rewrites gopher-lua's runtime error texts as Lua 5.1 words
// them (without the variable names Lua 5.1 adds when it knows them).
func luaMessage(s string) string {
	pos := ""
	if i := strings.Index(s, ": "); i >= 0 && strings.HasPrefix(s, "user_") {
		pos, s = s[:i+2], s[i+2:]
	}
	switch {
	case strings.HasPrefix(s, "cannot perform concat operation between "):
		a, b, _ := strings.Cut(strings.TrimPrefix(s, "cannot perform concat operation between "), " and ")
		t := a
		if a == "string" || a == "number" {
			t = b
		}
		return pos + "attempt to concatenate a " + t + " value"
	case strings.HasPrefix(s, "cannot perform ") && strings.Contains(s, " operation between "):
		_, rest, _ := strings.Cut(s, " operation between ")
		a, b, _ := strings.Cut(rest, " and ")
		t := a
		if a == "number" || a == "string" {
			t = b
		}
		return pos + "attempt to perform arithmetic on a " + t + " value"
	case strings.HasPrefix(s, "attempt to index a non-table object("):
		t, _, _ := strings.Cut(strings.TrimPrefix(s, "attempt to index a non-table object("), ")")
		return pos + "attempt to index a " + t + " value"
	case s == "attempt to call a non-function object":
		return pos + "attempt to call a nil value"
	case strings.HasPrefix(s, "__len undefined"):
		return pos + "attempt to get length of a nil value"
	case strings.HasPrefix(s, "bad argument #"):
		// gopher-lua does not quote the function name
		if i := strings.Index(s, " to "); i >= 0 {
			rest := s[i+4:]
			if j := strings.Index(rest, " ("); j > 0 && !strings.HasPrefix(rest, "'") {
				return pos + s[:i+4] + "'" + rest[:j] + "'" + rest[j:]
			}
		}
	}
	return pos + s
}

// luaPcall is Redis 7.0's pcall: an error table's err field becomes the
// error message.
func luaPcall(L *lua.LState) int {
	L.CheckAny(1)
	nargs := L.GetTop() - 1
	err := L.PCall(nargs, lua.MultRet, nil)
	if err != nil {
		obj := lua.LValue(lua.LString(err.Error()))
		if ae, ok := err.(*lua.ApiError); ok {
			obj = ae.Object
		}
		if t, ok := obj.(*lua.LTable); ok {
			if s, isStr := t.RawGetString("err").(lua.LString); isStr {
				obj = s
			}
		}
		L.SetTop(0)
		L.Push(lua.LFalse)
		L.Push(obj)
		return 2
	}
	L.Insert(lua.LTrue, 1)
	return L.GetTop()
}

// luaToNumber is Lua 5.1's tonumber.
func luaToNumber(L *lua.LState) int {
	v := L.CheckAny(1)
	base := L.OptInt(2, 10)
	if base == 10 {
		switch x := v.(type) {
		case lua.LNumber:
			L.Push(x)
			return 1
		case lua.LString:
			if f, ok := strToNumber(string(x)); ok {
				L.Push(lua.LNumber(f))
				return 1
			}
		}
		L.Push(lua.LNil)
		return 1
	}
	if base < 2 || base > 36 {
		libArgError(L, 2, "base out of range")
	}
	s := strings.ToLower(strings.TrimSpace(checkString(L, 1)))
	neg := false
	if strings.HasPrefix(s, "-") {
		neg, s = true, s[1:]
	}
	if s == "" {
		L.Push(lua.LNil)
		return 1
	}
	var n float64
	for i := 0; i < len(s); i++ {
		c := s[i]
		var d int
		switch {
		case c >= '0' && c <= '9':
			d = int(c - '0')
		case c >= 'a' && c <= 'z':
			d = int(c-'a') + 10
		default:
			d = 99
		}
		if d >= base {
			L.Push(lua.LNil)
			return 1
		}
		n = n*float64(base) + float64(d)
	}
	if neg {
		n = -n
	}
	L.Push(lua.LNumber(n))
	return 1
}
