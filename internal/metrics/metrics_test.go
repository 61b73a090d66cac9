package metrics

import (
	"math"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

const sampleInfo = "# Server\r\nredis_version:7.0.15\r\nredis_mode:standalone\r\nuptime_in_seconds:42\r\n" +
	"lightcone_version:0.1.0\r\nnode_id:8bc0d1a3016bfaa8\r\n\r\n" +
	"# Clients\r\nconnected_clients:3\r\n\r\n" +
	"# Memory\r\nused_memory:3135424\r\nused_memory_human:2.99M\r\nused_memory_peak_perc:100.00%\r\nmaxmemory_policy:noeviction\r\n\r\n" +
	"# Stats\r\ntotal_commands_processed:17\r\nkeyspace_hits:5\r\n\r\n" +
	"# CPU\r\nused_cpu_user:1.250000\r\n\r\n" +
	"# Commandstats\r\ncmdstat_set:calls=3,usec=30,usec_per_call=10.00,rejected_calls=1,failed_calls=0\r\n" +
	"cmdstat_client|list:calls=2,usec=4,usec_per_call=2.00,rejected_calls=0,failed_calls=0\r\n\r\n" +
	"# Errorstats\r\nerrorstat_ERR:count=4\r\nerrorstat_WRONGTYPE:count=1\r\n\r\n" +
	"# Latencystats\r\nlatency_percentiles_usec_set:p50=1.003,p99=5.001,p99.9=9.001\r\n\r\n" +
	"# Cluster\r\ncluster_enabled:0\r\nlightcone_node_id:8bc0d1a3016bfaa8\r\nlightcone_local_effects:12\r\n" +
	"lightcone_frontier:8bc0d1a3016bfaa8:12,0000000000000002:7\r\n" +
	"lightcone_peer0:addr=10.0.0.2:16379,node=0000000000000002,state=up,rtt_us=250,lag=3,bytes_sent=900,last_heard_ms=20\r\n\r\n" +
	"# Keyspace\r\ndb0:keys=10,expires=2,avg_ttl=0\r\ndb3:keys=1,expires=0,avg_ttl=0\r\n"

// gather runs the collector alone through a registry, which checks what
// it sends (one help and one label set per name, valid names).
func gather(t *testing.T, info string) map[string]*dto.MetricFamily {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(&infoCollector{info: func() string { return info }})
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*dto.MetricFamily{}
	for _, mf := range mfs {
		out[mf.GetName()] = mf
	}
	return out
}

// value finds the sample of family name whose labels include want.
func value(t *testing.T, mfs map[string]*dto.MetricFamily, name string, typ dto.MetricType, want map[string]string) float64 {
	t.Helper()
	mf := mfs[name]
	if mf == nil {
		t.Fatalf("no metric %s", name)
	}
	if mf.GetType() != typ {
		t.Fatalf("%s is a %v, want %v", name, mf.GetType(), typ)
	}
next:
	for _, m := range mf.GetMetric() {
		for k, v := range want {
			found := false
			for _, lp := range m.GetLabel() {
				if lp.GetName() == k && lp.GetValue() == v {
					found = true
				}
			}
			if !found {
				continue next
			}
		}
		if typ == dto.MetricType_COUNTER {
			return m.GetCounter().GetValue()
		}
		return m.GetGauge().GetValue()
	}
	t.Fatalf("no %s sample with labels %v", name, want)
	return 0
}

func TestConvert(t *testing.T) {
	mfs := gather(t, sampleInfo)
	G, C := dto.MetricType_GAUGE, dto.MetricType_COUNTER
	for _, c := range []struct {
		name   string
		typ    dto.MetricType
		labels map[string]string
		want   float64
	}{
		{"lightcone_connected_clients", G, nil, 3},
		{"lightcone_used_memory", G, nil, 3135424},
		{"lightcone_uptime_in_seconds", G, nil, 42},
		{"lightcone_commands_processed_total", C, nil, 17},
		{"lightcone_keyspace_hits_total", C, nil, 5},
		{"lightcone_used_cpu_user_total", C, nil, 1.25},
		{"lightcone_commands_total", C, map[string]string{"cmd": "set"}, 3},
		{"lightcone_commands_total", C, map[string]string{"cmd": "client|list"}, 2},
		{"lightcone_commands_duration_seconds_total", C, map[string]string{"cmd": "set"}, 30e-6},
		{"lightcone_commands_rejected_calls_total", C, map[string]string{"cmd": "set"}, 1},
		{"lightcone_errors_total", C, map[string]string{"err": "ERR"}, 4},
		{"lightcone_errors_total", C, map[string]string{"err": "WRONGTYPE"}, 1},
		{"lightcone_command_latency_seconds", G, map[string]string{"cmd": "set", "quantile": "0.999"}, 9.001e-6},
		{"lightcone_local_effects_total", C, nil, 12},
		{"lightcone_cluster_enabled", G, nil, 0},
		{"lightcone_peer_up", G, map[string]string{"node": "0000000000000002", "addr": "10.0.0.2:16379"}, 1},
		{"lightcone_peer_rtt_seconds", G, map[string]string{"node": "0000000000000002"}, 250e-6},
		{"lightcone_peer_lag_effects", G, map[string]string{"node": "0000000000000002"}, 3},
		{"lightcone_peer_sent_bytes_total", C, map[string]string{"node": "0000000000000002"}, 900},
		{"lightcone_db_keys", G, map[string]string{"db": "0"}, 10},
		{"lightcone_db_keys", G, map[string]string{"db": "3"}, 1},
		{"lightcone_db_keys_expiring", G, map[string]string{"db": "0"}, 2},
		{"lightcone_build_info", G, map[string]string{"version": "0.1.0", "redis_version": "7.0.15", "node_id": "8bc0d1a3016bfaa8", "mode": "standalone"}, 1},
	} {
		if got := value(t, mfs, c.name, c.typ, c.labels); math.Abs(got-c.want) > 1e-9*math.Abs(c.want) {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	// text fields, renderings and percentages are not numbers to scrape
	for name := range mfs {
		for _, bad := range []string{"human", "perc", "policy", "frontier", "node_id", "version", "peer0"} {
			if strings.Contains(name, bad) && name != "lightcone_build_info" {
				t.Errorf("unexpected metric %s", name)
			}
		}
	}
}

// A field INFO does not have today becomes a gauge under its own name, and
// an INFO text the collector cannot read yields no metric rather than an
// error: a scrape must never fail because INFO grew.
func TestConvertUnknownAndMalformed(t *testing.T) {
	mfs := gather(t, "# Stats\r\nsome_new_field:7\r\nno colon here\r\n:5\r\nweird:1e400x\r\n")
	if v := value(t, mfs, "lightcone_some_new_field", dto.MetricType_GAUGE, nil); v != 7 {
		t.Fatalf("some_new_field = %v", v)
	}
	if len(mfs) != 1 {
		t.Fatalf("got %d families, want 1: %v", len(mfs), mfs)
	}
}
