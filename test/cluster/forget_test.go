package cluster_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

func liveEffects(t *testing.T, p *proc) int {
	t.Helper()
	v, err := strconv.Atoi(infoField(t, p, "lightcone_live_effects"))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A member that is gone for good holds back stability (its peers keep the
// history of every key written since) until an operator forgets it with
// LIGHTCONE FORGET on one node: every node then folds, the forgotten node
// is refused if it comes back with its old data, and a restarted peer
// still refuses it and still folds.
func TestForgetDeadMember(t *testing.T) {
	ps := startProcs(t, 3, "forget-test-passphrase")
	defer func() {
		for _, p := range ps {
			p.kill()
		}
	}()
	a := newAcked()
	runWorkloads(t, ps, 60, 11, a)
	waitConverged(t, ps, a, 30*time.Second)
	dead := infoField(t, ps[2], "lightcone_node_id")
	alive1 := infoField(t, ps[1], "lightcone_node_id")
	self0 := infoField(t, ps[0], "lightcone_node_id")
	ps[2].kill()

	// writes while the member is down stay unstable, however long
	c0 := dial0(t, ps[0])
	defer c0.close()
	for i := 0; i < 300; i++ {
		must(t, c0, "SET", fmt.Sprint("after-", i), "v")
	}
	time.Sleep(1500 * time.Millisecond)
	if n := liveEffects(t, ps[0]); n == 0 {
		t.Fatalf("node 0 folded effects that a down member has not applied")
	}

	// refusals: bad id, self, a connected member, an unknown member
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"LIGHTCONE", "FORGET", "xyz"}, "ERR invalid node id"},
		{[]string{"LIGHTCONE", "FORGET", self0}, "ERR a node cannot forget itself"},
		{[]string{"LIGHTCONE", "FORGET", alive1}, "ERR member " + alive1 + " is connected"},
		{[]string{"LIGHTCONE", "FORGET", "00000000000000ab"}, "ERR unknown member 00000000000000ab"},
		{[]string{"LIGHTCONE", "FORGET"}, "ERR wrong number of arguments for 'lightcone|forget' command"},
	} {
		r, err := c0.do(tc.args...)
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Fatalf("%v: got %q, %v; want an error starting %q", tc.args, r, err, tc.want)
		}
	}
	// the dead node's link looks up until it has been silent a while
	waitFor(t, 15*time.Second, "FORGET to accept the dead member", func() bool {
		r, err := c0.do("LIGHTCONE", "FORGET", dead)
		if err != nil && !strings.Contains(err.Error(), "is connected") {
			t.Fatalf("FORGET: %v", err)
		}
		return err == nil && r == "OK"
	})
	if r := must(t, c0, "LIGHTCONE", "FORGET", dead); r != "OK" {
		t.Fatalf("FORGET again: %q", r)
	}
	// both survivors fold everything (node 1 learned it from node 0)
	for _, p := range ps[:2] {
		waitFor(t, 15*time.Second, fmt.Sprintf("node %d to fold", p.i), func() bool {
			return liveEffects(t, p) == 0 && infoField(t, p, "lightcone_members") == "2" &&
				infoField(t, p, "lightcone_members_forgotten") == dead
		})
	}

	// the forgotten node comes back with its old data: it is refused
	ps[2].start()
	c2 := dial0(t, ps[2])
	defer c2.close()
	must(t, c2, "SET", "from-the-forgotten", "x")
	waitFor(t, 15*time.Second, "the survivors to refuse the forgotten node", func() bool {
		r, _ := strconv.Atoi(infoField(t, ps[0], "lightcone_peers_refused"))
		r1, _ := strconv.Atoi(infoField(t, ps[1], "lightcone_peers_refused"))
		return r+r1 > 0
	})
	time.Sleep(time.Second)
	if r, err := c0.do("EXISTS", "from-the-forgotten"); err != nil || r != "0" {
		t.Fatalf("a write of the forgotten node reached node 0: %q %v", r, err)
	}

	// a survivor restarted still refuses it, and still folds although the
	// forgotten node's address is one of its seeds
	ps[0].kill()
	ps[0].start()
	c0b := dial0(t, ps[0])
	defer c0b.close()
	for i := 0; i < 100; i++ {
		must(t, c0b, "SET", fmt.Sprint("restarted-", i), "v")
	}
	waitFor(t, 15*time.Second, "the restarted node to fold", func() bool {
		return liveEffects(t, ps[0]) == 0 && infoField(t, ps[0], "lightcone_members") == "2"
	})
	if r, err := c0b.do("EXISTS", "from-the-forgotten"); err != nil || r != "0" {
		t.Fatalf("a write of the forgotten node reached node 0 after its restart: %q %v", r, err)
	}
	if got := infoField(t, ps[2], "lightcone_members"); got == "3" {
		// the forgotten node may or may not have heard that it was
		// forgotten (the refusal closes its link at once); it must not
		// count itself linked to the others
		if infoField(t, ps[1], "lightcone_members") != "2" {
			t.Fatalf("node 1 took the forgotten node back")
		}
	}
}

func dial0(t *testing.T, p *proc) *client {
	t.Helper()
	c, err := dial(p.port)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
