package server

import (
	"strings"

	"github.com/lightconedb/lightcone/internal/commands"
	"github.com/lightconedb/lightcone/internal/resp"
)

// The replication, cluster and module commands of Redis 7.0, answered as a
// standalone redis-server 7.0.15 (cluster-enabled no, no replicas) answers
// them. Lightcone's own cluster is leaderless and does not speak Redis'
// replication or cluster-bus protocols: REPLICAOF, SYNC and PSYNC say so
// and name the alternative; WAIT (wait.go) counts the cluster's peers.

func init() {
	serverFamilies = append(serverFamilies, registerAdmin)
	Params = append(Params, &Param{Name: "enable-module-command", Kind: KindEnum, Default: "no",
		Enum: []string{"no", "yes", "local"},
		Help: "allow MODULE LOAD/LOADEX/UNLOAD: yes, no, or local (from loopback and Unix socket connections only); Lightcone loads no modules"})
}

const errClusterDisabled = "ERR This instance has cluster support disabled"

// adminSub describes a subcommand of CLUSTER or MODULE as Redis 7.0.15 lists it.
type adminSub struct {
	name       string
	arity      int
	flags      []string
	cats       []string
	since      string
	summary    string
	complexity string
}

var clusterSubs = []adminSub{
	{"addslots", -3, []string{"admin", "stale", "no_async_loading"}, []string{"admin", "slow", "dangerous"}, "3.0.0", "Assign new hash slots to receiving node", "O(N) where N is the total number of hash slot arguments"},
	{"addslotsrange", -4, []string{"admin", "stale", "no_async_loading"}, []string{"admin", "slow", "dangerous"}, "7.0.0", "Assign new hash slots to receiving node", "O(N) where N is the total number of the slots between the start slot and end slot arguments."},
	{"bumpepoch", 2, []string{"admin", "stale", "no_async_loading"}, []string{"admin", "slow", "dangerous"}, "3.0.0", "Advance the cluster config epoch", "O(1)"},
	{"count-failure-reports", 3, []string{"admin", "stale"}, []string{"admin", "slow", "dangerous"}, "3.0.0", "Return the number of failure reports active for a given node", "O(N) where N is the number of failure reports"},
	{"countkeysinslot", 3, []string{"stale"}, []string{"slow"}, "3.0.0", "Return the number of local keys in the specified hash slot", "O(1)"},
	{"delslots", -3, []string{"admin", "stale", "no_async_loading"}, []string{"admin", "slow", "dangerous"}, "3.0.0", "Set hash slots as unbound in receiving node", "O(N) where N is the total number of hash slot arguments"},
	{"delslotsrange", -4, []string{"admin", "stale", "no_async_loading"}, []string{"admin", "slow", "dangerous"}, "7.0.0", "Set hash slots as unbound in receiving node", "O(N) where N is the total number of the slots between the start slot and end slot arguments."},
	{"failover", -2, []string{"admin", "stale", "no_async_loading"}, []string{"admin", "slow", "dangerous"}, "3.0.0", "Forces a replica to perform a manual failover of its master.", "O(1)"},
	{"flushslots", 2, []string{"admin", "stale", "no_async_loading"}, []string{"admin", "slow", "dangerous"}, "3.0.0", "Delete a node's own slots information", "O(1)"},
	{"forget", 3, []string{"admin", "stale", "no_async_loading"}, []string{"admin", "slow", "dangerous"}, "3.0.0", "Remove a node from the nodes table", "O(1)"},
	{"getkeysinslot", 4, []string{"stale"}, []string{"slow"}, "3.0.0", "Return local key names in the specified hash slot", "O(log(N)) where N is the number of requested keys"},
	{"help", 2, []string{"loading", "stale"}, []string{"slow"}, "5.0.0", "Show helpful text about the different subcommands", "O(1)"},
	{"info", 2, []string{"stale"}, []string{"slow"}, "3.0.0", "Provides info about Redis Cluster node state", "O(1)"},
	{"keyslot", 3, []string{"stale"}, []string{"slow"}, "3.0.0", "Returns the hash slot of the specified key", "O(N) where N is the number of bytes in the key"},
	{"links", 2, []string{"stale"}, []string{"slow"}, "7.0.0", "Returns a list of all TCP links to and from peer nodes in cluster", "O(N) where N is the total number of Cluster nodes"},
	{"meet", -4, []string{"admin", "stale", "no_async_loading"}, []string{"admin", "slow", "dangerous"}, "3.0.0", "Force a node cluster to handshake with another node", "O(1)"},
	{"myid", 2, []string{"stale"}, []string{"slow"}, "3.0.0", "Return the node id", "O(1)"},
	{"nodes", 2, []string{"stale"}, []string{"slow"}, "3.0.0", "Get Cluster config for the node", "O(N) where N is the total number of Cluster nodes"},
	{"replicas", 3, []string{"admin", "stale"}, []string{"admin", "slow", "dangerous"}, "5.0.0", "List replica nodes of the specified master node", "O(1)"},
	{"replicate", 3, []string{"admin", "stale", "no_async_loading"}, []string{"admin", "slow", "dangerous"}, "3.0.0", "Reconfigure a node as a replica of the specified master node", "O(1)"},
	{"reset", -2, []string{"admin", "noscript", "stale"}, []string{"admin", "slow", "dangerous"}, "3.0.0", "Reset a Redis Cluster node", "O(N) where N is the number of known nodes. The command may execute a FLUSHALL as a side effect."},
	{"saveconfig", 2, []string{"admin", "stale", "no_async_loading"}, []string{"admin", "slow", "dangerous"}, "3.0.0", "Forces the node to save cluster state on disk", "O(1)"},
	{"set-config-epoch", 3, []string{"admin", "stale", "no_async_loading"}, []string{"admin", "slow", "dangerous"}, "3.0.0", "Set the configuration epoch in a new node", "O(1)"},
	{"setslot", -4, []string{"admin", "stale", "no_async_loading"}, []string{"admin", "slow", "dangerous"}, "3.0.0", "Bind a hash slot to a specific node", "O(1)"},
	{"shards", 2, []string{"stale"}, []string{"slow"}, "7.0.0", "Get array of cluster slots to node mappings", "O(N) where N is the total number of cluster nodes"},
	{"slaves", 3, []string{"admin", "stale"}, []string{"admin", "slow", "dangerous"}, "3.0.0", "List replica nodes of the specified master node", "O(1)"},
	{"slots", 2, []string{"stale"}, []string{"slow"}, "3.0.0", "Get array of Cluster slot to node mappings", "O(N) where N is the total number of Cluster nodes"},
}

