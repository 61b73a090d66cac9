package server

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lightconedb/lightcone/internal/resp"
)

func infoFields(t *testing.T, c *tconn, section string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, l := range strings.Split(c.str("INFO", section), "\r\n") {
		if k, v, ok := strings.Cut(l, ":"); ok {
			out[k] = v
		}
	}
	return out
}

// waitSaved waits for a background snapshot to finish.
func waitSaved(t *testing.T, c *tconn) map[string]string {
	t.Helper()
	for i := 0; i < 500; i++ {
		f := infoFields(t, c, "persistence")
		if f["rdb_bgsave_in_progress"] == "0" && f["aof_rewrite_in_progress"] == "0" {
			return f
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("snapshot did not finish")
	return nil
}

func TestPersistenceCommands(t *testing.T) {
	s, addr := adminTestServer(t, "save", "")
	c := dialTest(t, addr)
	start := time.Now().Unix()
	c.wantInt(s.Started.Unix(), "LASTSAVE") // before any save: the start time, as Redis
	c.want(kSimple, "OK", "SET", "a", "1")
	c.want(kErr, "ERR wrong number of arguments for 'save' command", "SAVE", "x")
	c.want(kErr, "ERR wrong number of arguments for 'lastsave' command", "LASTSAVE", "x")
	c.want(kErr, "ERR wrong number of arguments for 'bgrewriteaof' command", "BGREWRITEAOF", "x")
	c.want(kErr, "ERR syntax error", "BGSAVE", "x")
	c.want(kErr, "ERR syntax error", "BGSAVE", "SCHEDULE", "x")
	c.want(kSimple, "OK", "SAVE")
	if v := c.do("LASTSAVE"); v.Int < start {
		t.Errorf("LASTSAVE %d before the test began (%d)", v.Int, start)
	}
	f := infoFields(t, c, "persistence")
	if f["rdb_saves"] != "1" || f["aof_enabled"] != "1" || f["rdb_changes_since_last_save"] != "0" || f["snapshots"] != "1" || f["rdb_last_bgsave_status"] != "ok" {
		t.Errorf("after SAVE: %v", f)
	}
	c.want(kSimple, "OK", "SET", "b", "2")
	if f := infoFields(t, c, "persistence"); f["rdb_changes_since_last_save"] != "1" {
		t.Errorf("changes since save: %v", f["rdb_changes_since_last_save"])
	}
	c.want(kSimple, "Background saving started", "BGSAVE")
	waitSaved(t, c)
	c.want(kSimple, "Background append only file rewriting started", "BGREWRITEAOF")
	f = waitSaved(t, c)
	if f["rdb_saves"] != "3" || f["aof_rewrites"] != "1" {
		t.Errorf("after BGSAVE and BGREWRITEAOF: %v", f)
	}
	c.want(kSimple, "Background saving started", "BGSAVE", "SCHEDULE")
	waitSaved(t, c)
	// LASTSAVE is an integer; COMMAND INFO knows the four
	if v := c.do("COMMAND", "INFO", "save", "bgsave", "bgrewriteaof", "lastsave"); v.Kind != resp.KindArray || len(v.Elems) != 4 || v.Elems[3].Null {
		t.Errorf("COMMAND INFO: %v", v)
	}
}

func TestRestartKeepsData(t *testing.T) {
	dir := t.TempDir()
	s, addr := adminTestServer(t, "dir", dir, "save", "")
	c := dialTest(t, addr)
	for i := 0; i < 100; i++ {
		c.want(kSimple, "OK", "SET", "k"+strconv.Itoa(i), strconv.Itoa(i))
	}
	c.wantInt(5, "INCRBY", "counter", "5")
	c.want(kSimple, "OK", "MSET", "x", "1", "y", "2")
	c.wantInt(1, "EXPIRE", "x", "1000")
	c.want(kSimple, "OK", "SAVE")
	c.wantInt(1, "DEL", "k0")
	c.wantInt(7, "INCRBY", "counter", "2")
	node := s.NodeID
	seq := s.Eng.Seq()
	digest := s.Eng.Digest()
	s.Shutdown()

	s2, addr2 := adminTestServer(t, "dir", dir, "save", "")
	if s2.NodeID != node || s2.Eng.Seq() != seq || s2.Eng.Digest() != digest {
		t.Fatalf("after restart: node %v seq %d (want %v %d), digest equal %v", s2.NodeID, s2.Eng.Seq(), node, seq, s2.Eng.Digest() == digest)
	}
	c2 := dialTest(t, addr2)
	c2.want(kBulk, "7", "GET", "counter")
	c2.want(kBulk, "99", "GET", "k99")
	if v := c2.do("TTL", "x"); v.Int <= 0 || v.Int > 1000 {
		t.Errorf("TTL x after restart: %v", v)
	}
	f := infoFields(t, c2, "persistence")
	if !strings.HasPrefix(f["recovery_snapshot"], "snap-") || f["recovery_log_effects"] != "2" || f["rdb_last_load_keys_loaded"] != "103" {
		t.Errorf("recovery: %v", f)
	}
	// a second node cannot open the same directory
	set := NewSettings()
	set.Set("dir", dir)
	if _, err := New(set, nil); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Errorf("second node on the same directory: %v", err)
	}
}

func TestAppendonlySwitch(t *testing.T) {
	dir := t.TempDir()
	s, addr := adminTestServer(t, "dir", dir, "save", "", "appendonly", "no")
	c := dialTest(t, addr)
	c.want(kSimple, "OK", "SET", "before", "1")
	if f := infoFields(t, c, "persistence"); f["aof_enabled"] != "0" {
		t.Errorf("aof_enabled with appendonly no: %v", f["aof_enabled"])
	}
	c.want(kSimple, "OK", "CONFIG", "SET", "appendonly", "yes")
	waitSaved(t, c) // turning the log on takes a snapshot
	c.want(kSimple, "OK", "SET", "after", "2")
	c.want(kSimple, "OK", "CONFIG", "SET", "appendfsync", "always")
	c.want(kSimple, "OK", "SET", "synced", "3")
	if f := infoFields(t, c, "persistence"); f["aof_enabled"] != "1" || f["log_fsync_policy"] != "always" || f["log_synced_position"] != f["log_position"] {
		t.Errorf("after CONFIG SET: %v", f)
	}
	s.Shutdown()
	_, addr2 := adminTestServer(t, "dir", dir, "save", "")
	c2 := dialTest(t, addr2)
	c2.want(kBulk, "1", "GET", "before")
	c2.want(kBulk, "2", "GET", "after")
	c2.want(kBulk, "3", "GET", "synced")
	if segs, _ := filepath.Glob(filepath.Join(dir, "log", "*.orphan")); len(segs) != 0 {
		t.Errorf("segments set aside: %v", segs)
	}
	_ = os.Remove
}

func TestShutdownSaveModes(t *testing.T) {
	for _, tc := range []struct {
		save, cmd string
		snapshots int
	}{
		{"3600 1", "NOSAVE", 0},
		{"3600 1", "", 1},
		{"", "SAVE", 1},
		{"", "", 0},
	} {
		dir := t.TempDir()
		s, addr := adminTestServer(t, "dir", dir, "save", tc.save)
		c := dialTest(t, addr)
		c.want(kSimple, "OK", "SET", "k", "v")
		if tc.cmd == "" {
			c.send("SHUTDOWN")
		} else {
			c.send("SHUTDOWN", tc.cmd)
		}
		<-s.stopped
		snaps, _ := filepath.Glob(filepath.Join(dir, "snapshots", "*.lcs"))
		if len(snaps) != tc.snapshots {
			t.Errorf("save %q, SHUTDOWN %s: %d snapshots, want %d", tc.save, tc.cmd, len(snaps), tc.snapshots)
		}
		s2, _ := adminTestServer(t, "dir", dir, "save", "")
		if s2.Eng.Keys() != 1 {
			t.Errorf("save %q, SHUTDOWN %s: %d keys after restart", tc.save, tc.cmd, s2.Eng.Keys())
		}
		s2.Shutdown()
	}
}
