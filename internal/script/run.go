package script

import (
	"crypto/sha1"
	"encoding/hex"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	lua "github.com/yuin/gopher-lua"

	"github.com/lightconedb/lightcone/internal/resp"
)

// Flags are a script's or function's flags (shebang "flags=", the flags of
// redis.register_function).
type Flags uint32

const (
	FlagNoWrites Flags = 1 << iota
	FlagAllowOOM
	FlagAllowStale
	FlagNoCluster
	FlagAllowCrossSlot
	// FlagEvalCompat marks an EVAL script without a shebang (Redis' legacy
	// mode: it may write, use keys it did not declare, run when OOM...).
	FlagEvalCompat
)

var flagNames = []struct {
	name string
	f    Flags
}{
	{"no-writes", FlagNoWrites}, {"allow-oom", FlagAllowOOM}, {"allow-stale", FlagAllowStale},
	{"no-cluster", FlagNoCluster}, {"allow-cross-slot-keys", FlagAllowCrossSlot},
}

// FlagList names the flags set in f, in Redis' order.
func (f Flags) List() []string {
	var out []string
	for _, fn := range flagNames {
		if f&fn.f != 0 {
			out = append(out, fn.name)
		}
	}
	return out
}

// Script is a cached EVAL script.
type Script struct {
	Sha   string
	Body  string
	Flags Flags
	fn    *lua.LFunction
}

// Engine is a node's scripting state: the script cache, the function
// libraries and the two interpreters (EVAL scripts and functions, as Redis
// keeps them apart). Its methods are safe for concurrent use; a run holds
// the engine's lock for its whole duration.
type Engine struct {
	mu sync.Mutex // the interpreters, libraries and functions
	// cacheMu guards cache for readers (EVALSHA's Lookup does not wait for
	// a script running on another loop); writers hold mu as well
	cacheMu sync.RWMutex
	eval    *VM
	fvm     *VM
	cache   map[string]*Script
	libs    map[string]*Library
	funcs   map[string]*Function

	running atomic.Pointer[VM]

	// counters for INFO
	cachedScripts atomic.Int64
	cacheBytes    atomic.Int64
	nFuncs        atomic.Int64
	nLibs         atomic.Int64
	libBytes      atomic.Int64
}

// NewEngine returns an empty scripting state.
func NewEngine() *Engine {
	return &Engine{
		eval:  newVM(false),
		fvm:   newVM(true),
		cache: map[string]*Script{},
		libs:  map[string]*Library{},
		funcs: map[string]*Function{},
	}
}

// Sha1Hex is the hex SHA1 of a script body.
func Sha1Hex(body []byte) string {
	sum := sha1.Sum(body)
	return hex.EncodeToString(sum[:])
}

