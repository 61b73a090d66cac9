// Package metrics serves a node's statistics to Prometheus. Its one source
// is the text of INFO EVERYTHING, so what a scrape shows and what INFO says
// can never disagree: every numeric INFO field becomes a metric (a counter
// where the field only grows, a gauge otherwise), and the fields that pack
// several values (commandstats, errorstats, latencystats, keyspace, a
// cluster node's peers) become labelled families. The Go runtime's and the
// process' own collectors (heap, GC, threads, CPU, open files) come with it.
package metrics

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Namespace prefixes every metric derived from INFO.
const Namespace = "lightcone"

// Handler serves the Prometheus exposition of info, a function returning
// INFO EVERYTHING's text, plus the Go runtime's and the process' collectors.
func Handler(info func() string) http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		&infoCollector{info: info},
	)
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// infoCollector turns one INFO text into metrics at each scrape. It is an
// unchecked collector (Describe sends nothing): which fields INFO has depends
// on the node (a cluster member has more), and Collect sends each name with
// one help text and one label set, which is what the registry checks.
type infoCollector struct {
	info func() string
}

func (c *infoCollector) Describe(chan<- *prometheus.Desc) {}

func (c *infoCollector) Collect(ch chan<- prometheus.Metric) {
	Convert(c.info(), func(m prometheus.Metric) { ch <- m })
}

// counters are the INFO fields that only grow (until CONFIG RESETSTAT or a
// restart): they are exported as counters, named with a _total suffix.
var counters = map[string]bool{
	"total_connections_received": true, "total_commands_processed": true,
	"total_net_input_bytes": true, "total_net_output_bytes": true,
	"total_net_repl_input_bytes": true, "total_net_repl_output_bytes": true,
	"rejected_connections": true, "sync_full": true, "sync_partial_ok": true, "sync_partial_err": true,
	"expired_keys": true, "expired_time_cap_reached_count": true, "expire_cycle_cpu_milliseconds": true,
	"evicted_keys": true, "evicted_clients": true, "total_eviction_exceeded_time": true,
	"keyspace_hits": true, "keyspace_misses": true, "total_forks": true,
	"total_error_replies": true, "unexpected_error_replies": true, "dump_payload_sanitizations": true,
	"total_reads_processed": true, "total_writes_processed": true,
	"io_threaded_reads_processed": true, "io_threaded_writes_processed": true,
	"reply_buffer_shrinks": true, "reply_buffer_expands": true,
	"active_defrag_hits": true, "active_defrag_misses": true, "active_defrag_key_hits": true,
	"active_defrag_key_misses": true, "total_active_defrag_time": true,
	"rdb_saves": true, "aof_rewrites": true, "aof_delayed_fsync": true, "log_fsyncs": true,
	"used_cpu_sys": true, "used_cpu_user": true, "used_cpu_sys_children": true,
	"used_cpu_user_children": true, "used_cpu_sys_main_thread": true, "used_cpu_user_main_thread": true,
	"lightcone_local_effects": true, "lightcone_remote_effects_applied": true, "lightcone_merges": true,
	"lightcone_cluster_bytes_sent": true, "lightcone_cluster_bytes_received": true,
	"lightcone_effects_streamed": true, "lightcone_effects_received": true,
	"lightcone_effects_fetched": true, "lightcone_effects_folded": true,
	"lightcone_peers_refused": true, "lightcone_catchup_impossible": true,
	"lightcone_state_transfers": true, "lightcone_state_transfers_served": true,
	"lightcone_state_transfers_failed": true, "lightcone_digest_comparisons": true,
	"lightcone_divergent_ranges": true, "lightcone_divergence_repairs": true,
	"lightcone_writes_held": true, "lightcone_effects_reclaimed": true, "lightcone_seq_reuse_detected": true,
	"lightcone_messages_forwarded": true, "lightcone_messages_received": true, "lightcone_messages_dropped": true,
}

