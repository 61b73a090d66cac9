// Command lightcone runs a Lightcone node and its tools.
package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"strings"
	"syscall"

	"github.com/lightconedb/lightcone/internal/server"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	switch args[0] {
	case "server":
		return runServer(args[1:], stdout, stderr)
	case "gen-passphrase":
		return runGenPassphrase(args[1:], stdout, stderr)
	case "check-log":
		return runCheckLog(args[1:], stdout, stderr)
	case "dump-log":
		return runDumpLog(args[1:], stdout, stderr)
	case "restore":
		return runRestore(args[1:], stdout, stderr)
	case "version", "--version", "-v":
		fmt.Fprintf(stdout, "lightcone %s (Redis %s compatible)\n", server.Version, server.RedisVersion)
		return 0
	case "help", "--help", "-h":
		if len(args) > 1 {
			switch args[1] {
			case "server":
				serverUsage(stdout)
				return 0
			case "check-log":
				fmt.Fprint(stdout, checkLogUsage)
				return 0
			case "dump-log":
				fmt.Fprint(stdout, dumpLogUsage)
				return 0
			case "restore":
				fmt.Fprint(stdout, restoreUsage)
				return 0
			}
		}
		usage(stdout)
		return 0
	default:
		fmt.Fprintf(stderr, "lightcone: unknown command %q\n\n", args[0])
		usage(stderr)
		return 2
	}
}

func usage(w io.Writer) {
	fmt.Fprint(w, `NAME
    lightcone - a Redis-compatible, leaderless, multi-writer cache and database

SYNOPSIS
    lightcone server [--config FILE] [--OPTION VALUE]...
    lightcone gen-passphrase
    lightcone check-log [--fix] DIR
    lightcone dump-log [--from POSITION] DIR
    lightcone restore --dir SRC --to TIME --out DST [--archive DIR]
    lightcone version
    lightcone help [COMMAND]

DESCRIPTION
    Every write is an immutable effect that names what it observed, so nodes
    replicate without a leader. A single node is a drop-in Redis server: point
    redis-cli or any Redis client at it.

COMMANDS
    server     run a node (see "lightcone help server" for every option)
    gen-passphrase
               print a new random cluster passphrase (see docs/CLUSTER.md)
    check-log  verify a stopped node's effect log and snapshots; --fix repairs
    dump-log   print a node's effect log, one effect per line
    restore    rebuild a data directory as of a past time from retained history
    version    print the version
    help       print this help

EXAMPLES
    lightcone server                      serve on 127.0.0.1:6379, data in ./lightcone-data
    lightcone server --port 7000 --dir /var/lib/lightcone
    lightcone server --config /etc/lightcone.conf
    lightcone server --port 7001 --cluster-passphrase P --peers 127.0.0.1:17002,127.0.0.1:17003
`)
}

func serverUsage(w io.Writer) {
	fmt.Fprint(w, `NAME
    lightcone server - run a Lightcone node

SYNOPSIS
    lightcone server [--config FILE] [--OPTION VALUE]...

DESCRIPTION
    Serves the Redis protocol (RESP2 and RESP3) on TCP and/or a Unix socket.
    Options come from defaults, then the --config file (redis.conf syntax:
    one "option value" per line, # comments), then the command line; each is
    also readable with CONFIG GET. SIGTERM or SIGINT shut the node down
    gracefully.

OPTIONS
    --config FILE
        read options from FILE first; CONFIG REWRITE writes back to it
`)
	for _, p := range server.Params {
		def := p.Default
		if def == "" {
			def = `""`
		}
		rt := ""
		if p.Mutable {
			rt = "; settable with CONFIG SET"
		}
		fmt.Fprintf(w, "    --%s VALUE\n        %s (default %s%s)\n", p.Name, p.Help, def, rt)
	}
}

