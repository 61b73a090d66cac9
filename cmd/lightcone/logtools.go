package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/lightconedb/lightcone/internal/effect"
	"github.com/lightconedb/lightcone/internal/wal"
)

// The durability tools: check-log, dump-log, restore (internal/wal does the
// work; docs/DURABILITY.md explains the files).

func newFlags(name string, stderr io.Writer, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage) }
	return fs
}

// parseInterspersed parses flags that may come before or after the
// positional arguments (check-log DIR --fix as well as check-log --fix DIR).
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

const checkLogUsage = `NAME
    lightcone check-log - verify a node's effect log and snapshots

SYNOPSIS
    lightcone check-log [--fix] DIR

DESCRIPTION
    Reads every segment and record of the effect log in the data directory
    DIR (checksums, framing, effect encoding, continuity between segments)
    and every snapshot, and prints statistics: segments, records, effects by
    kind, time span, this node's last Seq. The node must be stopped.

    Exit status: 0 when everything is sound, 1 when damage was found (and,
    with --fix, repaired), 2 on a usage or I/O error.

OPTIONS
    --fix
        repair what was found: a torn tail (a crash interrupted a write) is
        truncated; damage in the middle of the log truncates the log before
        the bad record and sets the later segments aside as *.discarded
        (everything after the damage is lost, and the report says how much);
        a damaged snapshot is set aside as *.damaged.
`

func runCheckLog(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("check-log", stderr, checkLogUsage)
	fix := fs.Bool("fix", false, "")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) != 1 {
		fs.Usage()
		return 2
	}
	r, err := wal.CheckDir(pos[0], *fix)
	if err != nil {
		fmt.Fprintf(stderr, "lightcone check-log: %v\n", err)
		return 2
	}
	r.Print(stdout)
	if r.OK() {
		return 0
	}
	return 1
}

const dumpLogUsage = `NAME
    lightcone dump-log - print a node's effect log, one effect per line

SYNOPSIS
    lightcone dump-log [--from POSITION] DIR

DESCRIPTION
    Prints every effect in the log of the data directory (or log directory)
    DIR: log position, effect ID (node:seq), HLC time, database, operation,
    key, flags, value or payload (quoted, long ones cut), dependencies.

OPTIONS
    --from POSITION
        start at this log position (default: the oldest kept)
`

func runDumpLog(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("dump-log", stderr, dumpLogUsage)
	from := fs.Uint64("from", 0, "")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) != 1 {
		fs.Usage()
		return 2
	}
	w := bufio.NewWriterSize(stdout, 64<<10)
	start := *from
	if start == 0 {
		if segs, _ := wal.ListSegments(pos[0] + "/log"); len(segs) > 0 {
			start = segs[0].Start
		} else if segs, _ := wal.ListSegments(pos[0]); len(segs) > 0 {
			start = segs[0].Start
		}
	}
	info, err := wal.DumpLog(pos[0], start, w)
	w.Flush()
	if err != nil {
		fmt.Fprintf(stderr, "lightcone dump-log: %v\n", err)
		return 1
	}
	fmt.Fprintf(stderr, "%d effects, log positions %d..%d\n", info.Records, info.From, info.End)
	if info.Torn != nil {
		fmt.Fprintf(stderr, "the log ends with a torn record: %v\n", info.Torn)
	}
	return 0
}

const restoreUsage = `NAME
    lightcone restore - rebuild a data directory as of a past time

SYNOPSIS
    lightcone restore --dir SRC --to TIME --out DST [--archive DIR]
    lightcone restore --archive DIR --node ID --to TIME --out DST

DESCRIPTION
    Builds DST holding exactly the effects node SRC had applied with an HLC
    stamp at or before TIME: the newest retained snapshot taken before TIME,
    plus the retained log after it up to TIME. History is kept by
    --history-retention (in SRC) and --archive. Start a node on DST with
    "lightcone server --dir DST"; it gets a new node ID. SRC is only read.

OPTIONS
    --dir SRC        the data directory of the node whose history it is
    --archive DIR    the archive that node copied its files to: a directory or
                     s3://BUCKET[/PREFIX]?endpoint=HOST:PORT[&insecure=1]
                     (credentials in AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)
    --node ID        the node's ID (16 hex digits), when SRC is not given
    --to TIME        RFC 3339 (2026-01-02T15:04:05.123Z), "2026-01-02 15:04:05"
                     (UTC), Unix seconds or milliseconds, or hlc:N
    --out DST        the data directory to create (absent or empty)
`

func runRestore(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("restore", stderr, restoreUsage)
	src := fs.String("dir", "", "")
	archive := fs.String("archive", "", "")
	node := fs.String("node", "", "")
	to := fs.String("to", "", "")
	out := fs.String("out", "", "")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) != 0 || *to == "" || *out == "" || (*src == "" && (*archive == "" || *node == "")) {
		fs.Usage()
		return 2
	}
	t, err := wal.ParseTime(*to)
	if err != nil {
		fmt.Fprintf(stderr, "lightcone restore: %v\n", err)
		return 2
	}
	o := wal.RestoreOptions{Src: *src, Archive: *archive, To: t, Out: *out}
	if *node != "" {
		n, err := strconv.ParseUint(strings.TrimSpace(*node), 16, 64)
		if err != nil || n == 0 {
			fmt.Fprintf(stderr, "lightcone restore: --node wants 16 hex digits\n")
			return 2
		}
		o.Node = effect.NodeID(n)
	}
	res, err := wal.Restore(o)
	if err != nil {
		fmt.Fprintf(stderr, "lightcone restore: %v\n", err)
		return 1
	}
	base := res.Base
	if base == "" {
		base = "(none: from the start of the log)"
	}
	fmt.Fprintf(stdout, "restored to %s (HLC %d) in %s\n", wal.FormatHLC(t), uint64(t), *out)
	fmt.Fprintf(stdout, "base snapshot: %s\n", base)
	fmt.Fprintf(stdout, "log effects replayed: %d (later ones left out: %d)\n", res.Replayed, res.Skipped)
	fmt.Fprintf(stdout, "keys: %d\n", res.Keys)
	fmt.Fprintf(stdout, "new node ID: %016x\n", uint64(res.Node))
	if res.Torn != nil {
		fmt.Fprintf(stdout, "note: the source log ends with a torn record (ignored): %v\n", res.Torn)
	}
	return 0
}