// ParseShebang reads an EVAL script's shebang ("#!lua flags=no-writes").
// err is Redis' error reply.
func ParseShebang(body []byte) (flags Flags, hasShebang bool, err string) {
	if len(body) < 2 || body[0] != '#' || body[1] != '!' {
		return FlagEvalCompat, false, ""
	}
	line := body
	if i := indexByte(body, '\n'); i >= 0 {
		line = body[:i]
	}
	if indexByte(body, '\n') < 0 {
		return 0, true, "ERR Invalid script shebang"
	}
	parts := strings.Fields(string(line))
	if parts[0] != "#!lua" {
		return 0, true, "ERR Unexpected engine in script shebang: " + parts[0]
	}
	for _, p := range parts[1:] {
		if p == "" {
			continue
		}
		if strings.HasPrefix(p, "flags=") {
			for _, f := range strings.Split(p[len("flags="):], ",") {
				found := false
				for _, fn := range flagNames {
					if fn.name == f {
						flags |= fn.f
						found = true
					}
				}
				if !found {
					return 0, true, "ERR Unexpected flag in script shebang: " + f
				}
			}
			continue
		}
		return 0, true, "ERR Unknown lua shebang option: " + p
	}
	return flags, true, ""
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

// Lookup finds a cached script by its SHA1 (any case).
func (e *Engine) Lookup(sha []byte) *Script {
	var buf [40]byte
	if len(sha) != 40 {
		return nil
	}
	for i, c := range sha {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	e.cacheMu.RLock()
	s := e.cache[string(buf[:])]
	e.cacheMu.RUnlock()
	return s
}

// Exists reports whether a script is cached.
func (e *Engine) Exists(sha []byte) bool { return e.Lookup(sha) != nil }

// Load compiles body and caches it (SCRIPT LOAD, EVAL). err is Redis' error
// reply.
func (e *Engine) Load(body []byte) (*Script, string) {
	sha := Sha1Hex(body)
	e.cacheMu.RLock()
	s := e.cache[sha]
	e.cacheMu.RUnlock()
	if s != nil {
		return s, "" // EVAL of a cached body: no wait for a running script
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if s := e.cache[sha]; s != nil {
		return s, ""
	}
	flags, shebang, serr := ParseShebang(body)
	if serr != "" {
		return nil, serr
	}
	src := string(body)
	if shebang {
		src = "--" + src[2:]
	}
	fn, cerr := e.eval.compile(src, "user_script")
	if cerr != "" {
		return nil, "ERR Error compiling script (new function): " + cerr
	}
	s = &Script{Sha: sha, Body: string(body), Flags: flags, fn: fn}
	e.cacheMu.Lock()
	e.cache[sha] = s
	e.cacheMu.Unlock()
	e.cachedScripts.Add(1)
	e.cacheBytes.Add(int64(len(body)))
	return s, ""
}

// Flush empties the script cache and resets the EVAL interpreter.
func (e *Engine) Flush() {
	e.mu.Lock()
	e.cacheMu.Lock()
	e.cache = map[string]*Script{}
	e.cacheMu.Unlock()
	e.eval = newVM(false)
	e.cachedScripts.Store(0)
	e.cacheBytes.Store(0)
	e.mu.Unlock()
}

// Stats for INFO.
func (e *Engine) CachedScripts() int64 { return e.cachedScripts.Load() }
func (e *Engine) CachedBytes() int64   { return e.cacheBytes.Load() }
func (e *Engine) NumFunctions() int64  { return e.nFuncs.Load() }
func (e *Engine) NumLibraries() int64  { return e.nLibs.Load() }
func (e *Engine) LibraryBytes() int64  { return e.libBytes.Load() }
func (e *Engine) Running() bool        { return e.running.Load() != nil }
func (e *Engine) KillRunning() {
	if vm := e.running.Load(); vm != nil {
		vm.Kill()
	}
}

// Killed reports whether the last run ended because it was killed.
type Result struct {
	Killed bool
}

// RunEval runs a cached script with KEYS and ARGV, writing its reply to w.
func (e *Engine) RunEval(s *Script, host Host, keys, argv [][]byte, w *resp.Writer) Result {
	e.mu.Lock()
	defer e.mu.Unlock()
	vm := e.eval
	L := vm.L
	fn := s.fn
	if fn == nil {
		return Result{}
	}
	vm.setArray("KEYS", &vm.keysT, keys)
	vm.setArray("ARGV", &vm.argvT, argv)
	L.Push(fn)
	vm.evalRun = run{host: host, name: s.Sha, proto: 2}
	return e.run(vm, &vm.evalRun, 0, w)
}

// run calls the function on top of the stack (below its nargs arguments).
func (e *Engine) run(vm *VM, r *run, nargs int, w *resp.Writer) Result {
	L := vm.L
	vm.cur = r
	e.running.Store(vm)
	err := L.PCall(nargs, 1, vm.errFn)
	e.running.Store(nil)
	killed := vm.ctx.closed.Load()
	if err != nil {
		obj := lua.LValue(lua.LNil)
		if ae, ok := err.(*lua.ApiError); ok {
			obj = ae.Object
		}
		if _, isTable := obj.(*lua.LTable); killed && !isTable {
			obj = vm.killTable(r)
		}
		vm.writeError(w, obj, r)
	} else {
		v := L.Get(-1)
		L.Pop(1)
		writeReply(w, v, r.proto, 0)
	}
	L.SetTop(0)
	vm.cur = nil
	vm.resetKill()
	return Result{Killed: killed}
}

func (vm *VM) killTable(r *run) *lua.LTable {
	return errTable(vm.L, "Script killed by user with SCRIPT KILL...") // functions too, as Redis 7.0
}

// setArray sets the global KEYS or ARGV. Scripts without keys (or
// arguments) share one empty table, replaced only if a script filled it.
func (vm *VM) setArray(name string, cur **lua.LTable, xs [][]byte) {
	if len(xs) == 0 {
		if vm.empty == nil || vm.empty.Len() != 0 {
			vm.empty = vm.L.CreateTable(0, 0)
		}
		if k, _ := vm.empty.Next(lua.LNil); k != lua.LNil {
			vm.empty = vm.L.CreateTable(0, 0)
		}
		if *cur == vm.empty {
			return
		}
		*cur = vm.empty
		vm.real.RawSetString(name, vm.empty)
		return
	}
	if t := *cur; t != nil && t != vm.empty && reusable(t, xs) {
		// the last run's table, untouched but for its elements: refill it
		// rather than build a new one for every run
		for i, x := range xs {
			if old, ok := t.RawGetInt(i + 1).(lua.LString); !ok || string(old) != string(x) {
				t.RawSetInt(i+1, lua.LString(x))
			}
		}
		return
	}
	*cur = stringArray(vm.L, xs)
	vm.real.RawSetString(name, *cur)
}

// reusable reports whether t, a KEYS or ARGV table of an earlier run, still
// is a plain array of len(xs) strings (a script may have changed it).
func reusable(t *lua.LTable, xs [][]byte) bool {
	n := len(xs)
	if t.Metatable != lua.LNil || t.Len() != n {
		return false
	}
	if k, _ := t.Next(lua.LNumber(n)); k != lua.LNil {
		return false // keys beyond the array
	}
	return true
}

func stringArray(L *lua.LState, xs [][]byte) *lua.LTable {
	t := L.CreateTable(len(xs), 0)
	for i, x := range xs {
		t.RawSetInt(i+1, lua.LString(x))
	}
	return t
}

// errHandler is Redis' __redis__err__handler: it turns any error into an
// error table and records where it was raised.
func (vm *VM) errHandler(L *lua.LState) int {
	errv := L.Get(1)
	t, ok := errv.(*lua.LTable)
	if vm.ctx.closed.Load() && vm.cur != nil {
		t, ok = vm.killTable(vm.cur), true
	}
	if !ok {
		s := "nil"
		switch x := errv.(type) {
		case lua.LString:
			s = luaMessage(string(x))
		case lua.LNumber:
			s = FormatNumber(float64(x))
		case *lua.LNilType:
		default:
			s = errv.String()
		}
		t = L.CreateTable(0, 3)
		t.RawSetString("err", lua.LString("ERR "+s))
	}
	// the function that raised the error: level 1, or the Lua function
	// that called it when that is a Go function (error, redis.call)
	for level := 1; level <= 3; level++ {
		dbg, ok := L.GetStack(level)
		if !ok {
			break
		}
		if _, err := L.GetInfo("Sl", dbg, lua.LNil); err != nil {
			break
		}
		if dbg.What == "G" || dbg.CurrentLine <= 0 {
			continue
		}
		t.RawSetString("source", lua.LString(vm.chunk))
		t.RawSetString("line", lua.LNumber(dbg.CurrentLine))
		break
	}
	L.Push(t)
	return 1
}

// writeError writes a failed run's error reply.
func (vm *VM) writeError(w *resp.Writer, obj lua.LValue, r *run) {
	t, ok := obj.(*lua.LTable)
	if !ok {
		msg := "execution failure"
		if s, isStr := luaStringOf(obj); isStr {
			msg = s
		}
		if len(msg) > 100 {
			msg = msg[:100]
		}
		w.Error("ERR Error running script " + r.name + ", " + msg)
		return
	}
	msg, _ := luaStringOf(t.RawGetString("err"))
	msg = cString(msg)
	src, sok := t.RawGetString("source").(lua.LString)
	line, lok := luaStringOf(t.RawGetString("line"))
	if sok && lok {
		msg += " script: " + r.name + ", on " + string(src) + ":" + line + "."
	}
	w.Error(msg)
}

var _ = strconv.Itoa
