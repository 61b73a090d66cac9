package commands

import (
	"bytes"
	"strings"
	"testing"

	"github.com/lightconedb/lightcone/internal/crdt"
	"github.com/lightconedb/lightcone/internal/engine"
	"github.com/lightconedb/lightcone/internal/resp"
)

func TestString2ull(t *testing.T) {
	for _, c := range []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"0", 0, true},
		{"17", 17, true},
		{"007", 7, true},
		{"+7", 7, true},
		{" 7", 7, true},
		{"\t\n7", 7, true},
		{"-0", 0, true},
		{"-00", 0, true},
		{"-1", 0, false},
		{"-18446744073709551615", 1, true},
		{"-18446744073709551616", 0, false},
		{"18446744073709551615", 1<<64 - 1, true},
		{"18446744073709551616", 0, false},
		{"7 ", 0, false},
		{"", 0, false},
		{"-", 0, false},
		{"+", 0, false},
		{" ", 0, false},
		{"0x10", 0, false},
		{"1e3", 0, false},
		{"- 1", 0, false},
	} {
		got, ok := string2ull([]byte(c.in))
		if ok != c.ok || (ok && got != c.want) {
			t.Errorf("string2ull(%q) = %d, %v; want %d, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestParseStreamID(t *testing.T) {
	max := uint64(1<<64 - 1)
	for _, c := range []struct {
		in           string
		miss         uint64
		strict, star bool
		want         crdt.StreamID
		seqGiven, ok bool
	}{
		{"5", 0, true, false, crdt.StreamID{Ms: 5}, true, true},
		{"5", max, false, false, crdt.StreamID{Ms: 5, Seq: max}, true, true},
		{"5-3", 0, true, false, crdt.StreamID{Ms: 5, Seq: 3}, true, true},
		{"5-*", 0, true, true, crdt.StreamID{Ms: 5}, false, true},
		{"5-*", 0, true, false, crdt.StreamID{}, false, false},
		{"-", 0, false, false, crdt.StreamID{}, true, true},
		{"+", 0, false, false, crdt.StreamIDMax, true, true},
		{"-", 0, true, false, crdt.StreamID{}, false, false},
		{"+", 0, true, false, crdt.StreamID{}, false, false},
		{"-5", 0, false, false, crdt.StreamID{}, false, false},
		{"5-", 0, false, false, crdt.StreamID{}, false, false},
		{"5--0", 0, false, false, crdt.StreamID{Ms: 5}, true, true},
		{"5-1-1", 0, false, false, crdt.StreamID{}, false, false},
		{"5\x00junk", 0, true, false, crdt.StreamID{Ms: 5}, true, true},
		{"-\x00junk", 0, false, false, crdt.StreamID{}, true, true},
		{strings.Repeat("1", 128), 0, false, false, crdt.StreamID{}, false, false},
		{"", 0, false, false, crdt.StreamID{}, false, false},
	} {
		got, seqGiven, ok := parseStreamID([]byte(c.in), c.miss, c.strict, c.star)
		if ok != c.ok || (ok && (got != c.want || seqGiven != c.seqGiven)) {
			t.Errorf("parseStreamID(%q) = %v %v %v; want %v %v %v", c.in, got, seqGiven, ok, c.want, c.seqGiven, c.ok)
		}
	}
}

func TestAutoStreamID(t *testing.T) {
	max := uint64(1<<64 - 1)
	// single node: Redis' rule
	for _, c := range []struct {
		last  crdt.StreamID
		ms    uint64
		fixed bool
		want  crdt.StreamID
		ok    bool
	}{
		{crdt.StreamID{}, 100, false, crdt.StreamID{Ms: 100}, true},
		{crdt.StreamID{Ms: 100, Seq: 4}, 100, false, crdt.StreamID{Ms: 100, Seq: 5}, true},
		{crdt.StreamID{Ms: 200, Seq: 4}, 100, false, crdt.StreamID{Ms: 200, Seq: 5}, true},
		{crdt.StreamID{Ms: 200, Seq: max}, 100, false, crdt.StreamID{Ms: 201}, true},
		{crdt.StreamID{Ms: 5, Seq: 4}, 5, true, crdt.StreamID{Ms: 5, Seq: 5}, true},
		{crdt.StreamID{Ms: 5, Seq: max}, 5, true, crdt.StreamID{}, false},
		{crdt.StreamID{Ms: 6}, 5, true, crdt.StreamID{}, false},
		{crdt.StreamID{}, 0, true, crdt.StreamID{Seq: 1}, true},
	} {
		got, ok := autoStreamID(c.last, c.ms, c.fixed, false, 0)
		if ok != c.ok || (ok && got != c.want) {
			t.Errorf("autoStreamID(%v, %d, %v) = %v %v; want %v %v", c.last, c.ms, c.fixed, got, ok, c.want, c.ok)
		}
	}
	// cluster: IDs minted by different nodes never collide, and each
	// node's IDs grow
	seen := map[crdt.StreamID]uint32{}
	for _, tag := range []uint32{1, 7, 1 << 31, 1<<32 - 1} {
		last := crdt.StreamID{Ms: 50, Seq: 3<<32 | 5}
		for i := 0; i < 1000; i++ {
			ms := uint64(40 + i/300)
			id, ok := autoStreamID(last, ms, false, true, tag)
			if !ok || !last.Less(id) || uint32(id.Seq) != tag {
				t.Fatalf("tag %d: after %v got %v %v", tag, last, id, ok)
			}
			if other, dup := seen[id]; dup {
				t.Fatalf("tags %d and %d both minted %v", other, tag, id)
			}
			seen[id] = tag
			last = id
		}
	}
	if _, ok := autoStreamID(crdt.StreamID{Ms: 9, Seq: max}, 9, true, true, 3); ok {
		t.Error("ms-* past the last counter of the millisecond")
	}
	if id, ok := autoStreamID(crdt.StreamID{Ms: 9, Seq: max}, 9, false, true, 3); !ok || id != (crdt.StreamID{Ms: 10, Seq: 3}) {
		t.Errorf("auto past the last counter: %v %v", id, ok)
	}
}

// fakeBlocker records a Block call.
type fakeBlocker struct {
	keys      []string
	deadline  int64
	retry     func(*Ctx) bool
	onTimeout func(*Ctx)
}

func (b *fakeBlocker) Block(c *Ctx, keys [][]byte, deadline int64, retry func(*Ctx) bool, onTimeout func(*Ctx)) {
	b.keys = nil
	for _, k := range keys {
		b.keys = append(b.keys, string(k))
	}
	b.deadline, b.retry, b.onTimeout = deadline, retry, onTimeout
}

// streamCall runs one command and returns its raw reply.
func streamCall(t *testing.T, en *engine.Engine, bl Blocker, proto int, args ...string) string {
	t.Helper()
	var out bytes.Buffer
	w := resp.NewWriter(&out, 1<<16)
	w.SetProto(proto)
	c := &Ctx{W: w, Eng: en, Blocker: bl}
	for _, a := range args {
		c.Args = append(c.Args, []byte(a))
	}
	tbl := NewTable()
	registerStreams(tbl)
	c.Cmd = tbl.Lookup(c.Args[0])
	if c.Cmd.Subs != nil {
		c.Cmd = c.Cmd.LookupSub(c.Args[1])
	}
	c.Cmd.Handler(c)
	w.Flush()
	return out.String()
}

// retryCall runs a blocked command's retry (or timeout) as the server would.
func retryCall(t *testing.T, en *engine.Engine, b *fakeBlocker, timeout bool, args ...string) (string, bool) {
	t.Helper()
	var out bytes.Buffer
	w := resp.NewWriter(&out, 1<<16)
	c := &Ctx{W: w, Eng: en}
	for _, a := range args {
		c.Args = append(c.Args, []byte(a))
	}
	served := true
	if timeout {
		b.onTimeout(c)
	} else {
		served = b.retry(c)
	}
	w.Flush()
	return out.String(), served
}

func TestXreadBlock(t *testing.T) {
	en := engine.New(engine.Config{Node: 1})
	b := &fakeBlocker{}
	streamCall(t, en, nil, 2, "xadd", "s", "1-1", "f", "v")
	// nothing after $: blocks on both keys, nothing written yet
	args := []string{"xread", "count", "5", "block", "0", "streams", "s", "t", "$", "$"}
	if got := streamCall(t, en, b, 2, args...); got != "" {
		t.Fatalf("blocked XREAD replied %q", got)
	}
	if strings.Join(b.keys, ",") != "s,t" || b.deadline != 0 {
		t.Fatalf("blocked on %v until %d", b.keys, b.deadline)
	}
	if got, ok := retryCall(t, en, b, false, args...); ok || got != "" {
		t.Fatalf("retry with nothing new: %q %v", got, ok)
	}
	// $ was resolved when the command ran: a later entry is served
	streamCall(t, en, nil, 2, "xadd", "t", "5-1", "a", "b")
	got, ok := retryCall(t, en, b, false, args...)
	want := "*1\r\n*2\r\n$1\r\nt\r\n*1\r\n*2\r\n$3\r\n5-1\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n"
	if !ok || got != want {
		t.Fatalf("retry after XADD: %q %v, want %q", got, ok, want)
	}
	if got, _ := retryCall(t, en, b, true, args...); got != "*-1\r\n" {
		t.Fatalf("timeout reply %q", got)
	}
	// without a Blocker (MULTI, scripts): answered as a timeout
	if got := streamCall(t, en, nil, 2, "xread", "block", "0", "streams", "s", "$"); got != "*-1\r\n" {
		t.Fatalf("XREAD BLOCK without Blocker: %q", got)
	}
	if got := streamCall(t, en, nil, 3, "xread", "block", "0", "streams", "s", "$"); got != "_\r\n" {
		t.Fatalf("XREAD BLOCK without Blocker, RESP3: %q", got)
	}
	// a non-blocking XREAD does not block
	if got := streamCall(t, en, b, 2, "xread", "streams", "s", "$"); got != "*-1\r\n" {
		t.Fatalf("XREAD without BLOCK: %q", got)
	}
}

func TestXreadgroupBlock(t *testing.T) {
	en := engine.New(engine.Config{Node: 1})
	b := &fakeBlocker{}
	streamCall(t, en, nil, 2, "xgroup", "create", "s", "g", "$", "mkstream")
	args := []string{"xreadgroup", "group", "g", "alice", "block", "100", "streams", "s", ">"}
	if got := streamCall(t, en, b, 2, args...); got != "" {
		t.Fatalf("blocked XREADGROUP replied %q", got)
	}
	if b.deadline == 0 {
		t.Fatal("BLOCK 100 without a deadline")
	}
	// the consumer is not created while nothing is delivered
	if got := streamCall(t, en, nil, 2, "xinfo", "groups", "s"); !strings.Contains(got, "consumers\r\n:0\r\n") {
		t.Fatalf("consumer created by a blocked read: %q", got)
	}
	streamCall(t, en, nil, 2, "xadd", "s", "1-1", "f", "v")
	got, ok := retryCall(t, en, b, false, args...)
	want := "*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n1-1\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n"
	if !ok || got != want {
		t.Fatalf("retry after XADD: %q %v, want %q", got, ok, want)
	}
	if got := streamCall(t, en, nil, 2, "xpending", "s", "g"); !strings.HasPrefix(got, "*4\r\n:1\r\n$3\r\n1-1\r\n$3\r\n1-1\r\n*1\r\n*2\r\n$5\r\nalice\r\n$1\r\n1\r\n") {
		t.Fatalf("XPENDING after the blocked delivery: %q", got)
	}
	// blocked again; the group goes away: the retry answers NOGROUP
	streamCall(t, en, b, 2, args...)
	streamCall(t, en, nil, 2, "xgroup", "destroy", "s", "g")
	got, ok = retryCall(t, en, b, false, args...)
	if !ok || got != "-NOGROUP the consumer group this client was blocked on no longer exists\r\n" {
		t.Fatalf("retry after DESTROY: %q %v", got, ok)
	}
	// history reads never block
	streamCall(t, en, nil, 2, "xgroup", "create", "s", "g", "$")
	if got := streamCall(t, en, b, 2, "xreadgroup", "group", "g", "bob", "block", "0", "streams", "s", "0"); got != "*1\r\n*2\r\n$1\r\ns\r\n*0\r\n" {
		t.Fatalf("history read with BLOCK: %q", got)
	}
}

func TestXreadgroupBlockKeyGone(t *testing.T) {
	en := engine.New(engine.Config{Node: 1})
	b := &fakeBlocker{}
	streamCall(t, en, nil, 2, "xgroup", "create", "s", "g", "$", "mkstream")
	args := []string{"xreadgroup", "group", "g", "c", "block", "0", "streams", "s", ">"}
	streamCall(t, en, b, 2, args...)
	tx := en.Begin1(0, []byte("s"))
	tx.Assign(0, []byte("s"), []byte("x"), 0, false)
	tx.End()
	got, ok := retryCall(t, en, b, false, args...)
	if !ok || got != "-UNBLOCKED the stream key no longer exists\r\n" {
		t.Fatalf("retry after the key changed type: %q %v", got, ok)
	}
}
