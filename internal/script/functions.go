package script

import (
	"sort"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/lightconedb/lightcone/internal/rdb"
	"github.com/lightconedb/lightcone/internal/resp"
)

// Library is a FUNCTION library ("#!lua name=lib").
type Library struct {
	Name      string
	Code      string
	Functions []*Function // in registration order
}

// Function is a registered function.
type Function struct {
	Name        string
	Description string // "" = none
	HasDesc     bool
	Flags       Flags
	Lib         *Library
	fn          *lua.LFunction
}

func validName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// parseLibMeta reads the "#!lua name=lib" line.
func parseLibMeta(code string) (name string, err string) {
	if !strings.HasPrefix(code, "#!") {
		return "", "ERR Missing library metadata"
	}
	i := strings.IndexByte(code, '\n')
	if i < 0 {
		return "", "ERR Invalid library metadata"
	}
	parts := strings.Split(code[:i], " ")
	engine := parts[0][2:]
	named := false
	for _, p := range parts[1:] {
		if p == "" {
			continue
		}
		if strings.HasPrefix(p, "name=") {
			name, named = p[len("name="):], true
			continue
		}
		return "", "ERR Invalid metadata value given: " + p
	}
	if !named {
		return "", "ERR Library name was not given"
	}
	if !validName(name) {
		return "", "ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long"
	}
	if !strings.EqualFold(engine, "lua") {
		return "", "ERR Engine '" + engine + "' not found"
	}
	return name, ""
}

// compileLibrary runs a library's code in the load environment and returns
// the library with its functions (not yet installed). Caller holds e.mu.
func (e *Engine) compileLibrary(code string) (*Library, string) {
	name, err := parseLibMeta(code)
	if err != "" {
		return nil, err
	}
	vm := e.fvm
	src := "--" + code[2:]
	fn, cerr := vm.compile(src, "user_function")
	if cerr != "" {
		return nil, "ERR Error compiling function: " + cerr
	}
	lib := &Library{Name: name, Code: code}
	vm.loading = lib
	L := vm.L
	runRedis := vm.real.RawGetString("redis")
	vm.real.RawSetString("redis", vm.loadRedis())
	L.Push(fn)
	perr := L.PCall(0, 0, vm.errFn)
	vm.real.RawSetString("redis", runRedis)
	vm.loading = nil
	L.SetTop(0)
	vm.resetKill()
	if perr != nil {
		msg := "execution failure"
		if ae, ok := perr.(*lua.ApiError); ok {
			if t, isT := ae.Object.(*lua.LTable); isT {
				msg, _ = luaStringOf(t.RawGetString("err"))
			} else if s, isS := luaStringOf(ae.Object); isS {
				msg = s
			}
		}
		return nil, "ERR Error registering functions: " + msg
	}
	if len(lib.Functions) == 0 {
		return nil, "ERR No functions registered"
	}
	return lib, ""
}

// loadRedis is the redis table a library sees while it loads.
func (vm *VM) loadRedis() *lua.LTable {
	L := vm.L
	if t, ok := L.G.Registry.RawGetString("lightcone.loadredis").(*lua.LTable); ok {
		return t
	}
	r := L.NewTable()
	r.RawSetString("register_function", L.NewFunction(vm.registerFunction))
	r.RawSetString("log", L.NewFunction(vm.luaLog))
	r.RawSetString("setresp", L.NewFunction(vm.luaSetresp))
	for k, v := range map[string]int{"LOG_DEBUG": LogDebug, "LOG_VERBOSE": LogVerbose, "LOG_NOTICE": LogNotice, "LOG_WARNING": LogWarning} {
		r.RawSetString(k, lua.LNumber(v))
	}
	r.RawSetString("REDIS_VERSION", lua.LString(RedisVersion))
	r.RawSetString("REDIS_VERSION_NUM", lua.LNumber(RedisVersionNum))
	mt := L.NewTable()
	mt.RawSetString("__index", L.NewFunction(luaNoGlobal))
	L.SetMetatable(r, mt)
	p := vm.protect(r)
	L.G.Registry.RawSetString("lightcone.loadredis", p)
	return p
}

