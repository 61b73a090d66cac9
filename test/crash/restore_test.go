package crash

import (
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// TestPointInTimeRestore: write, note the time, write more (overwrites,
// deletes, new keys, a snapshot in between), stop the node, restore its data
// directory to the noted time with "lightcone restore", start a node on the
// result and read exactly the earlier state.
func TestPointInTimeRestore(t *testing.T) {
	work := t.TempDir()
	bin := buildBinary(t, work)
	n := &node{bin: bin, dir: filepath.Join(work, "data")}
	n.start(t, "--history-retention", "1h", "--save", "")
	c, err := dial(n.addr)
	if err != nil {
		t.Fatal(err)
	}
	must := func(args ...string) {
		t.Helper()
		if _, err := c.do(args...); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 200; i++ {
		must("SET", "a:"+strconv.Itoa(i), "first-"+strconv.Itoa(i))
	}
	for i := 0; i < 5; i++ {
		must("INCR", "counter")
	}
	must("BGSAVE")
	time.Sleep(300 * time.Millisecond)
	must("SET", "late-in-the-first-part", "yes")
	// the noted time: the server's own clock, then a pause so that what
	// follows is stamped later
	v, err := c.do("TIME")
	if err != nil {
		t.Fatal(err)
	}
	secs, _ := strconv.ParseInt(string(v.Elems[0].Str), 10, 64)
	usecs, _ := strconv.ParseInt(string(v.Elems[1].Str), 10, 64)
	noted := secs*1000 + usecs/1000
	time.Sleep(20 * time.Millisecond)
	for i := 0; i < 200; i += 2 {
		must("SET", "a:"+strconv.Itoa(i), "second")
	}
	for i := 1; i < 200; i += 4 {
		must("DEL", "a:"+strconv.Itoa(i))
	}
	for i := 0; i < 50; i++ {
		must("SET", "b:"+strconv.Itoa(i), "new")
	}
	must("INCRBY", "counter", "100")
	must("BGSAVE")
	time.Sleep(300 * time.Millisecond)
	must("SET", "after-the-second-snapshot", "x")
	c.close()
	n.kill()

	out := filepath.Join(work, "restored")
	cmd := exec.Command(bin, "restore", "--dir", n.dir, "--to", strconv.FormatInt(noted, 10), "--out", out)
	msg, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("lightcone restore: %v\n%s", err, msg)
	}
	t.Logf("lightcone restore --to %d:\n%s", noted, msg)

	r := &node{bin: bin, dir: out}
	r.start(t, "--save", "")
	defer r.kill()
	c, err = dial(r.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	get := func(k string) (string, bool) {
		v, err := c.do("GET", k)
		if err != nil {
			t.Fatal(err)
		}
		return string(v.Str), !v.Null
	}
	for i := 0; i < 200; i++ {
		if got, ok := get("a:" + strconv.Itoa(i)); !ok || got != "first-"+strconv.Itoa(i) {
			t.Fatalf("a:%d = %q %v, want the value at the noted time", i, got, ok)
		}
	}
	if got, _ := get("counter"); got != "5" {
		t.Fatalf("counter = %q, want 5", got)
	}
	if got, ok := get("late-in-the-first-part"); !ok || got != "yes" {
		t.Fatalf("the last write before the noted time is missing")
	}
	for _, k := range []string{"b:0", "b:49", "after-the-second-snapshot"} {
		if _, ok := get(k); ok {
			t.Fatalf("%s exists: it was written after the noted time", k)
		}
	}
	if v, err := c.do("DBSIZE"); err != nil || v.Int != 202 {
		t.Fatalf("DBSIZE %v %v, want 202", v, err)
	}
}
