package diff

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lightconedb/lightcone/internal/resp"
)

// newerCommands are the commands Lightcone has that redis-server 7.0.15 has
// not (hash field expiry and HGETDEL/HGETEX/HSETEX of Redis 7.4/8.0, CLIENT
// NO-TOUCH of 7.2): the only difference COMMAND LIST may show.
var newerCommands = []string{
	"client|no-touch", "hexpire", "hexpireat", "hexpiretime", "hgetdel", "hgetex", "hpersist",
	"hpexpire", "hpexpireat", "hpexpiretime", "hpttl", "hsetex", "httl",
}

func mustDo(t *testing.T, c *Client, args ...string) resp.Value {
	t.Helper()
	v, err := c.Do(args...)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func strs(v resp.Value) []string {
	out := make([]string, 0, len(v.Elems))
	for _, e := range v.Elems {
		out = append(out, string(e.Str))
	}
	return out
}

// ownCommand reports whether name is one of Lightcone's own commands (the
// LIGHTCONE container), which Redis cannot have.
func ownCommand(name string) bool {
	return name == "lightcone" || strings.HasPrefix(name, "lightcone|")
}

// listDiff compares a command list of Redis (rl) with Lightcone's (ll): the
// Redis commands Lightcone lacks, and Lightcone's others that are neither
// its own nor in newerCommands.
func listDiff(rl, ll []string) (missing, extra []string) {
	for _, c := range rl {
		if !slices.Contains(ll, c) {
			missing = append(missing, c)
		}
	}
	for _, c := range ll {
		if !slices.Contains(rl, c) && !ownCommand(c) && !slices.Contains(newerCommands, c) {
			extra = append(extra, c)
		}
	}
	return missing, extra
}

// TestCommandListMatchesRedis: every command (and subcommand) of
// redis-server 7.0.15 is Lightcone's too, and Lightcone's others are the
// newer ones and its own; the same per ACL category; COMMAND COUNT agrees.
func TestCommandListMatchesRedis(t *testing.T) {
	needServers(t)
	p, err := DialPair(redisAddr, lightAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	rl := strs(mustDo(t, p.Redis, "COMMAND", "LIST"))
	ll := strs(mustDo(t, p.Light, "COMMAND", "LIST"))
	missing, extra := listDiff(rl, ll)
	if len(missing) > 0 || len(extra) > 0 {
		t.Errorf("COMMAND LIST: Redis commands Lightcone lacks: %v; Lightcone's unexpected others: %v", missing, extra)
	}
	for _, c := range newerCommands {
		if !slices.Contains(ll, c) {
			t.Errorf("newerCommands lists %s, which Lightcone has not", c)
		}
	}
	topExtra := 0
	for _, c := range ll {
		if !slices.Contains(rl, c) && !strings.Contains(c, "|") {
			topExtra++
		}
	}
	rc := mustDo(t, p.Redis, "COMMAND", "COUNT").Int
	lc := mustDo(t, p.Light, "COMMAND", "COUNT").Int
	if lc != rc+int64(topExtra) {
		t.Errorf("COMMAND COUNT: redis %d, lightcone %d, want redis + %d", rc, lc, topExtra)
	}
	cats := strs(mustDo(t, p.Redis, "ACL", "CAT"))
	if lcats := strs(mustDo(t, p.Light, "ACL", "CAT")); !slices.Equal(cats, lcats) {
		t.Errorf("ACL CAT: redis %v, lightcone %v", cats, lcats)
	}
	for _, cat := range cats {
		rl := strs(mustDo(t, p.Redis, "COMMAND", "LIST", "FILTERBY", "ACLCAT", cat))
		ll := strs(mustDo(t, p.Light, "COMMAND", "LIST", "FILTERBY", "ACLCAT", cat))
		if missing, extra := listDiff(rl, ll); len(missing) > 0 || len(extra) > 0 {
			t.Errorf("ACL category %s: Redis commands Lightcone lacks: %v; Lightcone's unexpected others: %v", cat, missing, extra)
		}
	}
}

// TestLolwutArt: LOLWUT VERSION 5 and 6 draw (different) art on both
// servers, which ends with the same version line.
func TestLolwutArt(t *testing.T) {
	needServers(t)
	p, err := DialPair(redisAddr, lightAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for _, args := range [][]string{{"LOLWUT", "VERSION", "5"}, {"LOLWUT", "VERSION", "6"}, {"LOLWUT", "VERSION", "5", "1", "1", "1"},
		{"LOLWUT", "VERSION", "6", "3000", "-5"}} {
		rv, lv, err := p.Do(args...)
		if err != nil {
			t.Fatal(err)
		}
		if rv.Kind != lv.Kind {
			t.Fatalf("%v: kinds %c and %c", args, rv.Kind, lv.Kind)
		}
		const tail = " Redis ver. 7.0.15\n"
		for _, v := range []resp.Value{rv, lv} {
			if !strings.HasSuffix(string(v.Str), tail) || strings.Count(string(v.Str), "\n") < 2 {
				t.Errorf("%v: %q does not end with art and %q", args, v.Str, tail)
			}
		}
		again := mustDo(t, p.Light, args...)
		if !Equal(again, lv) {
			t.Errorf("%v: Lightcone's art is not deterministic", args)
		}
	}
}

// TestWaitBlocksWithoutReplicas: WAIT 1 <timeout> blocks until the timeout
// and answers 0; a WAIT without timeout is ended by CLIENT UNBLOCK with 0
// (TIMEOUT) or the UNBLOCKED error; meanwhile it counts in blocked_clients.
func TestWaitBlocksWithoutReplicas(t *testing.T) {
	needServers(t)
	for _, srv := range []struct{ name, addr string }{{"redis", redisAddr}, {"lightcone", lightAddr}} {
		t.Run(srv.name, func(t *testing.T) {
			c, err := Dial(srv.name, srv.addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			ctl, err := Dial(srv.name, srv.addr)
			if err != nil {
				t.Fatal(err)
			}
			defer ctl.Close()
			start := time.Now()
			v := mustDo(t, c, "WAIT", "1", "150")
			if el := time.Since(start); v.Kind != resp.KindInt || v.Int != 0 || el < 140*time.Millisecond {
				t.Errorf("WAIT 1 150: %s after %v, want 0 after 150ms", v, el)
			}
			t.Logf("WAIT 1 150 took %v", time.Since(start))
			id := mustDo(t, c, "CLIENT", "ID").Int
			for _, how := range []string{"TIMEOUT", "ERROR"} {
				c.Send("WAIT", "2", "0")
				if err := c.Flush(); err != nil {
					t.Fatal(err)
				}
				deadline := time.Now().Add(5 * time.Second)
				for !strings.Contains(string(mustDo(t, ctl, "INFO", "clients").Str), "blocked_clients:1\r\n") {
					if time.Now().After(deadline) {
						t.Fatal("WAIT 2 0 never counted in blocked_clients")
					}
					time.Sleep(5 * time.Millisecond)
				}
				if u := mustDo(t, ctl, "CLIENT", "UNBLOCK", strconv.FormatInt(id, 10), how); u.Int != 1 {
					t.Fatalf("CLIENT UNBLOCK %s: %s", how, u)
				}
				v, err := c.Read()
				if err != nil {
					t.Fatal(err)
				}
				if how == "TIMEOUT" && (v.Kind != resp.KindInt || v.Int != 0) ||
					how == "ERROR" && string(v.Str) != "UNBLOCKED client unblocked via CLIENT UNBLOCK" {
					t.Errorf("WAIT ended by CLIENT UNBLOCK %s: %s", how, v)
				}
			}
		})
	}
}

// snapshot describes key's value on c canonically (type, contents, whether
// it has a TTL), for comparing a value across servers.
func snapshot(t *testing.T, c *Client, key string) string {
	t.Helper()
	typ := string(mustDo(t, c, "TYPE", key).Str)
	var parts []string
	add := func(v resp.Value, sorted bool) {
		s := strs(v)
		if sorted {
			slices.Sort(s)
		}
		parts = append(parts, strings.Join(s, ","))
	}
	switch typ {
	case "string":
		parts = append(parts, string(mustDo(t, c, "GET", key).Str))
	case "list":
		add(mustDo(t, c, "LRANGE", key, "0", "-1"), false)
	case "hash":
		v := mustDo(t, c, "HGETALL", key)
		var pairs []string
		for i := 0; i+1 < len(v.Elems); i += 2 {
			pairs = append(pairs, string(v.Elems[i].Str)+"="+string(v.Elems[i+1].Str))
		}
		slices.Sort(pairs)
		parts = append(parts, strings.Join(pairs, ","))
	case "set":
		add(mustDo(t, c, "SMEMBERS", key), true)
	case "zset":
		add(mustDo(t, c, "ZRANGE", key, "0", "-1", "WITHSCORES"), false)
	case "stream":
		v := mustDo(t, c, "XRANGE", key, "-", "+")
		for _, e := range v.Elems {
			parts = append(parts, string(e.Elems[0].Str)+":"+strings.Join(strs(e.Elems[1]), ","))
		}
		g := mustDo(t, c, "XINFO", "GROUPS", key)
		for _, grp := range g.Elems {
			for i := 0; i+1 < len(grp.Elems); i += 2 {
				k := string(grp.Elems[i].Str)
				if k == "name" || k == "pending" || k == "last-delivered-id" || k == "consumers" {
					parts = append(parts, k+"="+grp.Elems[i+1].String())
				}
			}
		}
	case "none":
	default:
		t.Fatalf("TYPE %s: %s", key, typ)
	}
	ttl := mustDo(t, c, "PTTL", key).Int
	return typ + "|" + strings.Join(parts, "|") + "|ttl=" + strconv.FormatBool(ttl > 0)
}

// TestMigrate moves keys of every type, in every encoding, from Lightcone
// to redis-server with MIGRATE (single key; KEYS with COPY; REPLACE) and
// back from redis-server to Lightcone, and checks the values, TTLs, what
// is left on each side and the target's errors.
func TestMigrate(t *testing.T) {
	needServers(t)
	lc, err := Dial("lightcone", lightAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer lc.Close()
	rd, err := Dial("redis", redisAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	const db = "9"
	for _, c := range []*Client{lc, rd} {
		mustDo(t, c, "SELECT", db)
		mustDo(t, c, "FLUSHDB")
		defer mustDo(t, c, "FLUSHDB")
	}
	hostPort := func(addr string) (string, string) {
		i := strings.LastIndexByte(addr, ':')
		return addr[:i], addr[i+1:]
	}
	rHost, rPort := hostPort(redisAddr)
	lHost, lPort := hostPort(lightAddr)

	many := func(cmd, key string, n int, f func(i int) []string) {
		args := []string{cmd, key}
		for i := 0; i < n; i++ {
			args = append(args, f(i)...)
		}
		if v := mustDo(t, lc, args...); v.Kind == resp.KindError {
			t.Fatalf("%s %s: %s", cmd, key, v.Str)
		}
	}
	setup := [][]string{
		{"SET", "str", "hello"}, {"SET", "int", "12345"}, {"SET", "long", strings.Repeat("x", 100)},
		{"SET", "ttl", "v", "PX", "100000"},
		{"RPUSH", "list", "a", "b", "c"}, {"HSET", "hash", "f1", "v1", "f2", "v2"},
		{"SADD", "intset", "1", "2", "3"}, {"SADD", "set", "a", "b", "c"},
		{"ZADD", "zset", "1", "a", "2.5", "b", "-3", "c"},
		{"XADD", "stream", "1-1", "f", "v"}, {"XADD", "stream", "2-1", "g", "w"},
		{"XGROUP", "CREATE", "stream", "grp", "0"}, {"XREADGROUP", "GROUP", "grp", "alice", "COUNT", "1", "STREAMS", "stream", ">"},
		{"PFADD", "hll", "a", "b", "c"}, {"SETBIT", "bits", "100", "1"},
		{"GEOADD", "geo", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania"},
		{"HSET", "hashttl", "f", "v"}, {"PEXPIRE", "hashttl", "100000"},
	}
	for _, args := range setup {
		if v := mustDo(t, lc, args...); v.Kind == resp.KindError {
			t.Fatalf("%v: %s", args, v.Str)
		}
	}
	many("RPUSH", "biglist", 300, func(i int) []string { return []string{strconv.Itoa(i) + strings.Repeat("e", 40)} })
	many("HSET", "bighash", 300, func(i int) []string { return []string{"f" + strconv.Itoa(i), strconv.Itoa(i)} })
	many("SADD", "bigset", 300, func(i int) []string { return []string{"m" + strconv.Itoa(i)} })
	many("SADD", "bigintset", 600, func(i int) []string { return []string{strconv.Itoa(i * 7)} })
	many("ZADD", "bigzset", 300, func(i int) []string { return []string{strconv.Itoa(i), "m" + strconv.Itoa(i)} })
	keys := strs(mustDo(t, lc, "KEYS", "*"))
	slices.Sort(keys)
	want := map[string]string{}
	for _, k := range keys {
		want[k] = snapshot(t, lc, k)
	}
	check := func(c *Client, present bool) {
		t.Helper()
		for _, k := range keys {
			got := snapshot(t, c, k)
			if present && got != want[k] {
				t.Errorf("%s %s: %s, want %s", c.Name, k, got, want[k])
			}
			if !present && !strings.HasPrefix(got, "none|") {
				t.Errorf("%s %s: still there (%s)", c.Name, k, got)
			}
		}
	}
	ok := func(v resp.Value, what string) {
		t.Helper()
		if v.Kind != resp.KindSimple || string(v.Str) != "OK" {
			t.Fatalf("%s: %s", what, v)
		}
	}

	// one key, moved
	ok(mustDo(t, lc, "MIGRATE", rHost, rPort, "str", db, "5000"), "MIGRATE str")
	if snapshot(t, lc, "str") != "none||ttl=false" || snapshot(t, rd, "str") != want["str"] {
		t.Fatalf("MIGRATE str: lightcone %s, redis %s", snapshot(t, lc, "str"), snapshot(t, rd, "str"))
	}
	if v := mustDo(t, lc, "MIGRATE", rHost, rPort, "str", db, "5000"); string(v.Str) != "NOKEY" {
		t.Fatalf("MIGRATE of a moved key: %s", v)
	}
	// the rest copied: str, back on the source, is on the target too
	mustDo(t, lc, "RESTORE", "str", "0", string(mustDo(t, rd, "DUMP", "str").Str))
	args := append([]string{"MIGRATE", rHost, rPort, "", db, "5000", "COPY", "KEYS"}, keys...)
	v := mustDo(t, lc, args...)
	if want := "ERR Target instance replied with error: BUSYKEY Target key name already exists."; string(v.Str) != want {
		t.Fatalf("MIGRATE COPY KEYS with str on the target: %s, want %s", v, want)
	}
	check(lc, true)
	check(rd, true) // the others were copied
	args = append([]string{"MIGRATE", rHost, rPort, "", db, "5000", "COPY", "REPLACE", "KEYS"}, keys...)
	ok(mustDo(t, lc, args...), "MIGRATE COPY REPLACE KEYS")
	check(lc, true)
	check(rd, true)
	if ttl := mustDo(t, rd, "PTTL", "ttl").Int; ttl <= 0 || ttl > 100000 {
		t.Errorf("PTTL ttl on the target: %d", ttl)
	}
	// moved with REPLACE
	args = append([]string{"MIGRATE", rHost, rPort, "", db, "5000", "REPLACE", "KEYS"}, keys...)
	ok(mustDo(t, lc, args...), "MIGRATE REPLACE KEYS")
	check(lc, false)
	check(rd, true)
	// and back: redis-server migrates to Lightcone
	args = append([]string{"MIGRATE", lHost, lPort, "", db, "5000", "KEYS"}, keys...)
	ok(mustDo(t, rd, args...), "redis MIGRATE KEYS to lightcone")
	check(rd, false)
	check(lc, true)
	if ttl := mustDo(t, lc, "PTTL", "hashttl").Int; ttl <= 0 || ttl > 100000 {
		t.Errorf("PTTL hashttl back on lightcone: %d", ttl)
	}

	// the target's errors, and nothing moves
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"MIGRATE", rHost, rPort, "str", "99", "5000"}, "ERR Target instance replied with error: ERR DB index is out of range"},
		{[]string{"MIGRATE", rHost, rPort, "str", db, "5000", "AUTH2", "nobody", "pw"}, "ERR Target instance replied with error: WRONGPASS invalid username-password pair or user is disabled."},
		{[]string{"MIGRATE", rHost, rPort, "str", db, "5000", "AUTH", "pw"}, "ERR Target instance replied with error: ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?"},
	} {
		v := mustDo(t, lc, tc.args...)
		if string(v.Str) != tc.want {
			t.Errorf("%v: %s, want %s", tc.args, v, tc.want)
		}
		if snapshot(t, lc, "str") != want["str"] {
			t.Errorf("%v: str left the source", tc.args)
		}
	}
	mustDo(t, rd, "SELECT", "0")
	mustDo(t, rd, "DEL", "str") // the DB index error's RESTORE ran in the target connection's db 0, as from Redis
	mustDo(t, rd, "SELECT", db)
}

// TestReplconfAckNoReply: REPLCONF ACK and GETACK from a client that is not
// a replica get no reply at all (the next command's reply comes first).
func TestReplconfAckNoReply(t *testing.T) {
	needServers(t)
	for _, srv := range []struct{ name, addr string }{{"redis", redisAddr}, {"lightcone", lightAddr}} {
		c, err := Dial(srv.name, srv.addr)
		if err != nil {
			t.Fatal(err)
		}
		c.Send("REPLCONF", "ACK", "1")
		c.Send("REPLCONF", "GETACK", "*")
		c.Send("REPLCONF", "listening-port", "1", "ack", "x")
		c.Send("PING", "after")
		if err := c.Flush(); err != nil {
			t.Fatal(err)
		}
		v, err := c.Read()
		if err != nil {
			t.Fatal(err)
		}
		if string(v.Str) != "after" {
			t.Errorf("%s: first reply after REPLCONF ACK/GETACK: %s, want the PING's", srv.name, v)
		}
		c.Close()
	}
}
