package server

import (
	"time"

	"github.com/lightconedb/lightcone/internal/commands"
	"github.com/lightconedb/lightcone/internal/script"
)

// FUNCTION LOAD/DELETE/LIST/DUMP/RESTORE/FLUSH/STATS/KILL/HELP and
// FCALL/FCALL_RO.

func init() { serverFamilies = append(serverFamilies, registerFunctions) }

func registerFunctions(s *Server, t *commands.Table) {
	cats := []string{"slow", "scripting"}
	wcats := []string{"write", "slow", "scripting"}
	sub := func(name string, arity int, flags, cats []string, syntax, summary, complexity string, h commands.Handler) *commands.Command {
		return &commands.Command{Name: name, Arity: arity, Flags: flags, Categories: cats, Summary: summary, Since: "7.0.0",
			Group: "scripting", Complexity: complexity, Syntax: syntax, Handler: h}
	}
	fc := func(name string, flags []string, ro bool, summary string) *commands.Command {
		return &commands.Command{Name: name, Arity: -3, Flags: flags, Categories: cats, Keys: scriptKeys,
			Summary: summary, Since: "7.0.0", Group: "scripting", Complexity: "Depends on the function that is executed.",
			Syntax: "function numkeys [key [key ...]] [arg [arg ...]]", Handler: func(c *commands.Ctx) { cmdFcall(c, ro) }}
	}
	t.Register(
		fc("fcall", []string{"noscript", "stale", "skip_monitor", "no_mandatory_keys", "movablekeys"}, false, "Invokes a function."),
		fc("fcall_ro", []string{"readonly", "noscript", "stale", "skip_monitor", "no_mandatory_keys", "movablekeys"}, true, "Invokes a read-only function."),
		&commands.Command{Name: "function", Arity: -2, Categories: []string{"slow"}, Summary: "A container for function commands.",
			Since: "7.0.0", Group: "scripting", Complexity: "Depends on subcommand.",
			Subs: map[string]*commands.Command{
				"load": sub("load", -3, []string{"write", "denyoom", "noscript"}, wcats, "[REPLACE] function-code",
					"Creates a library.", "O(1) (considering compilation time is redundant)", cmdFunctionLoad),
				"delete": sub("delete", 3, []string{"write", "noscript"}, wcats, "library-name", "Deletes a library and its functions.", "O(1)", cmdFunctionDelete),
				"list": sub("list", -2, []string{"noscript"}, cats, "[LIBRARYNAME library-name-pattern] [WITHCODE]",
					"Returns information about all libraries.", "O(N) where N is the number of functions", cmdFunctionList),
				"dump": sub("dump", 2, []string{"noscript"}, cats, "", "Dumps all libraries into a serialized binary payload.",
					"O(N) where N is the number of functions", func(c *commands.Ctx) { c.W.Bulk(srv(c).scripting.eng.Dump()) }),
				"restore": sub("restore", -3, []string{"write", "denyoom", "noscript"}, wcats, "serialized-value [FLUSH | APPEND | REPLACE]",
					"Restores all libraries from a payload.", "O(N) where N is the number of functions on the payload", cmdFunctionRestore),
				"flush": sub("flush", -2, []string{"write", "noscript"}, wcats, "[ASYNC | SYNC]", "Deletes all libraries and functions.",
					"O(N) where N is the number of functions deleted", cmdFunctionFlush),
				"stats": sub("stats", 2, []string{"noscript", "allow_busy"}, cats, "", "Returns information about a function during execution.",
					"O(1)", cmdFunctionStats),
				"kill": sub("kill", 2, []string{"noscript", "allow_busy"}, cats, "", "Terminates a function during execution.", "O(1)",
					func(c *commands.Ctx) { killScript(c, false) }),
				"help": sub("help", 2, []string{"loading", "stale"}, cats, "", "Returns helpful text about the different subcommands.", "O(1)", cmdFunctionHelp),
			}},
	)
}

