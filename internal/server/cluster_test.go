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

// A cluster node keeps its NodeID across restarts, as a standalone one does,
// and sets nothing aside.
func TestClusterNodeKeepsIdentity(t *testing.T) {
	dir := t.TempDir()
	start := func() *Server {
		set := NewSettings()
		set.Set("dir", dir)
		set.Set("cluster-passphrase", "identity-test-passphrase")
		s, err := New(set, nil)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	s1 := start()
	id := s1.NodeID
	s1.closeStore()
	s2 := start()
	defer s2.closeStore()
	if id == 0 || s2.NodeID != id {
		t.Fatalf("restart changed the NodeID: %016x then %016x", uint64(id), uint64(s2.NodeID))
	}
	if onDisk, _ := loadNodeID(dir); onDisk != id {
		t.Fatalf("node-id on disk %016x, want %016x", uint64(onDisk), uint64(id))
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "retired-*")); len(m) != 0 {
		t.Fatalf("set aside %v", m)
	}
	if _, err := os.Stat(filepath.Join(dir, "node-id.tmp")); err == nil {
		t.Fatal("temporary file left")
	}
}
