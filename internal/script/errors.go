package script

import (
	"fmt"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// Errors raised by the libraries, worded as Lua 5.1's luaL_error and
// luaL_argerror: the position is that of the calling function when it is a
// Lua function (none when called from C, e.g. through pcall), and a bad
// argument names the function as its caller called it ('?' when unknown).

// libWhere is luaL_where(L, 1).
func libWhere(L *lua.LState) string {
	dbg, ok := L.GetStack(1)
	if !ok {
		return ""
	}
	if _, err := L.GetInfo("Sl", dbg, lua.LNil); err != nil || dbg.What == "G" || dbg.CurrentLine <= 0 {
		return ""
	}
	src := dbg.Source
	if strings.HasPrefix(src, "@") || strings.HasPrefix(src, "=") {
		src = src[1:]
	}
	return src + ":" + strconv.Itoa(dbg.CurrentLine) + ": "
}

// libError raises a formatted error with the caller's position.
func libError(L *lua.LState, format string, args ...any) {
	msg := format
	if len(args) > 0 {
		msg = fmt.Sprintf(format, args...)
	}
	L.Error(lua.LString(libWhere(L)+msg), 0)
}

// libArgError is luaL_argerror.
func libArgError(L *lua.LState, n int, msg string) {
	name := "?"
	if caller, ok := L.GetStack(1); ok {
		if _, err := L.GetInfo("S", caller, lua.LNil); err == nil && caller.What != "G" {
			if self, ok := L.GetStack(0); ok {
				if _, err := L.GetInfo("n", self, lua.LNil); err == nil && self.Name != "" && !strings.HasPrefix(self.Name, "(") {
					name = self.Name
				}
			}
		}
	}
	libError(L, "bad argument #%d to '%s' (%s)", n, name, msg)
}

// libTypeError is luaL_typerror.
func libTypeError(L *lua.LState, n int, want string) {
	got := "no value"
	if n <= L.GetTop() {
		got = L.Get(n).Type().String()
	}
	libArgError(L, n, want+" expected, got "+got)
}

// checkString is luaL_checklstring: strings, and numbers converted.
func checkString(L *lua.LState, n int) string {
	s, ok := luaStringOf(L.Get(n))
	if !ok {
		libTypeError(L, n, "string")
	}
	return s
}

// checkInt is luaL_checkint.
func checkInt(L *lua.LState, n int) int { return int(checkNumber(L, n)) }

// optInt is luaL_optint.
func optInt(L *lua.LState, n, def int) int {
	if v := L.Get(n); v == lua.LNil {
		return def
	}
	return checkInt(L, n)
}