// parseServerArgs applies --config and then --name value / --name=value pairs.
func parseServerArgs(args []string) (*server.Settings, error) {
	set := server.NewSettings()
	var pairs [][2]string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "--") {
			return nil, fmt.Errorf("unexpected argument %q (options look like --port 6379)", a)
		}
		name, val, hasVal := strings.Cut(strings.TrimPrefix(a, "--"), "=")
		if name == "help" {
			return nil, errHelp
		}
		if !hasVal {
			// a list option (bind) takes every following word that is not an option
			if i+1 >= len(args) {
				return nil, fmt.Errorf("option --%s needs a value", name)
			}
			val = args[i+1]
			i++
			if name == "bind" {
				for i+1 < len(args) && !strings.HasPrefix(args[i+1], "--") {
					val += " " + args[i+1]
					i++
				}
			}
		}
		if name == "bind" {
			val = strings.ReplaceAll(val, ",", " ")
		}
		if name == "config" {
			if err := set.LoadFile(val); err != nil {
				return nil, err
			}
			continue
		}
		if server.ParamByName(name) == nil {
			return nil, fmt.Errorf("unknown option --%s (see lightcone help server)", name)
		}
		pairs = append(pairs, [2]string{name, val})
	}
	for _, p := range pairs {
		if err := set.Set(p[0], p[1]); err != nil {
			return nil, fmt.Errorf("--%s: %v", p[0], err)
		}
	}
	return set, nil
}

var errHelp = fmt.Errorf("help requested")

func newLogger(set *server.Settings, stderr io.Writer) (*slog.Logger, io.Closer, error) {
	out := stderr
	var closer io.Closer
	if path := set.Get("logfile"); path != "" {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			return nil, nil, err
		}
		out, closer = f, f
	}
	lv := &set.Level // CONFIG SET loglevel changes it at runtime
	opts := &slog.HandlerOptions{Level: lv}
	var h slog.Handler
	if set.Get("log-format") == "json" {
		h = slog.NewJSONHandler(out, opts)
	} else {
		h = slog.NewTextHandler(out, opts)
	}
	return slog.New(h), closer, nil
}

func runServer(args []string, stdout, stderr io.Writer) int {
	set, err := parseServerArgs(args)
	if err == errHelp {
		serverUsage(stdout)
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "lightcone: %v\n", err)
		return 2
	}
	log, closer, err := newLogger(set, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "lightcone: log file: %v\n", err)
		return 1
	}
	if closer != nil {
		defer closer.Close()
	}
	if path := os.Getenv("LIGHTCONE_CPUPROFILE"); path != "" {
		// profiling aid: a CPU profile of the whole run (recovery included), written at shutdown
		if f, err := os.Create(path); err == nil {
			pprof.StartCPUProfile(f)
			defer func() { pprof.StopCPUProfile(); f.Close() }()
		}
	}
	if path := os.Getenv("LIGHTCONE_MEMPROFILE"); path != "" {
		// profiling aid: a heap profile (live objects) written at shutdown
		defer func() {
			if f, err := os.Create(path); err == nil {
				runtime.GC()
				pprof.WriteHeapProfile(f)
				f.Close()
			}
		}()
	}
	s, err := server.New(set, log)
	if err != nil {
		log.Error("cannot start", "err", err)
		return 1
	}
	if err := s.Listen(); err != nil {
		log.Error("cannot listen", "err", err)
		return 1
	}
	if err := s.StartCluster(); err != nil {
		log.Error("cannot join the cluster", "err", err)
		return 1
	}
	addrs := []string{}
	for _, a := range s.Addrs() {
		addrs = append(addrs, a.String())
	}
	log.Info("Lightcone node ready to accept connections", "version", server.Version, "node", fmt.Sprintf("%016x", uint64(s.NodeID)), "listen", strings.Join(addrs, " "), "dir", set.Get("dir"), "pid", os.Getpid())
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		got := <-sig
		log.Info("shutting down", "signal", got.String())
		s.Shutdown()
	}()
	s.Serve()
	log.Info("bye")
	return 0
}