var moduleSubs = []adminSub{
	{"help", 2, []string{"loading", "stale"}, []string{"slow"}, "5.0.0", "Show helpful text about the different subcommands", "O(1)"},
	{"list", 2, []string{"admin", "noscript"}, []string{"admin", "slow", "dangerous"}, "4.0.0", "List all modules loaded by the server", "O(N) where N is the number of loaded modules."},
	{"load", -3, []string{"admin", "noscript", "no_async_loading"}, []string{"admin", "slow", "dangerous"}, "4.0.0", "Load a module", "O(1)"},
	{"loadex", -3, []string{"admin", "noscript", "no_async_loading"}, []string{"admin", "slow", "dangerous"}, "7.0.0", "Load a module with extended parameters", "O(1)"},
	{"unload", 3, []string{"admin", "noscript", "no_async_loading"}, []string{"admin", "slow", "dangerous"}, "4.0.0", "Unload a module", "O(1)"},
}

func subTable(subs []adminSub, group string, handler func(name string) commands.Handler) map[string]*commands.Command {
	m := make(map[string]*commands.Command, len(subs))
	for _, s := range subs {
		m[s.name] = &commands.Command{Name: s.name, Arity: s.arity, Flags: s.flags, Categories: s.cats,
			Since: s.since, Group: group, Summary: s.summary, Complexity: s.complexity, Handler: handler(s.name)}
	}
	return m
}