func cmdFcall(c *commands.Ctx, ro bool) {
	s := srv(c)
	f := s.scripting.eng.Function(c.Args[1])
	if f == nil {
		c.Error("ERR Function not found")
		return
	}
	numkeys, ok := parseNumKeys(c, true)
	if !ok {
		return
	}
	if ro && f.Flags&script.FlagNoWrites == 0 {
		c.Error(errROWrite)
		return
	}
	keys := c.Args[3 : 3+numkeys]
	argv := c.Args[3+numkeys:]
	s.runScript(c, nil, f, ro || f.Flags&script.FlagNoWrites != 0, keys, argv)
}

func cmdFunctionLoad(c *commands.Ctx) {
	replace := false
	i := 2
	for ; i < len(c.Args)-1; i++ {
		if c.Is(i, "replace") {
			replace = true
			continue
		}
		c.Error("ERR Unknown option given: " + c.Arg(i))
		return
	}
	if i != len(c.Args)-1 {
		c.Error("ERR Function code is missing")
		return
	}
	name, err := srv(c).scripting.eng.LoadLibrary(c.Arg(i), replace)
	if err != "" {
		c.Error(err)
		return
	}
	c.W.BulkString(name)
}

func cmdFunctionDelete(c *commands.Ctx) {
	if !srv(c).scripting.eng.DeleteLibrary(c.Arg(2)) {
		c.Error("ERR Library not found")
		return
	}
	c.OK()
}

func cmdFunctionFlush(c *commands.Ctx) {
	if len(c.Args) > 3 || (len(c.Args) == 3 && !c.Is(2, "sync") && !c.Is(2, "async")) {
		c.Error("ERR FUNCTION FLUSH only supports SYNC|ASYNC option")
		return
	}
	srv(c).scripting.eng.FlushFunctions()
	c.OK()
}

func cmdFunctionRestore(c *commands.Ctx) {
	policy := "APPEND"
	if len(c.Args) > 4 {
		c.Error("ERR unknown subcommand or wrong number of arguments for 'RESTORE'. Try FUNCTION HELP.")
		return
	}
	if len(c.Args) == 4 {
		switch {
		case c.Is(3, "flush"):
			policy = "FLUSH"
		case c.Is(3, "append"):
			policy = "APPEND"
		case c.Is(3, "replace"):
			policy = "REPLACE"
		default:
			c.Error("ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.")
			return
		}
	}
	if err := srv(c).scripting.eng.Restore(c.Args[2], policy); err != "" {
		c.Error(err)
		return
	}
	c.OK()
}

func cmdFunctionList(c *commands.Ctx) {
	withCode := false
	var pattern []byte
	hasPattern := false
	for i := 2; i < len(c.Args); i++ {
		switch {
		case c.Is(i, "withcode"):
			if withCode {
				c.Error("ERR Unknown argument " + c.Arg(i))
				return
			}
			withCode = true
		case c.Is(i, "libraryname"):
			if hasPattern {
				c.Error("ERR Unknown argument " + c.Arg(i))
				return
			}
			if i+1 >= len(c.Args) {
				c.Error("ERR library name argument was not given")
				return
			}
			i++
			pattern, hasPattern = c.Args[i], true
		default:
			c.Error("ERR Unknown argument " + c.Arg(i))
			return
		}
	}
	var libs []*script.Library
	for _, l := range srv(c).scripting.eng.Libraries() {
		if hasPattern && !commands.GlobMatch(pattern, []byte(l.Name)) {
			continue
		}
		libs = append(libs, l)
	}
	w := c.W
	w.ArrayLen(len(libs))
	for _, l := range libs {
		n := 3
		if withCode {
			n = 4
		}
		w.MapLen(n)
		w.BulkString("library_name")
		w.BulkString(l.Name)
		w.BulkString("engine")
		w.BulkString("LUA")
		w.BulkString("functions")
		w.ArrayLen(len(l.Functions))
		for _, f := range l.Functions {
			w.MapLen(3)
			w.BulkString("name")
			w.BulkString(f.Name)
			w.BulkString("description")
			if f.HasDesc {
				w.BulkString(f.Description)
			} else {
				w.Null()
			}
			w.BulkString("flags")
			fl := f.Flags.List()
			w.SetLen(len(fl))
			for _, x := range fl {
				w.Simple(x)
			}
		}
		if withCode {
			w.BulkString("library_code")
			w.BulkString(l.Code)
		}
	}
}

