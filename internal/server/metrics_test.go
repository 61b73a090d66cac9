package server

import (
	"io"
	"net/http"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scrape fetches and parses the node's /metrics.
func scrape(t *testing.T, s *Server) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get("http://" + s.MetricsAddr().String() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET /metrics: %s\n%s", resp.Status, b)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return mfs
}

// sample is the value of family name's sample whose labels include want.
func sample(t *testing.T, mfs map[string]*dto.MetricFamily, name string, want ...string) float64 {
	t.Helper()
	mf := mfs[name]
	if mf == nil {
		t.Fatalf("no metric %s", name)
	}
next:
	for _, m := range mf.GetMetric() {
		for i := 0; i+1 < len(want); i += 2 {
			ok := false
			for _, lp := range m.GetLabel() {
				ok = ok || lp.GetName() == want[i] && lp.GetValue() == want[i+1]
			}
			if !ok {
				continue next
			}
		}
		switch mf.GetType() {
		case dto.MetricType_COUNTER:
			return m.GetCounter().GetValue()
		case dto.MetricType_GAUGE:
			return m.GetGauge().GetValue()
		}
	}
	t.Fatalf("no %s sample with labels %v", name, want)
	return 0
}

// TestMetricsEndpoint: with metrics-addr set, GET /metrics serves what INFO
// says, and follows the node's traffic from one scrape to the next.
func TestMetricsEndpoint(t *testing.T) {
	s, addr := adminTestServer(t, "metrics-addr", "127.0.0.1:0")
	if s.MetricsAddr() == nil {
		t.Fatal("no metrics listener")
	}
	c := dialTest(t, addr)
	c.do("SET", "a", "1")
	c.do("SET", "b", "2", "EX", "100")
	c.do("SET", "c", "3")
	c.do("GET", "a")
	c.do("GET", "nosuchkey")
	c.do("NOSUCHCOMMAND")
	m := scrape(t, s)
	for _, x := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"lightcone_commands_total", []string{"cmd", "set"}, 3},
		{"lightcone_commands_total", []string{"cmd", "get"}, 2},
		{"lightcone_db_keys", []string{"db", "0"}, 3},
		{"lightcone_db_keys_expiring", []string{"db", "0"}, 1},
		{"lightcone_keyspace_hits_total", nil, 1},
		{"lightcone_keyspace_misses_total", nil, 1},
		{"lightcone_errors_total", []string{"err", "ERR"}, 1},
		{"lightcone_connected_clients", nil, 1},
		{"lightcone_build_info", []string{"version", Version}, 1},
	} {
		if got := sample(t, m, x.name, x.labels...); got != x.want {
			t.Errorf("%s%v = %v, want %v", x.name, x.labels, got, x.want)
		}
	}
	for _, name := range []string{"lightcone_used_memory", "lightcone_commands_processed_total", "go_goroutines", "process_resident_memory_bytes"} {
		if m[name] == nil {
			t.Errorf("no metric %s", name)
		}
	}
	if typ := m["lightcone_commands_processed_total"].GetType(); typ != dto.MetricType_COUNTER {
		t.Errorf("lightcone_commands_processed_total is a %v", typ)
	}
	before := sample(t, m, "lightcone_commands_processed_total")
	for i := 0; i < 5; i++ {
		c.do("INCR", "n")
	}
	m = scrape(t, s)
	if got := sample(t, m, "lightcone_commands_total", "cmd", "incr"); got != 5 {
		t.Errorf("incr calls = %v after 5", got)
	}
	if after := sample(t, m, "lightcone_commands_processed_total"); after < before+5 {
		t.Errorf("commands processed %v -> %v after 5 more", before, after)
	}
}

// Without metrics-addr there is no endpoint; a taken address stops the node
// from starting, naming the option.
func TestMetricsAddrOffAndTaken(t *testing.T) {
	s, _ := adminTestServer(t)
	if s.MetricsAddr() != nil {
		t.Fatalf("metrics listener without metrics-addr: %v", s.MetricsAddr())
	}
	s1, _ := adminTestServer(t, "metrics-addr", "127.0.0.1:0")
	set := NewSettings()
	set.Set("bind", "127.0.0.1")
	set.Set("port", "0")
	set.Set("unixsocket", t.TempDir()+"/s.sock")
	set.Set("dir", t.TempDir())
	set.Set("metrics-addr", s1.MetricsAddr().String())
	s2, err := New(set, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = s2.Listen()
	if err == nil {
		s2.Shutdown()
		t.Fatal("a second node started on a taken metrics-addr")
	}
	if !strings.Contains(err.Error(), "metrics-addr") {
		t.Fatalf("error does not name the option: %v", err)
	}
}
