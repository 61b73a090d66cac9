package server

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lightconedb/lightcone/internal/resp"
)

// pushServer starts a server served by event loops (loops of them) or by a
// goroutine per connection (loops == 0).
func pushServer(t *testing.T, loops int, settings ...string) (*Server, string) {
	if loops == 0 {
		t.Setenv("LIGHTCONE_NO_EVENT_LOOP", "1")
	} else {
		t.Setenv("LIGHTCONE_EVENT_LOOPS", strconv.Itoa(loops))
	}
	return adminTestServer(t, settings...)
}

func wantMessage(t *testing.T, v resp.Value, parts ...string) {
	t.Helper()
	ok := (v.Kind == resp.KindArray || v.Kind == resp.KindPush) && len(v.Elems) == len(parts)
	for i := 0; ok && i < len(parts); i++ {
		e := v.Elems[i]
		text := string(e.Str)
		if e.Kind == resp.KindInt {
			text = strconv.FormatInt(e.Int, 10)
		}
		ok = parts[i] == "" || text == parts[i] // "": anything
	}
	if !ok {
		t.Fatalf("got %v, want %q", v, parts)
	}
}

// Subscribers on every event loop (and goroutine clients) get every message
// of several concurrent publishers, each publisher's in order, while
// sending nothing themselves.
func TestPubSubCrossLoopDelivery(t *testing.T) {
	for _, loops := range []int{3, 0} {
		t.Run(fmt.Sprintf("loops=%d", loops), func(t *testing.T) {
			_, addr := pushServer(t, loops)
			const subs, pubs, msgs = 7, 3, 300
			var conns []*tconn
			for i := 0; i < subs; i++ {
				c := dialTest(t, addr)
				c.send("SUBSCRIBE", "ch")
				wantMessage(t, c.read(), "subscribe", "ch", "")
				if i%2 == 1 { // and a pattern: each message twice
					c.send("PSUBSCRIBE", "c*")
					v := c.read()
					wantMessage(t, v, "psubscribe", "c*", "2")
				}
				conns = append(conns, c)
			}
			probe := dialTest(t, addr)
			probe.want(resp.KindArray, "", "PUBSUB", "NUMSUB", "ch")
			var wg sync.WaitGroup
			for p := 0; p < pubs; p++ {
				wg.Add(1)
				go func(p int) {
					defer wg.Done()
					conn, err := net.Dial("tcp", addr)
					if err != nil {
						t.Error(err)
						return
					}
					defer conn.Close()
					var b strings.Builder
					for m := 0; m < msgs; m++ {
						msg := fmt.Sprintf("p%d-%d", p, m)
						fmt.Fprintf(&b, "*3\r\n$7\r\nPUBLISH\r\n$2\r\nch\r\n$%d\r\n%s\r\n", len(msg), msg)
					}
					if _, err := conn.Write([]byte(b.String())); err != nil {
						t.Error(err)
						return
					}
					r := resp.NewReader(conn, 0)
					conn.SetReadDeadline(time.Now().Add(10 * time.Second))
					for m := 0; m < msgs; m++ {
						v, err := r.ReadValue()
						if err != nil {
							t.Error(err)
							return
						}
						want := int64(subs + subs/2)
						if v.Kind != resp.KindInt || v.Int != want {
							t.Errorf("PUBLISH replied %v, want %d receivers", v, want)
							return
						}
					}
				}(p)
			}
			wg.Wait()
			for i, c := range conns {
				next := make([]int, pubs) // next message expected per publisher, per kind
				nextP := make([]int, pubs)
				total := msgs * pubs
				if i%2 == 1 {
					total *= 2
				}
				for n := 0; n < total; n++ {
					v := c.read()
					if v.Kind != resp.KindArray || len(v.Elems) < 3 {
						t.Fatalf("subscriber %d: got %v", i, v)
					}
					payload := string(v.Elems[len(v.Elems)-1].Str)
					var p, m int
					fmt.Sscanf(payload, "p%d-%d", &p, &m)
					seq := next
					if string(v.Elems[0].Str) == "pmessage" {
						seq = nextP
					}
					if m != seq[p] {
						t.Fatalf("subscriber %d: got %s, want p%d-%d (a publisher's messages out of order)", i, payload, p, seq[p])
					}
					seq[p]++
				}
			}
		})
	}
}