func cmdFunctionStats(c *commands.Ctx) {
	s := srv(c)
	if r := s.scripting.running.Load(); r != nil && r.eval && r.cl != cli(c) {
		c.Error(errBusyEval)
		return
	}
	w := c.W
	w.MapLen(2)
	w.BulkString("running_script")
	if r := s.scripting.running.Load(); r != nil && !r.eval {
		w.MapLen(3)
		w.BulkString("name")
		w.BulkString(r.name)
		w.BulkString("command")
		w.ArrayLen(len(r.args))
		for _, a := range r.args {
			w.Bulk(a)
		}
		w.BulkString("duration_ms")
		w.Int((time.Now().UnixNano() - r.start) / 1e6)
	} else {
		w.Null()
	}
	w.BulkString("engines")
	w.MapLen(1)
	w.BulkString("LUA")
	w.MapLen(2)
	w.BulkString("libraries_count")
	w.Int(s.scripting.eng.NumLibraries())
	w.BulkString("functions_count")
	w.Int(s.scripting.eng.NumFunctions())
}

func cmdFunctionHelp(c *commands.Ctx) {
	writeHelp(c, "FUNCTION",
		"LOAD [REPLACE] <FUNCTION CODE>",
		"    Create a new library with the given library name and code.",
		"DELETE <LIBRARY NAME>",
		"    Delete the given library.",
		"LIST [LIBRARYNAME PATTERN] [WITHCODE]",
		"    Return general information on all the libraries:",
		"    * Library name",
		"    * The engine used to run the Library",
		"    * Library description",
		"    * Functions list",
		"    * Library code (if WITHCODE is given)",
		"    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
		"STATS",
		"    Return information about the current function running:",
		"    * Function name",
		"    * Command used to run the function",
		"    * Duration in MS that the function is running",
		"    If no function is running, return nil",
		"    In addition, returns a list of available engines.",
		"KILL",
		"    Kill the current running function.",
		"FLUSH [ASYNC|SYNC]",
		"    Delete all the libraries.",
		"    When called without the optional mode argument, the behavior is determined by the",
		"    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
		"    * ASYNC: Asynchronously flush the libraries.",
		"    * SYNC: Synchronously flush the libraries.",
		"DUMP",
		"    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
		"RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
		"    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
		"    control how to handle existing libraries (default APPEND):",
		"    * FLUSH: delete all existing libraries.",
		"    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
		"    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
		"      libraries with the new libraries (notice that even on this option there is a chance of failure",
		"      in case of functions name collision with another library).")
}

// scriptMem is INFO's scripting memory figures.
type scriptMem struct {
	vmEval, vmFunctions, scriptsEval, functionsMem int64
	cached, functions, libraries                   int64
}

func (s *Server) scriptMemory() scriptMem {
	e := s.scripting.eng
	m := scriptMem{vmEval: 31744, vmFunctions: 32768}
	if e == nil {
		return m
	}
	m.cached = e.CachedScripts()
	m.scriptsEval = e.CachedBytes() + 64*m.cached
	m.functions = e.NumFunctions()
	m.libraries = e.NumLibraries()
	m.functionsMem = e.LibraryBytes() + 200*m.functions + 184*m.libraries
	m.vmEval += e.CachedBytes() * 2
	m.vmFunctions += e.LibraryBytes() * 2
	return m
}