func registerAdmin(s *Server, t *commands.Table) {
	admin := []string{"admin", "slow", "dangerous"}
	clusterDisabled := func(c *commands.Ctx) { c.Error(errClusterDisabled) }
	t.Register(
		&commands.Command{Name: "cluster", Arity: -2, Categories: []string{"slow"}, Since: "3.0.0", Group: "cluster",
			Summary: "A container for cluster commands", Complexity: "Depends on subcommand.",
			Subs: subTable(clusterSubs, "cluster", func(string) commands.Handler { return clusterDisabled })},
		&commands.Command{Name: "asking", Arity: 1, Flags: []string{"fast"}, Categories: []string{"fast", "connection"},
			Since: "3.0.0", Group: "cluster", Summary: "Sent by cluster clients after an -ASK redirect", Complexity: "O(1)",
			Handler: clusterDisabled},
		&commands.Command{Name: "readonly", Arity: 1, Flags: []string{"loading", "stale", "fast"}, Categories: []string{"fast", "connection"},
			Since: "3.0.0", Group: "cluster", Summary: "Enables read queries for a connection to a cluster replica node", Complexity: "O(1)",
			Handler: clusterDisabled},
		&commands.Command{Name: "readwrite", Arity: 1, Flags: []string{"loading", "stale", "fast"}, Categories: []string{"fast", "connection"},
			Since: "3.0.0", Group: "cluster", Summary: "Disables read queries for a connection to a cluster replica node", Complexity: "O(1)",
			Handler: clusterDisabled},
		&commands.Command{Name: "role", Arity: 1, Flags: []string{"noscript", "loading", "stale", "fast"}, Categories: []string{"admin", "fast", "dangerous"},
			Since: "2.8.12", Group: "server", Summary: "Return the role of the instance in the context of replication", Complexity: "O(1)",
			Handler: cmdRole},
		&commands.Command{Name: "replicaof", Arity: 3, Flags: []string{"admin", "noscript", "stale", "no_async_loading"}, Categories: admin,
			Since: "5.0.0", Group: "server", Summary: "Make the server a replica of another instance, or promote it as master.", Complexity: "O(1)",
			Syntax: "host port", Handler: cmdReplicaOf},
		&commands.Command{Name: "slaveof", Arity: 3, Flags: []string{"admin", "noscript", "stale", "no_async_loading"}, Categories: admin,
			Since: "1.0.0", Group: "server", Summary: "Make the server a replica of another instance, or promote it as master.", Complexity: "O(1)",
			Syntax: "host port", Handler: cmdReplicaOf},
		&commands.Command{Name: "sync", Arity: 1, Flags: []string{"admin", "noscript", "no_async_loading", "no_multi"}, Categories: admin,
			Since: "1.0.0", Group: "server", Summary: "Internal command used for replication", Handler: cmdSync},
		&commands.Command{Name: "psync", Arity: -3, Flags: []string{"admin", "noscript", "no_async_loading", "no_multi"}, Categories: admin,
			Since: "2.8.0", Group: "server", Summary: "Internal command used for replication", Syntax: "replicationid offset", Handler: cmdSync},
		&commands.Command{Name: "replconf", Arity: -1, Flags: []string{"admin", "noscript", "loading", "stale", "allow_busy"}, Categories: admin,
			Since: "3.0.0", Group: "server", Summary: "An internal command for configuring the replication stream", Complexity: "O(1)",
			Handler: cmdReplconf},
		&commands.Command{Name: "failover", Arity: -1, Flags: []string{"admin", "noscript", "stale"}, Categories: admin,
			Since: "6.2.0", Group: "server", Summary: "Start a coordinated failover between this server and one of its replicas.", Complexity: "O(1)",
			Syntax: "[TO host port [FORCE]] [ABORT] [TIMEOUT milliseconds]", Handler: cmdFailover},
		&commands.Command{Name: "module", Arity: -2, Categories: []string{"slow"}, Since: "4.0.0", Group: "server",
			Summary: "A container for module commands", Complexity: "Depends on subcommand.",
			Subs: subTable(moduleSubs, "server", moduleHandler)},
		&commands.Command{Name: "lolwut", Arity: -1, Flags: []string{"readonly", "fast"}, Categories: []string{"read", "fast"},
			Since: "5.0.0", Group: "server", Summary: "Display some computer art and the Redis version",
			Syntax: "[VERSION version]", Handler: cmdLolwut},
		&commands.Command{Name: "wait", Arity: 3, Flags: []string{"noscript"}, Categories: []string{"slow", "connection"},
			Since: "3.0.0", Group: "generic", Summary: "Wait for the synchronous replication of all the write commands sent in the context of the current connection", Complexity: "O(1)",
			Syntax: "numreplicas timeout", Handler: cmdWait},
	)
}

// replOffset is the replication offset ROLE and INFO replication report:
// without Redis replication it stays 0, as on a redis-server that never had
// a replica.
const replOffset = 0

func cmdRole(c *commands.Ctx) {
	c.W.ArrayLen(3)
	c.W.BulkString("master")
	c.W.Int(replOffset)
	c.W.ArrayLen(0)
}

const noReplicationHint = "every Lightcone node accepts writes; join nodes with --cluster-passphrase and --peers or --join"

// cmdReplicaOf serves REPLICAOF and SLAVEOF: NO ONE is +OK (this node is a
// master already); a master address is checked as Redis checks it, then
// refused: Lightcone does not speak Redis' replication protocol.
func cmdReplicaOf(c *commands.Ctx) {
	if c.Is(1, "no") && c.Is(2, "one") {
		c.OK()
		return
	}
	port, ok := commands.ParseInt(c.Args[2])
	if !ok || port < 0 || port > 65535 {
		c.Error("ERR Invalid master port")
		return
	}
	c.Error("ERR " + strings.ToUpper(c.Cmd.Name) + " is not supported: " + noReplicationHint)
}

// cmdSync serves SYNC and PSYNC.
func cmdSync(c *commands.Ctx) {
	c.Error("ERR " + strings.ToUpper(c.Cmd.Name) + " is not supported: Lightcone does not speak Redis' replication protocol; " + noReplicationHint)
}

