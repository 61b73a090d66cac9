package server

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/lightconedb/lightcone/internal/cluster"
	"github.com/lightconedb/lightcone/internal/commands"
	"github.com/lightconedb/lightcone/internal/effect"
)

// LIGHTCONE: Lightcone's own commands, for what Redis has no word for.
// LIGHTCONE FORGET <node-id> removes a member that is gone for good from
// the cluster (internal/cluster/forget.go); the members this node knows
// were forgotten are kept in the data directory, in forgottenFile, one
// "<node-id> <address>" line each, so that a restart still refuses them.

const forgottenFile = "cluster-forgotten"

var forgottenMu sync.Mutex

func init() {
	serverFamilies = append(serverFamilies, func(s *Server, t *commands.Table) { registerLightcone(s, t) })
}

func registerLightcone(s *Server, t *commands.Table) {
	t.Register(&commands.Command{
		Name: "lightcone", Arity: -2, Categories: []string{"slow"}, Summary: "A container for Lightcone's own commands.",
		Since: "0.1.0", Group: "server", Complexity: "Depends on subcommand.", Handler: func(c *commands.Ctx) { c.WrongArgs() },
		Subs: map[string]*commands.Command{
			"forget": {Name: "forget", Arity: 3, Flags: []string{"admin", "noscript"}, Categories: []string{"admin", "slow", "dangerous"},
				Syntax: "node-id", Since: "0.1.0", Group: "server", Complexity: "O(1)",
				Summary: "Removes a member that is gone for good from the cluster: it stops holding back stability and is refused from then on.",
				Handler: func(c *commands.Ctx) { s.cmdForget(c) }},
			"help": {Name: "help", Arity: 2, Flags: []string{"loading", "stale"}, Categories: []string{"slow"}, Since: "0.1.0", Group: "server",
				Summary: "Shows helpful text about the different subcommands.", Complexity: "O(1)", Handler: cmdLightconeHelp},
		},
	})
}

func cmdLightconeHelp(c *commands.Ctx) {
	writeHelp(c, "LIGHTCONE", []string{
		"FORGET <node-id>",
		"    Remove a cluster member that is gone for good (its link must be down):",
		"    it no longer holds back stability, and every node refuses it from then",
		"    on. It can join again only with an empty data directory.",
	}...)
}

func (s *Server) cmdForget(c *commands.Ctx) {
	n := s.cl.node
	if n == nil {
		c.Error("ERR this node is not part of a cluster (no cluster-passphrase)")
		return
	}
	v, err := strconv.ParseUint(string(c.Args[2]), 16, 64)
	if err != nil || v == 0 || len(c.Args[2]) != 16 {
		c.Error("ERR invalid node id: want the 16 hex digits that INFO cluster shows")
		return
	}
	if _, err := n.Forget(effect.NodeID(v)); err != nil {
		switch {
		case errors.Is(err, cluster.ErrForgetUnknown):
			c.Errorf("ERR unknown member %016x", v)
		case errors.Is(err, cluster.ErrForgetSelf):
			c.Error("ERR a node cannot forget itself")
		case errors.Is(err, cluster.ErrForgetConnected):
			c.Errorf("ERR member %016x is connected: stop it before forgetting it", v)
		default:
			c.Errorf("ERR %v", err)
		}
		return
	}
	c.OK()
}

// loadForgotten reads the members this node knows were forgotten.
func loadForgotten(dir string) ([]cluster.Member, error) {
	f, err := os.Open(filepath.Join(dir, forgottenFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []cluster.Member
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		fs := strings.Fields(sc.Text())
		if len(fs) == 0 {
			continue
		}
		v, err := strconv.ParseUint(fs[0], 16, 64)
		if err != nil || v == 0 {
			return nil, fmt.Errorf("%s line %d: want a node id (16 hex digits) and an address", f.Name(), line)
		}
		m := cluster.Member{ID: effect.NodeID(v), Retired: true}
		if len(fs) > 1 {
			m.Addr = fs[1]
		}
		out = append(out, m)
	}
	return out, sc.Err()
}

// rememberForgotten appends a member learned to be forgotten.
func (s *Server) rememberForgotten(m cluster.Member) {
	forgottenMu.Lock()
	defer forgottenMu.Unlock()
	path := filepath.Join(s.Settings.Get("dir"), forgottenFile)
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err == nil {
		addr := m.Addr
		if addr == "" {
			addr = "-"
		}
		_, err = fmt.Fprintf(f, "%016x %s\n", uint64(m.ID), addr)
		if err == nil {
			err = f.Sync()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		s.Log.Error("cluster: cannot record a forgotten member; a restart would not refuse it", "node", fmt.Sprintf("%016x", uint64(m.ID)), "err", err)
	}
}