// registerFunction is redis.register_function, positional (name, callback)
// or named ({function_name=, callback=, flags=, description=}).
func (vm *VM) registerFunction(L *lua.LState) int {
	lib := vm.loading
	if lib == nil {
		return raise(L, "redis.register_function can only be called on FUNCTION LOAD command")
	}
	f := &Function{Lib: lib}
	switch L.GetTop() {
	case 1:
		t, ok := L.Get(1).(*lua.LTable)
		if !ok {
			return raise(L, "calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).")
		}
		var bad string
		t.ForEach(func(k, v lua.LValue) {
			if bad != "" {
				return
			}
			ks, ok := k.(lua.LString)
			if !ok {
				bad = "named argument key given to redis.register_function is not a string"
				return
			}
			switch string(ks) {
			case "function_name":
				s, ok := luaStringOf(v)
				if !ok {
					bad = "function_name argument given to redis.register_function must be a string"
					return
				}
				f.Name = s
			case "description":
				s, ok := luaStringOf(v)
				if !ok {
					bad = "description argument given to redis.register_function must be a string"
					return
				}
				f.Description, f.HasDesc = s, true
			case "callback":
				fn, ok := v.(*lua.LFunction)
				if !ok {
					bad = "callback argument given to redis.register_function must be a function"
					return
				}
				f.fn = fn
			case "flags":
				ft, ok := v.(*lua.LTable)
				if !ok {
					bad = "flags argument to redis.register_function must be a table representing function flags"
					return
				}
				fl, ferr := parseFlagTable(ft)
				if ferr != "" {
					bad = ferr
					return
				}
				f.Flags = fl
			default:
				bad = "unknown argument given to redis.register_function"
			}
		})
		if bad != "" {
			return raise(L, bad)
		}
		if f.Name == "" && f.fn == nil {
			return raise(L, "redis.register_function must get a function name argument")
		}
		if f.fn == nil {
			return raise(L, "redis.register_function must get a callback argument")
		}
	case 2:
		s, ok := luaStringOf(L.Get(1))
		if !ok {
			return raise(L, "first argument to redis.register_function must be a string")
		}
		fn, ok := L.Get(2).(*lua.LFunction)
		if !ok {
			return raise(L, "second argument to redis.register_function must be a function")
		}
		f.Name, f.fn = s, fn
	default:
		return raise(L, "wrong number of arguments to redis.register_function")
	}
	if !validName(f.Name) {
		return raise(L, "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long")
	}
	for _, g := range lib.Functions {
		if strings.EqualFold(g.Name, f.Name) {
			return raise(L, "Function already exists in the library")
		}
	}
	lib.Functions = append(lib.Functions, f)
	return 0
}

func parseFlagTable(t *lua.LTable) (Flags, string) {
	var fl Flags
	n := t.Len()
	for i := 1; i <= n; i++ {
		s, ok := t.RawGetInt(i).(lua.LString)
		if !ok {
			return 0, "unknown flag given"
		}
		found := false
		for _, fn := range flagNames {
			if fn.name == string(s) {
				fl |= fn.f
				found = true
			}
		}
		if !found {
			return 0, "unknown flag given"
		}
	}
	return fl, ""
}

// LoadLibrary is FUNCTION LOAD [REPLACE]: it returns the library's name.
func (e *Engine) LoadLibrary(code string, replace bool) (string, string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	name, err := parseLibMeta(code)
	if err != "" {
		return "", err
	}
	if old := e.libs[name]; old != nil && !replace {
		return "", "ERR Library '" + name + "' already exists"
	}
	lib, err := e.compileLibrary(code)
	if err != "" {
		return "", err
	}
	if err := e.install([]*Library{lib}, true); err != "" {
		return "", err
	}
	return name, ""
}

// install adds libraries; replace lets a library replace one of the same
// name. It checks function name collisions first and changes nothing on
// error. Caller holds e.mu.
func (e *Engine) install(libs []*Library, replace bool) string {
	seen := map[string]string{}
	for _, lib := range libs {
		if old := e.libs[lib.Name]; old != nil && !replace {
			return "ERR Library '" + lib.Name + "' already exists"
		}
		for _, f := range lib.Functions {
			if other := e.funcs[strings.ToLower(f.Name)]; other != nil && other.Lib.Name != lib.Name {
				replaced := false
				for _, l := range libs {
					if l.Name == other.Lib.Name && replace {
						replaced = true
					}
				}
				if !replaced {
					return "ERR Function " + f.Name + " already exists"
				}
			}
			if l, dup := seen[strings.ToLower(f.Name)]; dup && l != lib.Name {
				return "ERR Function " + f.Name + " already exists"
			}
			seen[strings.ToLower(f.Name)] = lib.Name
		}
	}
	for _, lib := range libs {
		if old := e.libs[lib.Name]; old != nil {
			e.removeLib(old)
		}
		e.libs[lib.Name] = lib
		for _, f := range lib.Functions {
			e.funcs[strings.ToLower(f.Name)] = f
		}
		e.nLibs.Add(1)
		e.nFuncs.Add(int64(len(lib.Functions)))
		e.libBytes.Add(int64(len(lib.Code)))
	}
	return ""
}