// cmdReplconf checks its options as Redis 7.0 does; ACK and GETACK, which
// Redis answers only on a replication link, get no reply.
func cmdReplconf(c *commands.Ctx) {
	if len(c.Args)%2 == 0 {
		c.Syntax()
		return
	}
	for j := 1; j < len(c.Args); j += 2 {
		v := c.Args[j+1]
		switch {
		case c.Is(j, "listening-port"):
			if _, ok := c.IntArg(j + 1); !ok {
				return
			}
		case c.Is(j, "ip-address"):
			if len(v) >= 256 {
				c.Errorf("ERR REPLCONF ip-address provided by replica instance is too long: %d bytes", len(v))
				return
			}
		case c.Is(j, "capa"):
		case c.Is(j, "ack"), c.Is(j, "getack"):
			return // no reply, as Redis to a client that is not a replica
		case c.Is(j, "rdb-only"):
			n, ok := c.IntArg(j + 1)
			if !ok {
				return
			}
			if n < 0 || n > 1 {
				c.Error("ERR value is out of range, value must between 0 and 1")
				return
			}
		case c.Is(j, "rdb-filter-only"):
			words, ok := resp.SplitArgs(v)
			if !ok {
				c.Error("ERR Missing rdb-filter-only values")
				return
			}
			for _, w := range words {
				if !commands.EqualFold(w, "functions") {
					c.Error("ERR Unsupported rdb-filter-only option: " + string(w))
					return
				}
			}
		default:
			c.Error("ERR Unrecognized REPLCONF option: " + string(c.Args[j]))
			return
		}
	}
	c.OK()
}

// cmdFailover parses as Redis 7.0 does; with no replica to fail over to,
// it ends as Redis does without one.
func cmdFailover(c *commands.Ctx) {
	var host, force, abort, timeout bool
	for j := 1; j < len(c.Args); j++ {
		switch {
		case c.Is(j, "to") && !host && j+2 < len(c.Args):
			if _, ok := c.IntArg(j + 2); !ok {
				return
			}
			host = true
			j += 2
		case c.Is(j, "timeout") && !timeout && j+1 < len(c.Args):
			ms, ok := c.IntArg(j + 1)
			if !ok {
				return
			}
			if ms <= 0 {
				c.Error("ERR FAILOVER timeout must be greater than 0")
				return
			}
			timeout = true
			j++
		case c.Is(j, "force") && !force:
			force = true
		case c.Is(j, "abort") && !abort:
			abort = true
		default:
			c.Syntax()
			return
		}
	}
	if abort {
		if host || force || timeout {
			c.Syntax()
			return
		}
		c.Error("ERR No failover in progress.")
		return
	}
	c.Error("ERR FAILOVER requires connected replicas.")
}

const moduleNotAllowed = `ERR MODULE command not allowed. If the enable-module-command option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.`

// moduleHandler: LIST is empty, HELP as Redis; LOAD, LOADEX and UNLOAD are
// refused unless enable-module-command allows them, and then fail as Redis
// fails for a module it cannot load or does not know (Lightcone has no
// module API).
func moduleHandler(name string) commands.Handler {
	switch name {
	case "help":
		return func(c *commands.Ctx) {
			writeHelp(c, "MODULE",
				"LIST",
				"    Return a list of loaded modules.",
				"LOAD <path> [<arg> ...]",
				"    Load a module library from <path>, passing to it any optional arguments.",
				"LOADEX <path> [[CONFIG NAME VALUE] [CONFIG NAME VALUE]] [ARGS ...]",
				"    Load a module library from <path>, while passing it module configurations and optional arguments.",
				"UNLOAD <name>",
				"    Unload a module.")
		}
	case "list":
		return func(c *commands.Ctx) { c.W.ArrayLen(0) }
	}
	return func(c *commands.Ctx) {
		switch srv(c).Settings.Get("enable-module-command") {
		case "yes":
		case "local":
			if !isLocalConn(cli(c)) {
				c.Error(moduleNotAllowed)
				return
			}
		default:
			c.Error(moduleNotAllowed)
			return
		}
		if name == "unload" {
			c.Error("ERR Error unloading module: no such module with that name")
			return
		}
		c.Error("ERR Error loading the extension. Please check the server logs.")
	}
}

// keySpecFlagsOf are the key access flags (COMMAND GETKEYSANDFLAGS) of
// commands whose keys keySpecFlags would not infer right.
var keySpecFlagsOf = map[string][]string{
	"migrate":        {"RW", "access", "delete"},
	"restore":        {"OW", "update"},
	"restore-asking": {"OW", "update"},
}
