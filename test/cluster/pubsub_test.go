package cluster_test

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// subscriber is a RESP2 client in subscribed mode whose pushes are read by a
// goroutine into msgs (each flattened: "message\nchannel\npayload",
// "pmessage\npattern\nchannel\npayload", "smessage\nchannel\npayload").
// Pushes on the channel "warm" (see warmUp) are left out.
type subscriber struct {
	c    *client
	msgs chan string
}

// subscribe opens a subscriber on p: each command is run (e.g.
// {"SUBSCRIBE", "news"}) and its confirmations read before the pushes are.
func subscribe(t *testing.T, p *proc, cmds ...[]string) *subscriber {
	t.Helper()
	c, err := dial(p.port)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.close)
	cmds = append(cmds, []string{"SUBSCRIBE", "warm"})
	for _, cmd := range cmds {
		must(t, c, cmd...)
		for range cmd[2:] {
			if _, err := c.read(); err != nil { // a confirmation per name
				t.Fatal(err)
			}
		}
	}
	s := &subscriber{c: c, msgs: make(chan string, 100000)}
	go func() {
		defer close(s.msgs)
		for {
			c.c.SetReadDeadline(time.Now().Add(time.Minute))
			m, err := c.read()
			if err != nil {
				return
			}
			if strings.HasPrefix(m, "message\nwarm\n") {
				continue
			}
			s.msgs <- m
		}
	}()
	return s
}

// next returns the next push, failing after timeout.
func (s *subscriber) next(t *testing.T, timeout time.Duration) string {
	t.Helper()
	select {
	case m, ok := <-s.msgs:
		if !ok {
			t.Fatal("subscriber connection ended")
		}
		return m
	case <-time.After(timeout):
		t.Fatalf("no message within %v", timeout)
	}
	return ""
}

// quiet fails if a push arrives within d.
func (s *subscriber) quiet(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case m, ok := <-s.msgs:
		if ok {
			t.Fatalf("unexpected message %q", m)
		}
	case <-time.After(d):
	}
}