func (e *Engine) removeLib(lib *Library) {
	delete(e.libs, lib.Name)
	for _, f := range lib.Functions {
		if e.funcs[strings.ToLower(f.Name)] == f {
			delete(e.funcs, strings.ToLower(f.Name))
		}
	}
	e.nLibs.Add(-1)
	e.nFuncs.Add(-int64(len(lib.Functions)))
	e.libBytes.Add(-int64(len(lib.Code)))
}

// DeleteLibrary is FUNCTION DELETE.
func (e *Engine) DeleteLibrary(name string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	lib := e.libs[name]
	if lib == nil {
		return false
	}
	e.removeLib(lib)
	return true
}

// FlushFunctions is FUNCTION FLUSH.
func (e *Engine) FlushFunctions() {
	e.mu.Lock()
	e.libs = map[string]*Library{}
	e.funcs = map[string]*Function{}
	e.fvm = newVM(true)
	e.nLibs.Store(0)
	e.nFuncs.Store(0)
	e.libBytes.Store(0)
	e.mu.Unlock()
}

// Function finds a function by name.
func (e *Engine) Function(name []byte) *Function {
	e.mu.Lock()
	f := e.funcs[strings.ToLower(string(name))]
	e.mu.Unlock()
	return f
}

// Libraries returns the libraries sorted by name (FUNCTION LIST).
func (e *Engine) Libraries() []*Library {
	e.mu.Lock()
	out := make([]*Library, 0, len(e.libs))
	for _, l := range e.libs {
		out = append(out, l)
	}
	e.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// RunFunction runs a function with its keys and arguments.
func (e *Engine) RunFunction(f *Function, host Host, keys, argv [][]byte, w *resp.Writer) Result {
	e.mu.Lock()
	defer e.mu.Unlock()
	vm := e.fvm
	if e.funcs[strings.ToLower(f.Name)] != f {
		w.Error("ERR Function not found")
		return Result{}
	}
	L := vm.L
	L.Push(f.fn)
	L.Push(stringArray(L, keys))
	L.Push(stringArray(L, argv))
	return e.run(vm, &run{host: host, name: f.Name, proto: 2, function: true}, 2, w)
}

// rdbFunction2 is the RDB opcode of a function library (Redis 7.0).
const rdbFunction2 = 245

// Dump is FUNCTION DUMP: every library's code as RDB function records,
// then the RDB version and a CRC64, like DUMP.
func (e *Engine) Dump() []byte {
	var b []byte
	for _, lib := range e.Libraries() {
		b = append(b, rdbFunction2)
		b = rdb.AppendString(b, []byte(lib.Code))
	}
	b = append(b, 10, 0) // RDB version 10 (Redis 7.0)
	crc := rdb.CRC64(0, b)
	for i := 0; i < 8; i++ {
		b = append(b, byte(crc>>(8*i)))
	}
	return b
}

// Restore is FUNCTION RESTORE with policy "FLUSH", "APPEND" or "REPLACE".
func (e *Engine) Restore(payload []byte, policy string) string {
	if len(payload) < 10 {
		return "ERR DUMP payload version or checksum are wrong"
	}
	body := payload[:len(payload)-10]
	ver := int(payload[len(payload)-10]) | int(payload[len(payload)-9])<<8
	var crc uint64
	for i := 0; i < 8; i++ {
		crc |= uint64(payload[len(payload)-8+i]) << (8 * i)
	}
	if ver > 10 || rdb.CRC64(0, payload[:len(payload)-8]) != crc {
		return "ERR DUMP payload version or checksum are wrong"
	}
	var codes []string
	for len(body) > 0 {
		op := body[0]
		if op != rdbFunction2 {
			return "ERR given type is not a function"
		}
		code, rest, err := rdb.ReadString(body[1:])
		if err != nil {
			return "ERR Failed loading library"
		}
		codes = append(codes, string(code))
		body = rest
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	var libs []*Library
	for _, code := range codes {
		lib, err := e.compileLibrary(code)
		if err != "" {
			return err
		}
		for _, l := range libs {
			if l.Name == lib.Name {
				return "ERR Library '" + lib.Name + "' already exists"
			}
		}
		libs = append(libs, lib)
	}
	switch policy {
	case "FLUSH":
		e.libs = map[string]*Library{}
		e.funcs = map[string]*Function{}
		e.nLibs.Store(0)
		e.nFuncs.Store(0)
		e.libBytes.Store(0)
		return e.install(libs, false)
	case "REPLACE":
		return e.install(libs, true)
	}
	return e.install(libs, false)
}