// A subscriber that reads nothing is disconnected once its unsent output
// passes the hard limit of client-output-buffer-limit pubsub; the
// publisher is never held up by it.
func TestPubSubSlowSubscriberHardLimit(t *testing.T) {
	for _, loops := range []int{1, 0} {
		t.Run(fmt.Sprintf("loops=%d", loops), func(t *testing.T) {
			s, addr := pushServer(t, loops, "client-output-buffer-limit", "pubsub 4mb 0 0")
			slow := dialTest(t, addr)
			if tc, ok := slow.conn.(*net.TCPConn); ok {
				tc.SetReadBuffer(4096)
			}
			slow.send("SUBSCRIBE", "ch")
			wantMessage(t, slow.read(), "subscribe", "ch", "")
			fast := dialTest(t, addr)
			fast.send("SUBSCRIBE", "ch")
			fast.read()
			pub := dialTest(t, addr)
			payload := strings.Repeat("x", 64<<10)
			start := time.Now()
			done := make(chan struct{})
			got := make(chan struct{}, 1024)
			go func() { // the fast subscriber keeps reading
				defer close(done)
				for {
					fast.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
					v, err := fast.r.ReadValue()
					if err != nil {
						t.Errorf("fast subscriber: %v", err)
						return
					}
					if string(v.Elems[2].Str) == "last" {
						return
					}
					got <- struct{}{}
				}
			}()
			var receivers []int64
			for i := 0; i < 400; i++ { // 25 MB
				v := pub.do("PUBLISH", "ch", payload)
				receivers = append(receivers, v.Int)
				// keep the fast subscriber within a few messages, however
				// busy the machine: only the slow one may fall behind
				if i >= 4 {
					select {
					case <-got:
					case <-done:
					case <-time.After(10 * time.Second):
						t.Fatal("the fast subscriber stopped receiving")
					}
				}
			}
			pub.do("PUBLISH", "ch", "last")
			<-done
			if d := time.Since(start); d > 20*time.Second {
				t.Errorf("publishing took %v: the publisher waited for the slow subscriber", d)
			}
			if receivers[0] != 2 || receivers[len(receivers)-1] != 1 {
				t.Errorf("receivers went from %d to %d, want 2 then 1 (slow one dropped)", receivers[0], receivers[len(receivers)-1])
			}
			if !s.waitClients(2) { // pub and fast: slow is gone
				t.Errorf("%d clients connected, want 2 (the slow subscriber closed)", len(s.clientList()))
			}
			if n := s.pubsubCount("ch"); n != 1 {
				t.Errorf("channel has %d subscribers, want 1", n)
			}
		})
	}
}

// Past the soft limit for longer than its seconds, the subscriber goes too.
func TestPubSubSlowSubscriberSoftLimit(t *testing.T) {
	s, addr := pushServer(t, 1, "client-output-buffer-limit", "pubsub 0 256kb 1")
	slow := dialTest(t, addr)
	if tc, ok := slow.conn.(*net.TCPConn); ok {
		tc.SetReadBuffer(4096)
	}
	slow.send("SUBSCRIBE", "ch")
	slow.read()
	pub := dialTest(t, addr)
	payload := strings.Repeat("y", 64<<10)
	for i := 0; i < 100; i++ { // well past the soft limit, under no hard one
		pub.do("PUBLISH", "ch", payload)
	}
	if v := pub.do("PUBLISH", "ch", "x"); v.Int != 1 {
		t.Fatalf("the subscriber went before the soft limit's seconds: PUBLISH reached %d", v.Int)
	}
	time.Sleep(1200 * time.Millisecond)
	gone := false
	for i := 0; i < 50 && !gone; i++ {
		gone = pub.do("PUBLISH", "ch", payload).Int == 0
	}
	if !gone {
		t.Fatal("the subscriber over the soft limit for longer than 1s is still there")
	}
	if !s.waitClients(1) {
		t.Errorf("%d clients connected, want 1 (the slow subscriber closed)", len(s.clientList()))
	}
}