// warmUp publishes on "warm" from pub until each node of subs has received
// a message more than before: the message streams from pub's node to them
// are open. (A message published before a peer's stream is open is dropped
// for that peer, as for a peer that is down.)
func warmUp(t *testing.T, pub *client, subs ...*proc) {
	t.Helper()
	var cs []*client
	var before []int
	for _, p := range subs {
		c, err := dial(p.port)
		if err != nil {
			t.Fatal(err)
		}
		defer c.close()
		cs = append(cs, c)
		before = append(before, received(t, c))
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		must(t, pub, "PUBLISH", "warm", "x")
		ok := true
		for i, c := range cs {
			if received(t, c) == before[i] {
				ok = false
			}
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("no pub/sub message crossed the cluster within 10 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// received is a node's lightcone_messages_received.
func received(t *testing.T, c *client) int {
	t.Helper()
	info := must(t, c, "INFO", "cluster")
	_, v, ok := strings.Cut(info, "lightcone_messages_received:")
	if !ok {
		t.Fatalf("no lightcone_messages_received in INFO:\n%s", info)
	}
	n, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(v, "\n", 2)[0]))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// PUBLISH and SPUBLISH on A reach the channel, pattern and shard channel
// subscribers of B and C; the reply and PUBSUB stay node-local.
func TestPublishReachesEveryNode(t *testing.T) {
	ps := startProcs(t, 3, pass)
	var subs []*subscriber
	for _, p := range ps {
		subs = append(subs, subscribe(t, p, []string{"SUBSCRIBE", "news"}, []string{"PSUBSCRIBE", "ne*"}, []string{"SSUBSCRIBE", "sh{1}"}))
	}
	a, err := dial(ps[0].port)
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	warmUp(t, a, ps[1], ps[2])

	// the reply counts this node's receivers only (Redis Cluster's)
	if n := must(t, a, "PUBLISH", "news", "hello"); n != "2" {
		t.Fatalf("PUBLISH replied %s, want 2 (channel + pattern subscriber on this node)", n)
	}
	if n := must(t, a, "SPUBLISH", "sh{1}", "shard-hello"); n != "1" {
		t.Fatalf("SPUBLISH replied %s, want 1", n)
	}
	if n := must(t, a, "PUBLISH", "nobody", "x"); n != "0" {
		t.Fatalf("PUBLISH to a channel without subscribers replied %s", n)
	}
	for i, s := range subs {
		want := []string{"message\nnews\nhello", "pmessage\nne*\nnews\nhello", "smessage\nsh{1}\nshard-hello"}
		for _, w := range want {
			if got := s.next(t, 5*time.Second); got != w {
				t.Fatalf("node %d: got %q, want %q", i, got, w)
			}
		}
		s.quiet(t, 200*time.Millisecond) // once each: no duplicates, nothing echoed back
	}
	// PUBSUB is node-local, as in Redis Cluster
	if r := must(t, a, "PUBSUB", "NUMSUB", "news"); r != "news\n1" {
		t.Fatalf("PUBSUB NUMSUB = %q, want this node's count", r)
	}
	if r := must(t, a, "PUBSUB", "SHARDNUMSUB", "sh{1}"); r != "sh{1}\n1" {
		t.Fatalf("PUBSUB SHARDNUMSUB = %q", r)
	}
	if r := must(t, a, "PUBSUB", "NUMPAT"); r != "1" {
		t.Fatalf("PUBSUB NUMPAT = %q", r)
	}

	// a message published on B reaches A and C the same way
	b, err := dial(ps[1].port)
	if err != nil {
		t.Fatal(err)
	}
	defer b.close()
	warmUp(t, b, ps[0], ps[2])
	must(t, b, "PUBLISH", "news", "from-b")
	for i, s := range subs {
		if got := s.next(t, 5*time.Second); got != "message\nnews\nfrom-b" {
			t.Fatalf("node %d: got %q", i, got)
		}
		if got := s.next(t, 5*time.Second); got != "pmessage\nne*\nnews\nfrom-b" {
			t.Fatalf("node %d: got %q", i, got)
		}
	}
}

// 1,000 messages from one publisher arrive on the other nodes in order,
// each once.
func TestPublishOrderAcrossNodes(t *testing.T) {
	ps := startProcs(t, 3, pass)
	b := subscribe(t, ps[1], []string{"SUBSCRIBE", "ord"})
	c := subscribe(t, ps[2], []string{"PSUBSCRIBE", "or?"})
	a, err := dial(ps[0].port)
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	warmUp(t, a, ps[1], ps[2])
	const n = 1000
	start := time.Now()
	for i := 0; i < n; i++ {
		must(t, a, "PUBLISH", "ord", strconv.Itoa(i))
	}
	for i := 0; i < n; i++ {
		if got, want := b.next(t, 5*time.Second), "message\nord\n"+strconv.Itoa(i); got != want {
			t.Fatalf("B: message %d is %q, want %q", i, got, want)
		}
		if got, want := c.next(t, 5*time.Second), "pmessage\nor?\nord\n"+strconv.Itoa(i); got != want {
			t.Fatalf("C: message %d is %q, want %q", i, got, want)
		}
	}
	t.Logf("%d messages published on A and received in order on B and C in %v", n, time.Since(start))
	b.quiet(t, 200*time.Millisecond)
	c.quiet(t, 0)
	info := must(t, a, "INFO", "cluster")
	if !strings.Contains(info, "lightcone_messages_dropped:0\r\n") {
		t.Fatalf("messages dropped on a healthy cluster:\n%s", info)
	}
}

// collectUntil reads a subscriber's pushes up to and including the first
// that contains marker.
func collectUntil(t *testing.T, s *subscriber, marker string) []string {
	t.Helper()
	var out []string
	for {
		m := s.next(t, 5*time.Second)
		out = append(out, m)
		if strings.Contains(m, marker) {
			return out
		}
	}
}

// Keyspace notifications on B for effects made on A: the events, and their
// order, are those A raises for the same command; they are raised by each
// node from the effects it applies, not forwarded (a subscriber gets each
// once).
func TestKeyspaceEventsForRemoteEffects(t *testing.T) {
	ps := startProcs(t, 2, pass)
	var subs []*subscriber
	for _, p := range ps {
		c, err := dial(p.port)
		if err != nil {
			t.Fatal(err)
		}
		must(t, c, "CONFIG", "SET", "notify-keyspace-events", "AKEn")
		c.close()
		subs = append(subs, subscribe(t, p, []string{"PSUBSCRIBE", "__key*__:*"}))
	}
	a, err := dial(ps[0].port)
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()

	// the commands of the brief, with the events Redis 7.0 raises for them
	core := [][]string{
		{"SET", "k", "v"},
		{"LPUSH", "l", "a", "b"},
		{"HSET", "h", "f", "v"},
		{"EXPIRE", "k", "100"},
		{"DEL", "k"},
		{"SET", "core-end", "1"},
	}
	for _, cmd := range core {
		must(t, a, cmd...)
	}
	ev := func(key, event string) []string {
		return []string{"pmessage\n__key*__:*\n__keyspace@0__:" + key + "\n" + event, "pmessage\n__key*__:*\n__keyevent@0__:" + event + "\n" + key}
	}
	var want []string
	for _, e := range [][2]string{{"k", "new"}, {"k", "set"}, {"l", "new"}, {"l", "lpush"}, {"h", "new"}, {"h", "hset"},
		{"k", "expire"}, {"k", "del"}, {"core-end", "new"}, {"core-end", "set"}} {
		want = append(want, ev(e[0], e[1])...)
	}
	for i, s := range subs {
		got := collectUntil(t, s, "__keyevent@0__:set\ncore-end")
		if strings.Join(got, " | ") != strings.Join(want, " | ") {
			t.Fatalf("node %d raised\n%s\nwant\n%s", i, strings.Join(got, "\n--\n"), strings.Join(want, "\n--\n"))
		}
	}

	// more commands: B raises exactly what A raises, in the same order
	more := [][]string{
		{"SET", "s", "1", "EX", "100"},
		{"INCRBY", "s", "5"},
		{"APPEND", "s", "x"},
		{"PERSIST", "s"},
		{"EXPIRE", "s", "-1"}, // a TTL in the past deletes
		{"RPUSH", "src", "1", "2", "3"},
		{"LMOVE", "src", "dst", "LEFT", "RIGHT"},
		{"LMOVE", "src", "src", "LEFT", "RIGHT"},
		{"LPOP", "src", "5"},
		{"SADD", "set", "a", "b"},
		{"SPOP", "set", "5"},
		{"ZADD", "z", "1", "a", "2", "b"},
		{"ZPOPMIN", "z", "2"},
		{"HSET", "h2", "f", "1"},
		{"HINCRBY", "h2", "f", "2"},
		{"HDEL", "h2", "f"},
		{"XADD", "x", "1-1", "f", "v"},
		{"XADD", "x", "MAXLEN", "1", "2-1", "f", "v"},
		{"SET", "r1", "v"},
		{"RENAME", "r1", "r2"},
		{"SET", "r3", "v"},
		{"RENAME", "r2", "r3"}, // over an existing key
		{"COPY", "r3", "r4"},
		{"MOVE", "r4", "1"},
		{"SETEX", "e", "100", "v"},
		{"GETDEL", "e"},
		{"SET", "more-end", "1"},
	}
	for _, cmd := range more {
		if _, err := a.do(cmd...); err != nil {
			t.Fatalf("%v: %v", cmd, err)
		}
	}
	local := collectUntil(t, subs[0], "__keyevent@0__:set\nmore-end")
	remote := collectUntil(t, subs[1], "__keyevent@0__:set\nmore-end")
	if strings.Join(local, " | ") != strings.Join(remote, " | ") {
		short := func(ms []string) string {
			var b strings.Builder
			for _, m := range ms {
				b.WriteString(strings.ReplaceAll(strings.TrimPrefix(m, "pmessage\n__key*__:*\n"), "\n", " "))
				b.WriteString("\n")
			}
			return b.String()
		}
		t.Fatalf("events on A (local)\n%s\nevents on B (remote)\n%s", short(local), short(remote))
	}
	t.Logf("%d events on each node for %d commands", len(local), len(more))

	// an expiry: each node raises "expired" once, whichever removes the key
	must(t, a, "SET", "t", "v", "PX", "100")
	for i, s := range subs {
		got := collectUntil(t, s, "__keyevent@0__:expired\nt")
		want := append(append(ev("t", "new"), ev("t", "set")...), append(ev("t", "expire"), ev("t", "expired")...)...)
		if strings.Join(got, " | ") != strings.Join(want, " | ") {
			t.Fatalf("node %d raised %q for a key expiring, want %q", i, got, want)
		}
	}
	for _, s := range subs {
		s.quiet(t, 300*time.Millisecond) // each once
	}
}

// Clients blocked on B wake for writes made on A (BLPOP, BZPOPMIN, BLMOVE),
// and what B's pops take is then gone on A too.
func TestBlockedPopsWakeForRemoteWrites(t *testing.T) {
	ps := startProcs(t, 2, pass)
	a, err := dial(ps[0].port)
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	cases := []struct {
		name  string
		block []string // run on B
		write []string // run on A
		want  string   // B's reply
		gone  []string // on A afterwards, eventually: the reply "0"
	}{
		{"BLPOP", []string{"BLPOP", "bl1", "bl2", "5"}, []string{"RPUSH", "bl2", "x"}, "bl2\nx", []string{"EXISTS", "bl2"}},
		{"BZPOPMIN", []string{"BZPOPMIN", "bz", "5"}, []string{"ZADD", "bz", "2", "b", "1", "a"}, "bz\na\n1", []string{"ZSCORE", "bz", "a"}},
		{"BLMOVE", []string{"BLMOVE", "src", "dst", "LEFT", "RIGHT", "5"}, []string{"RPUSH", "src", "v"}, "v", []string{"EXISTS", "src"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := dial(ps[1].port)
			if err != nil {
				t.Fatal(err)
			}
			defer b.close()
			got := make(chan string, 1)
			go func() {
				r, err := b.do(c.block...)
				if err != nil {
					r = "error: " + err.Error()
				}
				got <- r
			}()
			// let it block: B's CLIENT LIST shows the blocked command
			waitBlocked(t, ps[1], strings.ToLower(c.block[0]))
			must(t, a, c.write...)
			start := time.Now()
			select {
			case r := <-got:
				if r != c.want {
					t.Fatalf("%s on B replied %q, want %q", c.name, r, c.want)
				}
				t.Logf("woke %v after the write on A", time.Since(start))
			case <-time.After(4 * time.Second):
				t.Fatalf("client blocked on B in %s did not wake for %v on A", c.name, c.write)
			}
			// B's pop is an effect too: A sees the element gone
			deadline := time.Now().Add(5 * time.Second)
			for {
				r := must(t, a, c.gone...)
				if r == "0" || r == "(nil)" {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("%v on A = %q after B popped", c.gone, r)
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
	// BLMOVE moved v to dst on both nodes
	deadline := time.Now().Add(5 * time.Second)
	for {
		r := must(t, a, "LRANGE", "dst", "0", "-1")
		if r == "v" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("LRANGE dst on A = %q, want v", r)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitBlocked waits until a client of p runs cmd blocked.
func waitBlocked(t *testing.T, p *proc, cmd string) {
	t.Helper()
	c, err := dial(p.port)
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		for _, line := range strings.Split(must(t, c, "CLIENT", "LIST"), "\n") {
			if strings.Contains(line, " flags=b ") && strings.Contains(line, " cmd="+cmd+" ") {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no client blocked in %s", cmd)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Over lossy, duplicating, reordering links (QUIC repairs them), messages
// from one publisher still arrive in order and never twice.
func TestPublishOrderLossyLinks(t *testing.T) {
	ps := startProcs(t, 2, pass, faults("drop=0.05,dup=0.02,jitter=3ms"))
	b := subscribe(t, ps[1], []string{"SUBSCRIBE", "ord"})
	a, err := dial(ps[0].port)
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	warmUp(t, a, ps[1])
	const n = 1000
	for i := 0; i < n; i++ {
		must(t, a, "PUBLISH", "ord", strconv.Itoa(i))
	}
	prev, got := -1, 0
	timeout := time.After(15 * time.Second)
	for prev < n-1 {
		select {
		case m, ok := <-b.msgs:
			if !ok {
				t.Fatal("subscriber connection ended")
			}
			i, err := strconv.Atoi(strings.TrimPrefix(m, "message\nord\n"))
			if err != nil || i <= prev {
				t.Fatalf("message %q after %d: out of order or repeated", m, prev)
			}
			prev = i
			got++
		case <-timeout:
			info := must(t, a, "INFO", "cluster")
			t.Fatalf("%d of %d messages arrived, the last %d; publisher:\n%s", got, n, prev, info)
		}
	}
	t.Logf("%d of %d messages arrived in order over lossy links", got, n)
	b.quiet(t, 300*time.Millisecond)
}
