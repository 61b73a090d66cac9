package server

import (
	"strconv"

	"github.com/lightconedb/lightcone/internal/crdt"
)

// The encoding limits of the collection types (Redis' *-max-listpack-*,
// set-max-intset-entries, ...). Each is a package variable of internal/crdt,
// read under shard locks, so a change is written while every shard is held.
// Redis' old *-ziplist-* names are aliases: setting one sets both.

type encLimit struct {
	name, alias string
	def         string
	min, max    int64
	target      *int
}

var encLimits = []encLimit{
	{"set-max-intset-entries", "", "512", 0, 1<<63 - 1, &crdt.SetMaxIntsetEntries},
	{"hash-max-listpack-entries", "hash-max-ziplist-entries", "512", 0, 1<<63 - 1, &crdt.HashMaxListpackEntries},
	{"hash-max-listpack-value", "hash-max-ziplist-value", "64", 0, 1<<63 - 1, &crdt.HashMaxListpackValue},
	{"hll-sparse-max-bytes", "", "3000", 0, 1<<63 - 1, &crdt.HLLSparseMaxBytes},
	{"stream-node-max-bytes", "", "4096", 0, 1<<63 - 1, &crdt.StreamNodeMaxBytes},
	{"stream-node-max-entries", "", "100", 0, 1<<63 - 1, &crdt.StreamNodeMaxEntries},
	{"zset-max-listpack-entries", "zset-max-ziplist-entries", "128", 0, 1<<63 - 1, &crdt.ZSetMaxListpackEntries},
	{"zset-max-listpack-value", "zset-max-ziplist-value", "64", 0, 1<<63 - 1, &crdt.ZSetMaxListpackValue},
	{"list-max-listpack-size", "list-max-ziplist-size", "-2", -1 << 63, 1<<63 - 1, &crdt.ListMaxListpackSize},
}

func init() {
	for _, l := range encLimits {
		l := l
		set := func(s *Server, v string) error {
			n, _ := strconv.Atoi(v)
			tx := s.Eng.BeginAll()
			*l.target = n
			tx.End()
			for _, name := range []string{l.name, l.alias} {
				if name != "" && s.Settings.Get(name) != v {
					s.Settings.Set(name, v)
				}
			}
			return nil
		}
		for _, name := range []string{l.name, l.alias} {
			if name == "" {
				continue
			}
			Params = append(Params, &Param{Name: name, Kind: KindInt, Default: l.def, Min: l.min, Max: l.max,
				Mutable: true, Help: "encoding limit of collections, as in Redis (" + l.name + ")", OnSet: set})
		}
	}
}

// applyEncLimits sets the crdt limits from the settings at startup (flags,
// config file).
func (s *Server) applyEncLimits() {
	for _, l := range encLimits {
		v := s.Settings.Get(l.name)
		if l.alias != "" && s.Settings.Get(l.alias) != l.def && v == l.def {
			v = s.Settings.Get(l.alias)
		}
		n, _ := strconv.Atoi(v)
		*l.target = n
	}
}