// waitClients waits (up to 5s) until n clients are connected.
func (s *Server) waitClients(n int) bool {
	for i := 0; i < 500; i++ {
		if len(s.clientList()) == n {
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return false
}

// pubsubCount is the number of subscribers of a channel.
func (s *Server) pubsubCount(ch string) int {
	s.pubsub.mu.RLock()
	defer s.pubsub.mu.RUnlock()
	return len(s.pubsub.channels[ch])
}

// A RESP3 subscriber, a tracking client and a monitor on other loops get
// their pushes while idle; CLIENT LIST shows their flags and counts.
func TestPushClientsIdle(t *testing.T) {
	for _, loops := range []int{2, 0} {
		t.Run(fmt.Sprintf("loops=%d", loops), func(t *testing.T) {
			_, addr := pushServer(t, loops, "notify-keyspace-events", "KEA")
			sub := dialTest(t, addr)
			sub.do("HELLO", "3")
			sub.send("PSUBSCRIBE", "__keyevent@0__:*")
			wantMessage(t, sub.read(), "psubscribe", "__keyevent@0__:*", "")
			tr := dialTest(t, addr)
			tr.do("HELLO", "3")
			tr.want(resp.KindSimple, "OK", "CLIENT", "TRACKING", "on")
			tr.do("GET", "k")
			mon := dialTest(t, addr)
			mon.want(resp.KindSimple, "OK", "MONITOR")
			w := dialTest(t, addr)
			w.want(resp.KindSimple, "OK", "SET", "k", "v")
			v := sub.read()
			if v.Kind != resp.KindPush || string(v.Elems[0].Str) != "pmessage" || string(v.Elems[3].Str) != "k" {
				t.Fatalf("keyspace subscriber got %v", v)
			}
			v = tr.read()
			if v.Kind != resp.KindPush || string(v.Elems[0].Str) != "invalidate" || string(v.Elems[1].Elems[0].Str) != "k" {
				t.Fatalf("tracking client got %v", v)
			}
			line := string(mon.read().Str)
			if !strings.HasSuffix(line, `] "SET" "k" "v"`) || !strings.Contains(line, " [0 127.0.0.1:") {
				t.Fatalf("monitor got %q", line)
			}
			list := w.str("CLIENT", "LIST")
			for _, want := range []string{"flags=P db=0 sub=0 psub=1 ssub=0", "flags=t db=0 sub=0 psub=0 ssub=0", "flags=O db=0"} {
				if !strings.Contains(list, want) {
					t.Errorf("CLIENT LIST lacks %q:\n%s", want, list)
				}
			}
		})
	}
}

// The counters INFO reports (infocmd.go prints them).
func TestPubSubStats(t *testing.T) {
	s, addr := pushServer(t, 1)
	a, b := dialTest(t, addr), dialTest(t, addr)
	a.send("SUBSCRIBE", "x", "y")
	a.read()
	a.read()
	a.send("PSUBSCRIBE", "p*")
	a.read()
	b.send("SSUBSCRIBE", "s")
	b.read()
	b.send("PSUBSCRIBE", "p*")
	b.read()
	c := dialTest(t, addr)
	c.do("HELLO", "3")
	c.want(resp.KindSimple, "OK", "CLIENT", "TRACKING", "on", "bcast", "prefix", "a", "prefix", "b")
	d := dialTest(t, addr)
	d.do("HELLO", "3")
	d.want(resp.KindSimple, "OK", "CLIENT", "TRACKING", "on")
	d.do("MGET", "k1", "k2")
	d.do("GET", "k1")
	if ch, pat, sh := s.pubsubStats(); ch != 2 || pat != 1 || sh != 1 {
		t.Errorf("pubsub stats = %d channels, %d patterns, %d shard channels; want 2 1 1", ch, pat, sh)
	}
	if keys, items, prefixes, clients := s.tracking.stats(); keys != 2 || items != 2 || prefixes != 2 || clients != 2 {
		t.Errorf("tracking stats = %d keys, %d items, %d prefixes, %d clients; want 2 2 2 2", keys, items, prefixes, clients)
	}
}

// tracking-table-max-keys bounds the table: past it, keys are forgotten
// and their readers told (as if the keys had been written).
func TestTrackingTableMaxKeys(t *testing.T) {
	s, addr := pushServer(t, 1, "tracking-table-max-keys", "3")
	c := dialTest(t, addr)
	c.do("HELLO", "3")
	c.want(resp.KindSimple, "OK", "CLIENT", "TRACKING", "on")
	v := c.do("MGET", "k1", "k2", "k3", "k4", "k5")
	evicted := 0
	for v.Kind == resp.KindPush {
		if string(v.Elems[0].Str) != "invalidate" {
			t.Fatalf("got %v", v)
		}
		evicted++
		v = c.read()
	}
	if v.Kind != resp.KindArray || len(v.Elems) != 5 {
		t.Fatalf("MGET replied %v", v)
	}
	c.send("PING")
	for v = c.read(); v.Kind == resp.KindPush; v = c.read() {
		evicted++
	}
	if keys, _, _, _ := s.tracking.stats(); keys > 3 || evicted != 2 {
		t.Errorf("table holds %d keys after %d invalidations, want at most 3 after 2", keys, evicted)
	}
	c.want(resp.KindSimple, "OK", "CONFIG", "SET", "tracking-table-max-keys", "0")
	c.do("MGET", "a", "b", "c", "d", "e", "f")
	if keys, _, _, _ := s.tracking.stats(); keys < 6 {
		t.Errorf("with no limit the table holds %d keys", keys)
	}
}