// Convert sends the metrics of one INFO text to emit.
func Convert(info string, emit func(prometheus.Metric)) {
	section := ""
	var build struct{ version, redis, node, mode string }
	for _, line := range strings.Split(info, "\n") {
		line = strings.TrimSuffix(line, "\r")
		if line == "" {
			continue
		}
		if strings.HasPrefix(line, "# ") {
			section = strings.ToLower(strings.TrimSpace(line[2:]))
			continue
		}
		field, value, ok := strings.Cut(line, ":")
		if !ok || field == "" {
			continue
		}
		switch {
		case field == "lightcone_version":
			build.version = value
		case field == "redis_version":
			build.redis = value
		case field == "node_id":
			build.node = value
		case field == "redis_mode":
			build.mode = value
		case section == "keyspace" && strings.HasPrefix(field, "db"):
			kv := pairs(value)
			db := strings.TrimPrefix(field, "db")
			gaugeL(emit, "db_keys", "Keys in the database (INFO keyspace keys).", []string{"db"}, kv["keys"], db)
			gaugeL(emit, "db_keys_expiring", "Keys with a time to live in the database (INFO keyspace expires).", []string{"db"}, kv["expires"], db)
		case section == "commandstats" && strings.HasPrefix(field, "cmdstat_"):
			kv := pairs(value)
			cmd := strings.TrimPrefix(field, "cmdstat_")
			counterL(emit, "commands_total", "Calls of the command (INFO commandstats calls).", []string{"cmd"}, kv["calls"], cmd)
			if us, ok := num(kv["usec"]); ok {
				emit(prometheus.MustNewConstMetric(desc("commands_duration_seconds_total", "Time spent running the command (INFO commandstats usec).", []string{"cmd"}),
					prometheus.CounterValue, us/1e6, cmd))
			}
			counterL(emit, "commands_rejected_calls_total", "Calls refused before the command ran (INFO commandstats rejected_calls).", []string{"cmd"}, kv["rejected_calls"], cmd)
			counterL(emit, "commands_failed_calls_total", "Calls that ran and failed (INFO commandstats failed_calls).", []string{"cmd"}, kv["failed_calls"], cmd)
		case section == "errorstats" && strings.HasPrefix(field, "errorstat_"):
			counterL(emit, "errors_total", "Error replies by error prefix (INFO errorstats).", []string{"err"}, pairs(value)["count"], strings.TrimPrefix(field, "errorstat_"))
		case section == "latencystats" && strings.HasPrefix(field, "latency_percentiles_usec_"):
			cmd := strings.TrimPrefix(field, "latency_percentiles_usec_")
			for k, v := range pairs(value) {
				q, err := strconv.ParseFloat(strings.TrimPrefix(k, "p"), 64)
				us, ok := num(v)
				if err != nil || !ok {
					continue
				}
				emit(prometheus.MustNewConstMetric(desc("command_latency_seconds", "Latency percentile of the command since the last reset (INFO latencystats).", []string{"cmd", "quantile"}),
					prometheus.GaugeValue, us/1e6, cmd, strconv.FormatFloat(q/100, 'g', 10, 64))) // p99.9: 0.999
			}
		case section == "cluster" && strings.HasPrefix(field, "lightcone_peer") && strings.Contains(value, "="):
			kv := pairs(value)
			labels := []string{"addr", "node"}
			up := 0.0
			if kv["state"] == "up" {
				up = 1
			}
			emit(prometheus.MustNewConstMetric(desc("peer_up", "Whether the link to the peer is up (INFO cluster lightcone_peerN state).", labels),
				prometheus.GaugeValue, up, kv["addr"], kv["node"]))
			if us, ok := num(kv["rtt_us"]); ok {
				emit(prometheus.MustNewConstMetric(desc("peer_rtt_seconds", "Round-trip time to the peer.", labels), prometheus.GaugeValue, us/1e6, kv["addr"], kv["node"]))
			}
			gaugeL(emit, "peer_lag_effects", "Effects of this node the peer has not applied yet.", labels, kv["lag"], kv["addr"], kv["node"])
			counterL(emit, "peer_sent_bytes_total", "Bytes sent to the peer.", labels, kv["bytes_sent"], kv["addr"], kv["node"])
			if ms, ok := num(kv["last_heard_ms"]); ok {
				emit(prometheus.MustNewConstMetric(desc("peer_last_heard_seconds", "Time since the peer was last heard from.", labels), prometheus.GaugeValue, ms/1e3, kv["addr"], kv["node"]))
			}
		case strings.HasSuffix(field, "_human") || strings.Contains(value, "="):
			// a rendering of another field, or a compound value not known above
		default:
			v, ok := num(value)
			if !ok {
				continue // text: versions, paths, policies
			}
			name := strings.TrimPrefix(field, Namespace+"_")
			help := "INFO " + section + " " + field + "."
			if counters[field] {
				name = strings.TrimPrefix(name, "total_") + "_total"
				emit(prometheus.MustNewConstMetric(desc(name, help, nil), prometheus.CounterValue, v))
			} else {
				emit(prometheus.MustNewConstMetric(desc(name, help, nil), prometheus.GaugeValue, v))
			}
		}
	}
	if build.version != "" || build.redis != "" {
		emit(prometheus.MustNewConstMetric(desc("build_info", "Always 1; the labels name the build, the Redis version it answers as, the node and the mode.",
			[]string{"version", "redis_version", "node_id", "mode"}), prometheus.GaugeValue, 1, build.version, build.redis, build.node, build.mode))
	}
}

func desc(name, help string, labels []string) *prometheus.Desc {
	return prometheus.NewDesc(Namespace+"_"+name, help, labels, nil)
}

func gaugeL(emit func(prometheus.Metric), name, help string, labels []string, value string, lv ...string) {
	if v, ok := num(value); ok {
		emit(prometheus.MustNewConstMetric(desc(name, help, labels), prometheus.GaugeValue, v, lv...))
	}
}

func counterL(emit func(prometheus.Metric), name, help string, labels []string, value string, lv ...string) {
	if v, ok := num(value); ok {
		emit(prometheus.MustNewConstMetric(desc(name, help, labels), prometheus.CounterValue, v, lv...))
	}
}

// pairs splits "a=1,b=2" into its fields.
func pairs(s string) map[string]string {
	m := map[string]string{}
	for _, p := range strings.Split(s, ",") {
		if k, v, ok := strings.Cut(p, "="); ok {
			m[k] = v
		}
	}
	return m
}

// num parses an INFO number (integers and decimals; not "12.5%" or "1.2M").
func num(s string) (float64, bool) {
	if s == "" {
		return 0, false
	}
	v, err := strconv.ParseFloat(s, 64)
	return v, err == nil
}
