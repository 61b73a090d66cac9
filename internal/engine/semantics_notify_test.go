package engine

import (
	"strings"
	"testing"

	"github.com/lightconedb/lightcone/internal/effect"
	"github.com/lightconedb/lightcone/internal/notify"
)

// Worked examples of docs/semantics/notifications.md: the keyspace events
// each node raises when two nodes write one key concurrently.

// eventLog records, per node, the keyspace events of the effects it applies
// (notify.Events over the change hook), as "key:event".
func eventLog(en *Engine) *[]string {
	var log []string
	en.SetHook(func(db int, key []byte, e *effect.Effect, existed, exists bool) {
		for _, ev := range notify.Events(nil, e, existed, exists) {
			log = append(log, string(key)+":"+ev.Name)
		}
	})
	return &log
}

func wantEvents(t *testing.T, node string, got *[]string, want string) {
	t.Helper()
	if s := strings.Join(*got, " "); s != want {
		t.Errorf("node %s raised %q, want %q", node, s, want)
	}
	*got = nil
}

// A deletes x while B, not having seen it, sets x: the set survives the
// delete (observed-remove). A announces its "del", then "new" and "set"
// when B's write arrives; B announces its "set" and nothing for A's delete,
// which removed nothing there.
func TestSemanticsNotifyDeleteVersusSet(t *testing.T) {
	p := newPair(t)
	p.do(p.a, func(tx *Tx) { tx.Assign(0, []byte("x"), []byte("0"), 0, false) })
	p.sync()
	la, lb := eventLog(p.a), eventLog(p.b)
	p.do(p.a, func(tx *Tx) { tx.Delete(0, []byte("x")) })
	p.wallB++
	p.do(p.b, func(tx *Tx) { tx.Assign(0, []byte("x"), []byte("1"), 0, false) })
	wantEvents(t, "A", la, "x:del")
	wantEvents(t, "B", lb, "x:set")
	p.sync()
	p.expect("1", false)
	wantEvents(t, "A", la, "x:new x:set")
	wantEvents(t, "B", lb, "")
}

// Concurrent SETs: the later (HLC) one wins on both nodes; each node
// announces every write it applies, the one that lost included.
func TestSemanticsNotifyConcurrentSets(t *testing.T) {
	p := newPair(t)
	la, lb := eventLog(p.a), eventLog(p.b)
	p.do(p.a, func(tx *Tx) { tx.Assign(0, []byte("x"), []byte("a"), 0, false) })
	p.wallB += 5
	p.do(p.b, func(tx *Tx) { tx.Assign(0, []byte("x"), []byte("b"), 0, false) })
	wantEvents(t, "A", la, "x:new x:set")
	wantEvents(t, "B", lb, "x:new x:set")
	p.sync()
	p.expect("b", false)
	wantEvents(t, "A", la, "x:set")
	wantEvents(t, "B", lb, "x:set")
}
