package engine

import (
	"testing"

	"github.com/lightconedb/lightcone/internal/effect"
)

func TestRuntimeMembers(t *testing.T) {
	en := New(Config{Node: 1})
	if en.Clustered() {
		t.Fatal("standalone engine clustered")
	}
	en.EnableCluster()
	if !en.Clustered() {
		t.Fatal("EnableCluster had no effect")
	}
	if !en.AddMember(3) || !en.AddMember(2) || en.AddMember(3) || en.AddMember(1) {
		t.Fatal("AddMember results")
	}
	if m := en.Members(); len(m) != 2 || m[0] != 2 || m[1] != 3 {
		t.Fatalf("members %v", m)
	}
	// an effect of node 2 is stable only once 3 has acknowledged it
	en.emitMu.Lock()
	en.applied[2] = 5
	st := en.stableLocked(effect.ID{Node: 2, Seq: 5})
	en.emitMu.Unlock()
	if st {
		t.Fatal("stable before member 3 acknowledged")
	}
	if !en.RemoveMember(3) || en.RemoveMember(3) {
		t.Fatal("RemoveMember results")
	}
	en.emitMu.Lock()
	st = en.stableLocked(effect.ID{Node: 2, Seq: 5})
	en.emitMu.Unlock()
	if !st {
		t.Fatal("not stable after the only other member retired")
	}
	if en.AppliedOf(2) != 5 || en.AppliedOf(1) != 0 {
		t.Fatal("AppliedOf")
	}
}
