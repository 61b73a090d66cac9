package server

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/lightconedb/lightcone/internal/resp"
)

// parseInfo splits INFO text into sections (in order) of field -> value,
// checking the format: CRLF lines, "# Title" headers, one blank line
// between sections, "name:value" fields.
func parseInfo(t *testing.T, text string) (order []string, secs map[string]map[string]string) {
	t.Helper()
	secs = map[string]map[string]string{}
	if text == "" {
		return nil, secs
	}
	if strings.Contains(strings.ReplaceAll(text, "\r\n", ""), "\n") || !strings.HasSuffix(text, "\r\n") {
		t.Fatalf("INFO is not CRLF-terminated lines: %q", text)
	}
	var cur map[string]string
	lines := strings.Split(strings.TrimSuffix(text, "\r\n"), "\r\n")
	for i, l := range lines {
		switch {
		case strings.HasPrefix(l, "# "):
			if i > 0 && lines[i-1] != "" {
				t.Errorf("no blank line before %q", l)
			}
			name := strings.ToLower(l[2:])
			order = append(order, name)
			cur = map[string]string{}
			secs[name] = cur
		case l == "":
			if i+1 >= len(lines) || !strings.HasPrefix(lines[i+1], "# ") {
				t.Errorf("blank line not before a section at line %d", i)
			}
		default:
			k, v, ok := strings.Cut(l, ":")
			if !ok || cur == nil || k == "" {
				t.Fatalf("bad INFO line %q", l)
			}
			if _, dup := cur[k]; dup {
				t.Errorf("duplicate field %q", k)
			}
			cur[k] = v
		}
	}
	return order, secs
}

func TestInfoSections(t *testing.T) {
	s, addr := adminTestServer(t)
	c := dialTest(t, addr)
	c.do("SET", "a", "1")
	c.do("SET", "b", "2", "EX", "100")
	c.do("SELECT", "2")
	c.do("SET", "c", "3")
	c.do("GET", "c")
	c.do("GET", "nosuch")
	c.do("NOSUCH")

	order, secs := parseInfo(t, c.str("INFO"))
	want := "server clients memory persistence stats replication cpu modules errorstats cluster keyspace"
	if strings.Join(order, " ") != want {
		t.Errorf("default sections %v", order)
	}
	srvSec := secs["server"]
	if srvSec["redis_version"] != RedisVersion || srvSec["lightcone_version"] != Version ||
		srvSec["tcp_port"] != s.Settings.Get("port") || len(srvSec["node_id"]) != 16 || len(srvSec["run_id"]) != 40 {
		t.Errorf("server section: %v", srvSec)
	}
	if secs["clients"]["connected_clients"] != "1" || secs["clients"]["maxclients"] != "10000" {
		t.Errorf("clients section: %v", secs["clients"])
	}
	mem := secs["memory"]
	for _, k := range []string{"used_memory", "used_memory_rss", "used_memory_peak", "total_system_memory"} {
		if n, err := strconv.ParseUint(mem[k], 10, 64); err != nil || n == 0 {
			t.Errorf("memory %s = %q", k, mem[k])
		}
	}
	if mem["maxmemory_policy"] != "noeviction" || !regexp.MustCompile(`^\d+(\.\d\d[KMGTPE]|B)$`).MatchString(mem["used_memory_human"]) {
		t.Errorf("memory section: %v", mem)
	}
	if p := secs["persistence"]; p["aof_enabled"] != "1" || p["rdb_changes_since_last_save"] != "3" || p["loading"] != "0" {
		t.Errorf("persistence section: %v", p)
	}
	st := secs["stats"]
	if st["keyspace_hits"] != "1" || st["keyspace_misses"] != "1" || st["total_error_replies"] != "1" ||
		st["total_connections_received"] != "1" || st["total_net_input_bytes"] == "0" {
		t.Errorf("stats section: %v", st)
	}
	if r := secs["replication"]; r["role"] != "master" || r["connected_slaves"] != "0" {
		t.Errorf("replication section: %v", r)
	}
	if !strings.Contains(secs["cpu"]["used_cpu_user"], ".") {
		t.Errorf("cpu section: %v", secs["cpu"])
	}
	if len(secs["modules"]) != 0 || secs["cluster"]["cluster_enabled"] != "0" {
		t.Errorf("modules/cluster: %v %v", secs["modules"], secs["cluster"])
	}
	if e := secs["errorstats"]; e["errorstat_ERR"] != "count=1" {
		t.Errorf("errorstats: %v", e)
	}
	ks := secs["keyspace"]
	if len(ks) != 2 || ks["db0"] != "keys=2,expires=1,avg_ttl=0" || ks["db2"] != "keys=1,expires=0,avg_ttl=0" {
		t.Errorf("keyspace: %v", ks)
	}

	// explicit sections come out in the canonical order; unknown ones are ignored
	order, secs = parseInfo(t, c.str("INFO", "keyspace", "SERVER", "nosuch", "commandstats"))
	if strings.Join(order, " ") != "server commandstats keyspace" {
		t.Errorf("sections %v", order)
	}
	cs := regexp.MustCompile(`^calls=(\d+),usec=\d+,usec_per_call=\d+\.\d\d,rejected_calls=(\d+),failed_calls=(\d+)$`)
	if m := cs.FindStringSubmatch(secs["commandstats"]["cmdstat_set"]); m == nil || m[1] != "3" {
		t.Errorf("cmdstat_set: %q", secs["commandstats"]["cmdstat_set"])
	}
	for k, v := range secs["commandstats"] {
		if !strings.HasPrefix(k, "cmdstat_") || !cs.MatchString(v) {
			t.Errorf("commandstats line %s:%s", k, v)
		}
	}
	c.want(kBulk, "", "INFO", "nosuch")
	order, _ = parseInfo(t, c.str("INFO", "all"))
	if len(order) != len(infoSections) {
		t.Errorf("INFO all: %v", order)
	}
	order, _ = parseInfo(t, c.str("INFO", "everything"))
	if len(order) != len(infoSections) {
		t.Errorf("INFO everything: %v", order)
	}
	order, _ = parseInfo(t, c.str("INFO", "default", "commandstats"))
	if len(order) != len(infoSections)-1 { // all but latencystats
		t.Errorf("INFO default commandstats: %v", order)
	}

	c.do("HELLO", "3")
	v := c.do("INFO", "server")
	if v.Kind != resp.KindVerbatim || v.Format != "txt" || !strings.HasPrefix(string(v.Str), "# Server\r\n") {
		t.Errorf("RESP3 INFO: %v", v)
	}
}

func TestBytesToHuman(t *testing.T) {
	for n, want := range map[uint64]string{0: "0B", 1023: "1023B", 1024: "1.00K", 1310720: "1.25M", 3 << 30: "3.00G"} {
		if got := bytesToHuman(n); got != want {
			t.Errorf("bytesToHuman(%d) = %s, want %s", n, got, want)
		}
	}
}
