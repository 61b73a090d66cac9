package server

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestResolveJoinFallsBackToAddressRecords(t *testing.T) {
	got := resolveJoin("localhost", 17001)
	if !slices.Contains(got, "127.0.0.1:17001") && !slices.Contains(got, "[::1]:17001") {
		t.Fatalf("resolveJoin(localhost) = %v", got)
	}
	if got := resolveJoin("no-such-host.invalid", 1); len(got) != 0 {
		t.Fatalf("resolveJoin(invalid) = %v", got)
	}
}

func TestClusterSettings(t *testing.T) {
	if got := splitPeers("a:1, b:2,,c:3"); !slices.Equal(got, []string{"a:1", "b:2", "c:3"}) {
		t.Fatalf("splitPeers = %v", got)
	}
	set := NewSettings()
	s := &Server{Settings: set}
	set.Set("port", "7001")
	if s.clusterPort() != 17001 {
		t.Fatalf("default cluster port %d", s.clusterPort())
	}
	set.Set("cluster-port", "9000")
	set.Set("bind", "10.1.2.3")
	if got := s.advertise(s.clusterPort()); got != "10.1.2.3:9000" {
		t.Fatalf("advertise from bind = %q", got)
	}
	set.Set("cluster-advertise", "node1.example")
	if got := s.advertise(9000); got != "node1.example:9000" {
		t.Fatalf("advertise host only = %q", got)
	}
	if _, err := faultConn(nil, "drop=0.1,dup=0.01,delay=5ms,jitter=1ms,seed=3"); err != nil {
		t.Fatal(err)
	}
	if _, err := faultConn(nil, "explode=1"); err == nil {
		t.Fatal("unknown fault accepted")
	}
}

// A cluster node takes a new NodeID at every start and retires the previous.
func TestClusterIncarnations(t *testing.T) {
	dir := t.TempDir()
	n1, prev, err := clusterNodeID(dir)
	if err != nil || prev != 0 || n1 == 0 {
		t.Fatalf("first start: %x %x %v", n1, prev, err)
	}
	n2, prev, err := clusterNodeID(dir)
	if err != nil || prev != n1 || n2 == n1 {
		t.Fatalf("restart: %x (previous %x, want %x) %v", n2, prev, n1, err)
	}
	if id, _ := loadNodeID(dir); id != n2 {
		t.Fatal("new incarnation not persisted")
	}
	if _, err := os.Stat(filepath.Join(dir, "node-id.tmp")); err == nil {
		t.Fatal("temporary file left")
	}
}
