package commands

import (
	"bytes"
	"fmt"
	"strconv"
	"testing"

	"github.com/lightconedb/lightcone/internal/engine"
	"github.com/lightconedb/lightcone/internal/keyspace"
	"github.com/lightconedb/lightcone/internal/resp"
)

func TestParseScanCursor(t *testing.T) {
	for _, c := range []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"0", 0, true},
		{"", 0, true},
		{"00", 0, true},
		{"+0", 0, true},
		{"-0", 0, true},
		{"17", 17, true},
		{"0000000000000000000000000000000017", 17, true},
		{"18446744073709551615", 1<<64 - 1, true},
		{"18446744073709551616", 0, false},
		{"99999999999999999999", 0, false},
		{"-1", 1<<64 - 1, true},
		{"-18446744073709551615", 1, true},
		{"-18446744073709551616", 0, false},
		{" 0", 0, false},
		{"0 ", 0, false},
		{"\t1", 0, false},
		{"+", 0, false},
		{"-", 0, false},
		{"0x10", 0, false},
		{"1e3", 0, false},
	} {
		got, ok := parseScanCursor([]byte(c.in))
		if ok != c.ok || (ok && got != c.want) {
			t.Errorf("parseScanCursor(%q) = %d, %v; want %d, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

// scanCtx runs SCAN with args on en's db 0 and returns the cursor and keys.
func scanCall(t *testing.T, en *engine.Engine, args ...string) (string, []string) {
	t.Helper()
	var out bytes.Buffer
	w := resp.NewWriter(&out, 1<<16)
	c := &Ctx{W: w, Eng: en, Cmd: &Command{Name: "scan"}}
	c.Args = [][]byte{[]byte("scan")}
	for _, a := range args {
		c.Args = append(c.Args, []byte(a))
	}
	cmdScan(c)
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	r := resp.NewReader(&out, 1<<16)
	v, err := r.ReadValue()
	if err != nil {
		t.Fatal(err)
	}
	if v.Kind != resp.KindArray || len(v.Elems) != 2 {
		t.Fatalf("SCAN %q replied %v", args, v)
	}
	var keys []string
	for _, e := range v.Elems[1].Elems {
		keys = append(keys, string(e.Str))
	}
	return string(v.Elems[0].Str), keys
}

func setKeys(en *engine.Engine, db int, prefix string, n int, ttl int64) {
	for i := 0; i < n; i++ {
		k := []byte(prefix + strconv.Itoa(i))
		tx := en.Begin1(db, k)
		exp := int64(0)
		if ttl != 0 {
			exp = tx.Now + ttl
		}
		tx.Assign(db, k, []byte("v"), exp, false)
		tx.End()
	}
}

func TestScanSmallDatabaseInOneCall(t *testing.T) {
	en := engine.New(engine.Config{})
	setKeys(en, 0, "k", 5, 0)
	cur, keys := scanCall(t, en, "0")
	if cur != "0" || len(keys) != 5 {
		t.Fatalf("SCAN 0 on 5 keys = %s %q, want cursor 0 and all keys", cur, keys)
	}
	cur, keys = scanCall(t, en, "0", "MATCH", "k[13]", "TYPE", "STRING")
	if cur != "0" || len(keys) != 2 {
		t.Fatalf("SCAN 0 MATCH k[13] = %s %q", cur, keys)
	}
	cur, keys = scanCall(t, en, "0", "TYPE", "list")
	if cur != "0" || len(keys) != 0 {
		t.Fatalf("SCAN 0 TYPE list = %s %q", cur, keys)
	}
	for _, c := range []string{"256", "1000", "18446744073709551615"} {
		if cur, keys := scanCall(t, en, c); cur != "0" || len(keys) != 0 {
			t.Errorf("SCAN %s = %s %q, want 0 and nothing", c, cur, keys)
		}
	}
}

// TestScanGuarantees checks SCAN's contract: a full iteration returns every
// key that exists throughout, each exactly once, while other keys come and
// go between the calls; the cursor is a shard index and ends at 0.
func TestScanGuarantees(t *testing.T) {
	en := engine.New(engine.Config{})
	const stable = 3000
	setKeys(en, 0, "stable:", stable, 0)
	for _, count := range []string{"1", "10", "100", "1000000"} {
		seen := map[string]int{}
		cur := "0"
		calls := 0
		churn := 0
		for {
			var keys []string
			cur, keys = scanCall(t, en, cur, "COUNT", count)
			calls++
			for _, k := range keys {
				seen[k]++
			}
			if cur == "0" {
				break
			}
			n, err := strconv.Atoi(cur)
			if err != nil || n <= 0 || n >= keyspace.NumShards {
				t.Fatalf("COUNT %s: cursor %q is not a shard index", count, cur)
			}
			// churn: add keys, delete some of the churned ones
			setKeys(en, 0, fmt.Sprintf("churn:%d:", churn), 20, 0)
			tx := en.Begin1(0, []byte(fmt.Sprintf("churn:%d:3", churn)))
			tx.Delete(0, []byte(fmt.Sprintf("churn:%d:3", churn)))
			tx.End()
			churn++
			if calls > keyspace.NumShards+1 {
				t.Fatalf("COUNT %s: no end after %d calls", count, calls)
			}
		}
		for i := 0; i < stable; i++ {
			k := "stable:" + strconv.Itoa(i)
			if seen[k] != 1 {
				t.Fatalf("COUNT %s: %s returned %d times", count, k, seen[k])
			}
		}
		for k, n := range seen {
			if n != 1 {
				t.Fatalf("COUNT %s: %s returned %d times", count, k, n)
			}
		}
		if count == "1" && calls != keyspace.NumShards {
			t.Errorf("COUNT 1 over %d keys took %d calls, want one per shard", stable, calls)
		}
		if count == "1000000" && calls != 1 {
			t.Errorf("COUNT 1000000 took %d calls, want 1", calls)
		}
	}
}

// Expired keys are not returned, and SCAN deletes them as it meets them.
func TestScanSkipsExpired(t *testing.T) {
	en := engine.New(engine.Config{})
	setKeys(en, 0, "live", 10, 0)
	setKeys(en, 0, "gone", 10, -1000) // already expired when set
	if n := en.DBSize(0); n != 20 {
		t.Fatalf("DBSIZE = %d, want 20 (expired keys not reclaimed yet)", n)
	}
	cur, keys := scanCall(t, en, "0", "COUNT", "1000")
	if cur != "0" || len(keys) != 10 {
		t.Fatalf("SCAN = %s %q, want the 10 live keys", cur, keys)
	}
	if n := en.DBSize(0); n != 10 {
		t.Errorf("DBSIZE after SCAN = %d, want 10 (expired keys reclaimed)", n)
	}
}
