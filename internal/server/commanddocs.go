package server

import (
	"bytes"
	_ "embed"
	"sync"

	"github.com/lightconedb/lightcone/internal/commands"
	"github.com/lightconedb/lightcone/internal/resp"
)

// COMMAND DOCS of the commands Lightcone shares with Redis come from
// redis-server 7.0.15's own reply (summaries, history, deprecation, argument
// trees), saved by tools/gencommanddocs; commands Redis 7.0 does not have
// are described from our table (writeCommandDocs).

//go:embed commanddocs.resp
var redisDocsRESP []byte

var redisDocs struct {
	once sync.Once
	m    map[string]resp.Value // command name (or "parent|sub") → its docs map
}

func loadRedisDocs() {
	redisDocs.m = map[string]resp.Value{}
	v, err := resp.NewReader(bytes.NewReader(redisDocsRESP), 1<<20).ReadValue()
	if err != nil || v.Kind != resp.KindMap {
		return
	}
	var index func(v resp.Value)
	index = func(v resp.Value) {
		for i := 0; i+1 < len(v.Elems); i += 2 {
			name, doc := string(v.Elems[i].Str), v.Elems[i+1]
			redisDocs.m[name] = doc
			for j := 0; j+1 < len(doc.Elems); j += 2 {
				if string(doc.Elems[j].Str) == "subcommands" {
					index(doc.Elems[j+1])
				}
			}
		}
	}
	index(v)
}

// redisDoc returns redis-server's docs of cmd, if it has them.
func redisDoc(cmd *commands.Command) (resp.Value, bool) {
	redisDocs.once.Do(loadRedisDocs)
	v, ok := redisDocs.m[cmd.Name]
	return v, ok
}

// writeRedisDoc writes doc (a docs map from redis-server) for cmd: as Redis
// wrote it, but listing only the subcommands cmd has.
func writeRedisDoc(w *resp.Writer, cmd *commands.Command, doc resp.Value) {
	n := len(doc.Elems) / 2
	subs := sortedSubs(cmd)
	hasSubs := false
	for i := 0; i+1 < len(doc.Elems); i += 2 {
		if string(doc.Elems[i].Str) == "subcommands" {
			hasSubs = true
		}
	}
	if hasSubs && len(subs) == 0 {
		n--
	}
	w.MapLen(n)
	for i := 0; i+1 < len(doc.Elems); i += 2 {
		k, v := doc.Elems[i], doc.Elems[i+1]
		if string(k.Str) == "subcommands" {
			if len(subs) == 0 {
				continue
			}
			var names []string
			for j := 0; j < len(v.Elems); j += 2 {
				names = append(names, string(v.Elems[j].Str))
			}
			subs = inOrder(subs, names)
			w.BulkString("subcommands")
			w.MapLen(len(subs))
			for _, s := range subs {
				w.BulkString(s.Name)
				writeCommandDocs(w, s)
			}
			continue
		}
		writeDocValue(w, k)
		writeDocValue(w, v)
	}
}

// writeDocValue writes v in the client's protocol (maps and sets become
// arrays in RESP2).
func writeDocValue(w *resp.Writer, v resp.Value) {
	switch v.Kind {
	case resp.KindMap:
		w.MapLen(len(v.Elems) / 2)
	case resp.KindSet:
		w.SetLen(len(v.Elems))
	case resp.KindArray:
		w.ArrayLen(len(v.Elems))
	case resp.KindSimple:
		w.Simple(string(v.Str))
		return
	case resp.KindInt:
		w.Int(v.Int)
		return
	default:
		w.Bulk(v.Str)
		return
	}
	for _, e := range v.Elems {
		writeDocValue(w, e)
	}
}

//go:embed commandinfo.resp
var redisInfoRESP []byte

var redisInfo struct {
	once sync.Once
	m    map[string]resp.Value // command name (or "parent|sub") → its COMMAND INFO entry
}

func loadRedisInfo() {
	redisInfo.m = map[string]resp.Value{}
	v, err := resp.NewReader(bytes.NewReader(redisInfoRESP), 1<<20).ReadValue()
	if err != nil || v.Kind != resp.KindArray {
		return
	}
	var index func(v resp.Value)
	index = func(v resp.Value) {
		for _, e := range v.Elems {
			if len(e.Elems) == 10 {
				redisInfo.m[string(e.Elems[0].Str)] = e
				index(e.Elems[9])
			}
		}
	}
	index(v)
}

// writeRedisInfo writes redis-server's COMMAND INFO entry of cmd (flags and
// key specifications as Redis reports them), listing only the subcommands
// cmd has; false when Redis 7.0 has no such command.
func writeRedisInfo(w *resp.Writer, cmd *commands.Command) bool {
	redisInfo.once.Do(loadRedisInfo)
	e, ok := redisInfo.m[cmd.Name]
	if !ok || int(e.Elems[1].Int) != cmd.Arity {
		return false
	}
	w.ArrayLen(10)
	for _, v := range e.Elems[:9] {
		writeDocValue(w, v)
	}
	var names []string
	for _, sub := range e.Elems[9].Elems {
		if len(sub.Elems) > 0 {
			names = append(names, string(sub.Elems[0].Str))
		}
	}
	subs := inOrder(sortedSubs(cmd), names)
	w.SetLen(len(subs))
	for _, s := range subs {
		writeCommandInfo(w, s)
	}
	return true
}

// inOrder orders subs as Redis lists them (names), then the ones Redis 7.0
// does not have.
func inOrder(subs []*commands.Command, names []string) []*commands.Command {
	out := make([]*commands.Command, 0, len(subs))
	used := make(map[string]bool, len(subs))
	for _, n := range names {
		for _, s := range subs {
			if s.Name == n && !used[n] {
				out = append(out, s)
				used[n] = true
			}
		}
	}
	for _, s := range subs {
		if !used[s.Name] {
			out = append(out, s)
		}
	}
	return out
}
