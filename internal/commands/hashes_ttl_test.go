package commands

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/lightconedb/lightcone/internal/crdt"
	"github.com/lightconedb/lightcone/internal/engine"
	"github.com/lightconedb/lightcone/internal/hlc"
	"github.com/lightconedb/lightcone/internal/keyspace"
	"github.com/lightconedb/lightcone/internal/rdb"
	"github.com/lightconedb/lightcone/internal/resp"
)

// hashTester runs commands on an engine whose clock the test moves.
type hashTester struct {
	t     *testing.T
	en    *engine.Engine
	table *Table
	now   int64
	proto int
}

const testNow = 1_700_000_000_000

func newHashTester(t *testing.T) *hashTester {
	h := &hashTester{t: t, now: testNow, proto: 2}
	h.en = engine.New(engine.Config{Databases: 2, Clock: hlc.New(func() int64 { return h.now })})
	h.table = NewTable()
	RegisterAll(h.table)
	return h
}

// do runs a command (arity checked as the dispatcher does) and returns its
// reply rendered compactly: 5, "s", (nil), [a b], {k:v}, ERR ...
func (h *hashTester) do(args ...string) string {
	h.t.Helper()
	cmd := h.table.Lookup([]byte(args[0]))
	if cmd == nil {
		h.t.Fatalf("unknown command %s", args[0])
	}
	if cmd.Subs != nil && len(args) > 1 {
		if sub := cmd.LookupSub([]byte(args[1])); sub != nil {
			cmd = sub
		}
	}
	if (cmd.Arity > 0 && len(args) != cmd.Arity) || (cmd.Arity < 0 && len(args) < -cmd.Arity) {
		return "ERR wrong number of arguments for '" + cmd.Name + "' command"
	}
	var out bytes.Buffer
	w := resp.NewWriter(&out, 1<<16)
	w.SetProto(h.proto)
	c := &Ctx{W: w, Eng: h.en, Cmd: cmd}
	for _, a := range args {
		c.Args = append(c.Args, []byte(a))
	}
	cmd.Handler(c)
	if err := w.Flush(); err != nil {
		h.t.Fatal(err)
	}
	v, err := resp.NewReader(&out, 1<<16).ReadValue()
	if err != nil {
		h.t.Fatalf("%q: %v (%q)", args, err, out.String())
	}
	return render(v)
}

func render(v resp.Value) string {
	switch v.Kind {
	case resp.KindInt:
		return strconv.FormatInt(v.Int, 10)
	case resp.KindError:
		return string(v.Str)
	case resp.KindSimple:
		return string(v.Str)
	case resp.KindBulk:
		if v.Null {
			return "(nil)"
		}
		return strconv.Quote(string(v.Str))
	case resp.KindNull:
		return "(nil)"
	case resp.KindMap:
		var parts []string
		for i := 0; i+1 < len(v.Elems); i += 2 {
			parts = append(parts, render(v.Elems[i])+":"+render(v.Elems[i+1]))
		}
		return "{" + strings.Join(parts, " ") + "}"
	case resp.KindArray, resp.KindSet:
		if v.Null {
			return "(nil)"
		}
		var parts []string
		for _, e := range v.Elems {
			parts = append(parts, render(e))
		}
		return "[" + strings.Join(parts, " ") + "]"
	}
	return fmt.Sprintf("%v", v)
}

// is checks a command's reply.
func (h *hashTester) is(want string, args ...string) {
	h.t.Helper()
	if got := h.do(args...); got != want {
		h.t.Errorf("%s: got %s, want %s", strings.Join(args, " "), got, want)
	}
}

// hash returns the materialised hash at key (nil when missing).
func (h *hashTester) hash(key string) *crdt.Hash {
	tx := h.en.Begin1(0, []byte(key))
	defer tx.End()
	e := tx.Peek(0, []byte(key))
	if e == nil || e.Kind != keyspace.KindHash {
		return nil
	}
	return e.Obj().(*crdt.Hash)
}

func TestHexpireAndTTLs(t *testing.T) {
	h := newHashTester(t)
	h.is("[-2 -2]", "HEXPIRE", "h", "100", "FIELDS", "2", "a", "b")
	h.is("[-2]", "HTTL", "h", "FIELDS", "1", "a")
	h.is("2", "HSET", "h", "a", "1", "b", "2")
	h.is(`"listpack"`, "OBJECT", "ENCODING", "h")
	h.is("[1 1 -2]", "HEXPIRE", "h", "100", "FIELDS", "3", "a", "b", "c")
	h.is(`"listpackex"`, "OBJECT", "ENCODING", "h")
	h.is("[100 100 -2]", "HTTL", "h", "FIELDS", "3", "a", "b", "c")
	h.is("[100000 -2]", "HPTTL", "h", "FIELDS", "2", "a", "c")
	h.is(fmt.Sprintf("[%d]", (testNow+100000+999)/1000), "HEXPIRETIME", "h", "FIELDS", "1", "a")
	h.is(fmt.Sprintf("[%d]", testNow+100000), "HPEXPIRETIME", "h", "FIELDS", "1", "a")
	h.is("[1]", "HPEXPIRE", "h", "1500", "FIELDS", "1", "b")
	h.is("[2]", "HTTL", "h", "FIELDS", "1", "b") // seconds round up
	h.is("[1]", "HEXPIREAT", "h", strconv.FormatInt(testNow/1000+50, 10), "FIELDS", "1", "a")
	h.is("[50]", "HTTL", "h", "FIELDS", "1", "a")
	h.is("[1]", "HPEXPIREAT", "h", strconv.FormatInt(testNow+7777, 10), "FIELDS", "1", "a")
	h.is("[7777]", "HPTTL", "h", "FIELDS", "1", "a")
	// the key's own TTL is another thing
	h.is("-1", "TTL", "h")
	// fields expire one by one; the key goes with the last
	h.now += 1500
	h.is("1", "HLEN", "h")
	h.is("[\"a\" \"1\"]", "HGETALL", "h")
	h.is("[-2]", "HTTL", "h", "FIELDS", "1", "b")
	h.now += 10000
	h.is("0", "HLEN", "h")
	h.is("0", "EXISTS", "h")
	h.is("[]", "HGETALL", "h")
}

func TestHexpireConditions(t *testing.T) {
	h := newHashTester(t)
	h.is("4", "HSET", "h", "a", "1", "b", "2", "c", "3", "d", "4")
	h.is("[1]", "HEXPIRE", "h", "100", "FIELDS", "1", "a")
	// NX: only fields without a TTL
	h.is("[0 1]", "HEXPIRE", "h", "200", "NX", "FIELDS", "2", "a", "b")
	// XX: only fields with one
	h.is("[1 0]", "HEXPIRE", "h", "300", "XX", "FIELDS", "2", "a", "c")
	// GT: a field without a TTL counts as infinite, so never
	h.is("[0 1 0]", "HEXPIRE", "h", "250", "GT", "FIELDS", "3", "a", "b", "c")
	// LT: always for a field without a TTL
	h.is("[1 1 1]", "HEXPIRE", "h", "150", "LT", "FIELDS", "3", "a", "b", "c")
	h.is("[0]", "HEXPIRE", "h", "150", "LT", "FIELDS", "1", "a")
	h.is("[150 150 150 -1]", "HTTL", "h", "FIELDS", "4", "a", "b", "c", "d")
	// a field named twice sees the first change
	h.is("[1 0]", "HEXPIRE", "h", "500", "NX", "FIELDS", "2", "d", "d")
	// lower-case conditions
	h.is("[1]", "HEXPIRE", "h", "600", "gt", "FIELDS", "1", "d")
	// a time in the past deletes (after the condition)
	h.is("[0 -2 -2]", "HEXPIRE", "h", "0", "NX", "FIELDS", "3", "a", "e", "e")
	h.is("[2 -2]", "HPEXPIREAT", "h", "1", "FIELDS", "2", "a", "a")
	// listpackex order: by TTL, the latest placed first among equals
	h.is("[\"c\" \"b\" \"d\"]", "HKEYS", "h")
	h.is("[2 2 2]", "HEXPIRE", "h", "0", "FIELDS", "3", "b", "c", "d")
	h.is("0", "EXISTS", "h")
}

func TestHexpireErrors(t *testing.T) {
	h := newHashTester(t)
	h.do("HSET", "h", "a", "1", "zz", "1")
	h.do("SET", "s", "x")
	h.is("ERR wrong number of arguments for 'hexpire' command", "HEXPIRE", "h", "10", "FIELDS", "1")
	h.is("ERR wrong number of arguments for 'httl' command", "HTTL", "h", "FIELDS", "1")
	h.is("WRONGTYPE Operation against a key holding the wrong kind of value", "HEXPIRE", "s", "10", "FIELDS", "1", "a")
	h.is("WRONGTYPE Operation against a key holding the wrong kind of value", "HTTL", "s", "FIELDS", "1", "a")
	h.is("WRONGTYPE Operation against a key holding the wrong kind of value", "HPERSIST", "s", "FIELDS", "1", "a")
	h.is("ERR value is not an integer or out of range", "HEXPIRE", "h", "x", "FIELDS", "1", "a")
	h.is("ERR invalid expire time, must be >= 0", "HEXPIRE", "h", "-1", "FIELDS", "1", "a")
	h.is("ERR invalid expire time in 'hexpire' command", "HEXPIRE", "h", "70368744177664", "FIELDS", "1", "a")
	h.is("ERR invalid expire time in 'hpexpire' command", "HPEXPIRE", "h", "70368744177663", "FIELDS", "1", "a")
	h.is("[1]", "HPEXPIREAT", "h", "70368744177663", "FIELDS", "1", "a")
	h.is("ERR invalid expire time in 'hpexpireat' command", "HPEXPIREAT", "h", "70368744177664", "FIELDS", "1", "a")
	h.is("ERR invalid expire time in 'hexpireat' command", "HEXPIREAT", "h", "70368744177664", "FIELDS", "1", "a")
	h.is("ERR Mandatory argument FIELDS is missing or not at the right position", "HEXPIRE", "h", "10", "NX", "1", "a")
	h.is("ERR Mandatory argument FIELDS is missing or not at the right position", "HEXPIRE", "h", "10", "XY", "FIELDS", "1", "a")
	h.is("ERR Mandatory argument FIELDS is missing or not at the right position", "HEXPIRE", "h", "10", "NX", "XX", "FIELDS", "1")
	h.is("ERR Parameter `numFields` should be greater than 0", "HEXPIRE", "h", "10", "FIELDS", "0", "a")
	h.is("ERR Parameter `numFields` should be greater than 0", "HEXPIRE", "h", "10", "FIELDS", "x", "a")
	h.is("ERR The `numfields` parameter must match the number of arguments", "HEXPIRE", "h", "10", "FIELDS", "2", "a")
	h.is("ERR The `numfields` parameter must match the number of arguments", "HEXPIRE", "h", "10", "NX", "FIELDS", "1")
	h.is("ERR Mandatory argument FIELDS is missing or not at the right position", "HTTL", "h", "FIELD", "1", "a")
	h.is("ERR Number of fields must be a positive integer", "HTTL", "h", "FIELDS", "-1", "a")
	h.is("ERR The `numfields` parameter must match the number of arguments", "HPTTL", "h", "FIELDS", "1", "a", "b")
	h.is("ERR Number of fields must be a positive integer", "HPERSIST", "h", "FIELDS", "0", "a")
	h.is("ERR Mandatory argument FIELDS is missing or not at the right position", "HPERSIST", "h", "fieldz", "1", "a")
	// errors change nothing
	h.is("[-1]", "HTTL", "h", "FIELDS", "1", "zz")
	h.is(fmt.Sprintf("[%d]", (70368744177663+999)/1000), "HEXPIRETIME", "h", "FIELDS", "1", "a")
	h.is(`"listpackex"`, "OBJECT", "ENCODING", "h")
}

func TestHpersistAndWritesThatClearTTLs(t *testing.T) {
	h := newHashTester(t)
	h.do("HSET", "h", "a", "1", "b", "2", "c", "3", "n", "10")
	h.is("[-2]", "HPERSIST", "nokey", "FIELDS", "1", "a")
	h.is("[-1]", "HPERSIST", "h", "FIELDS", "1", "a")
	h.is(`"listpack"`, "OBJECT", "ENCODING", "h") // HPERSIST does not convert
	h.do("HEXPIRE", "h", "100", "FIELDS", "4", "a", "b", "c", "n")
	h.is("[1 -2 1 -1]", "HPERSIST", "h", "FIELDS", "4", "a", "z", "b", "b")
	h.is("[-1 -1 100 100]", "HTTL", "h", "FIELDS", "4", "a", "b", "c", "n")
	// HSET and HSETNX overwrite: the TTL goes; HINCRBY, HINCRBYFLOAT and
	// HSETEX KEEPTTL alter the value: it stays
	h.do("HSET", "h", "c", "33")
	h.is("[-1]", "HTTL", "h", "FIELDS", "1", "c")
	h.do("HINCRBY", "h", "n", "5")
	h.do("HINCRBYFLOAT", "h", "n", "0.5")
	h.is("[100]", "HTTL", "h", "FIELDS", "1", "n")
	h.is("\"15.5\"", "HGET", "h", "n")
	h.is("1", "HSETEX", "h", "KEEPTTL", "FIELDS", "1", "n", "new")
	h.is("[100]", "HTTL", "h", "FIELDS", "1", "n")
	h.is("1", "HSETEX", "h", "FIELDS", "1", "n", "newer")
	h.is("[-1]", "HTTL", "h", "FIELDS", "1", "n")
	// HDEL and a re-created field: no TTL
	h.do("HEXPIRE", "h", "100", "FIELDS", "1", "a")
	h.do("HDEL", "h", "a")
	h.do("HSET", "h", "a", "x")
	h.is("[-1]", "HTTL", "h", "FIELDS", "1", "a")
}

func TestHashExpiredFieldsAreInvisible(t *testing.T) {
	h := newHashTester(t)
	h.do("HSET", "h", "a", "1", "b", "22", "c", "3")
	h.do("HPEXPIRE", "h", "10", "FIELDS", "2", "a", "c")
	h.now += 10 // expired now (TTL <= now)
	obj := h.hash("h")
	if obj.Len() != 3 {
		t.Fatalf("expired fields went without an effect: len %d", obj.Len())
	}
	for _, c := range [][]string{
		{"1", "HLEN", "h"},
		{"(nil)", "HGET", "h", "a"},
		{"[(nil) \"22\" (nil)]", "HMGET", "h", "a", "b", "c"},
		{"0", "HEXISTS", "h", "a"},
		{"0", "HSTRLEN", "h", "c"},
		{"[\"b\"]", "HKEYS", "h"},
		{"[\"22\"]", "HVALS", "h"},
		{"[\"b\" \"22\"]", "HGETALL", "h"},
		{"[\"0\" [\"b\" \"22\"]]", "HSCAN", "h", "0"},
		{"\"b\"", "HRANDFIELD", "h"},
		{"[\"b\" \"b\" \"b\"]", "HRANDFIELD", "h", "-3"},
		{"[-2 -1]", "HTTL", "h", "FIELDS", "2", "a", "b"},
	} {
		// each command starts again from a hash holding the expired fields
		h.do("DEL", "h")
		h.do("HSET", "h", "a", "1", "b", "22", "c", "3")
		h.do("HPEXPIRE", "h", "10", "FIELDS", "2", "a", "c")
		h.now += 10
		if obj := h.hash("h"); obj == nil || obj.Len() != 3 {
			t.Fatalf("%v: expired fields went without an effect", c[1:])
		}
		h.is(c[0], c[1:]...)
		if obj := h.hash("h"); obj == nil || obj.Len() != 1 {
			t.Errorf("%v: the expired fields were not removed", c[1:])
		}
	}
	// write commands fold the removal into their own effect
	h.do("DEL", "h")
	h.do("HSET", "h", "a", "1", "b", "2")
	h.do("HPEXPIRE", "h", "10", "FIELDS", "1", "a")
	h.now += 10
	h.is("1", "HSETNX", "h", "a", "new")
	h.is("[-1]", "HTTL", "h", "FIELDS", "1", "a")
	h.is("[\"b\" \"2\" \"a\" \"new\"]", "HGETALL", "h")
	h.do("HPEXPIRE", "h", "10", "FIELDS", "1", "a")
	h.now += 10
	h.is("7", "HINCRBY", "h", "a", "7") // an expired field counts from 0
	h.do("HPEXPIRE", "h", "10", "FIELDS", "2", "a", "b")
	h.now += 10
	h.is("1", "HSET", "h", "z", "1") // a new field in a new hash
	h.is("[\"z\" \"1\"]", "HGETALL", "h")
	h.is(`"listpack"`, "OBJECT", "ENCODING", "h")
	h.do("HPEXPIRE", "h", "10", "FIELDS", "1", "z")
	h.now += 10
	h.is("0", "HDEL", "h", "z")
	h.is("0", "EXISTS", "h")
	// a hash whose fields all expired is gone for every command
	h.do("HSET", "h", "a", "1")
	h.do("HPEXPIRE", "h", "10", "FIELDS", "1", "a")
	h.now += 10
	h.is("(nil)", "HRANDFIELD", "h")
	h.is("0", "EXISTS", "h")
}

func TestHgetdel(t *testing.T) {
	h := newHashTester(t)
	h.do("HSET", "h", "a", "1", "b", "2", "c", "3")
	h.is("[\"1\" (nil) (nil)]", "HGETDEL", "h", "FIELDS", "3", "a", "z", "a")
	h.is("[\"b\" \"2\" \"c\" \"3\"]", "HGETALL", "h")
	h.is("[(nil) (nil)]", "HGETDEL", "nokey", "FIELDS", "2", "a", "b")
	h.is("[\"2\" \"3\"]", "HGETDEL", "h", "FIELDS", "2", "b", "c")
	h.is("0", "EXISTS", "h")
	h.do("SET", "s", "x")
	h.is("WRONGTYPE Operation against a key holding the wrong kind of value", "HGETDEL", "s", "FIELDS", "1", "a")
	h.is("ERR Mandatory argument FIELDS is missing or not at the right position", "HGETDEL", "h", "FIELD", "1", "a")
	h.is("ERR Number of fields must be a positive integer", "HGETDEL", "h", "FIELDS", "0", "a")
	h.is("ERR The `numfields` parameter must match the number of arguments", "HGETDEL", "h", "FIELDS", "3", "a", "b")
	h.is("ERR wrong number of arguments for 'hgetdel' command", "HGETDEL", "h", "FIELDS", "1")
	h.proto = 3
	h.do("HSET", "h", "a", "1")
	h.is("[\"1\" (nil)]", "HGETDEL", "h", "FIELDS", "2", "a", "b")
}

func TestHgetex(t *testing.T) {
	h := newHashTester(t)
	h.do("HSET", "h", "a", "1", "b", "2", "c", "3")
	h.is("[\"1\" (nil)]", "HGETEX", "h", "FIELDS", "2", "a", "z")
	h.is(`"listpack"`, "OBJECT", "ENCODING", "h") // no option: a plain read
	h.is("[\"1\" \"2\"]", "HGETEX", "h", "EX", "100", "FIELDS", "2", "a", "b")
	h.is(`"listpackex"`, "OBJECT", "ENCODING", "h")
	h.is("[100 100 -1]", "HTTL", "h", "FIELDS", "3", "a", "b", "c")
	h.is("[\"1\" \"3\"]", "HGETEX", "h", "PX", "5000", "FIELDS", "2", "a", "c")
	h.is("[5000 100000 5000]", "HPTTL", "h", "FIELDS", "3", "a", "b", "c")
	h.is("[\"1\"]", "HGETEX", "h", "EXAT", strconv.FormatInt(testNow/1000+30, 10), "FIELDS", "1", "a")
	h.is("[30]", "HTTL", "h", "FIELDS", "1", "a")
	h.is("[\"1\"]", "HGETEX", "h", "PXAT", strconv.FormatInt(testNow+40000, 10), "FIELDS", "1", "a")
	h.is("[40]", "HTTL", "h", "FIELDS", "1", "a")
	h.is("[\"1\" \"2\"]", "HGETEX", "h", "PERSIST", "FIELDS", "2", "a", "b")
	h.is("[-1 -1 5]", "HTTL", "h", "FIELDS", "3", "a", "b", "c")
	// a time already past: the values come back and the fields go
	h.is("[\"3\" (nil)]", "HGETEX", "h", "EX", "0", "FIELDS", "2", "c", "c")
	h.is("[\"a\" \"1\" \"b\" \"2\"]", "HGETALL", "h")
	h.is("[\"1\" \"2\"]", "HGETEX", "h", "PXAT", "1", "FIELDS", "2", "a", "b")
	h.is("0", "EXISTS", "h")
	h.is("[(nil)]", "HGETEX", "h", "EX", "10", "FIELDS", "1", "a")
	// errors
	h.do("HSET", "h", "a", "1")
	h.do("SET", "s", "x")
	h.is("WRONGTYPE Operation against a key holding the wrong kind of value", "HGETEX", "s", "FIELDS", "1", "a")
	h.is("ERR value is not an integer or out of range", "HGETEX", "h", "EX", "x", "FIELDS", "1", "a")
	h.is("ERR invalid expire time, must be >= 0", "HGETEX", "h", "PX", "-1", "FIELDS", "1", "a")
	h.is("ERR invalid expire time in 'hgetex' command", "HGETEX", "h", "EX", "99999999999999", "FIELDS", "1", "a")
	h.is("ERR Mandatory argument FIELDS is missing or not at the right position", "HGETEX", "h", "EX", "10", "PERSIST", "FIELDS", "1", "a")
	h.is("ERR Mandatory argument FIELDS is missing or not at the right position", "HGETEX", "h", "KEEPTTL", "FIELDS", "1", "a")
	h.is("ERR Number of fields must be a positive integer", "HGETEX", "h", "PERSIST", "FIELDS", "x", "a")
	h.is("ERR The `numfields` parameter must match the number of arguments", "HGETEX", "h", "PERSIST", "FIELDS", "1")
	h.is("ERR wrong number of arguments for 'hgetex' command", "HGETEX", "h", "EX", "10", "FIELDS")
	h.is("[-1]", "HTTL", "h", "FIELDS", "1", "a")
}

func TestHsetex(t *testing.T) {
	h := newHashTester(t)
	h.is("1", "HSETEX", "h", "FIELDS", "2", "a", "1", "b", "2")
	h.is("[\"a\" \"1\" \"b\" \"2\"]", "HGETALL", "h")
	h.is(`"listpack"`, "OBJECT", "ENCODING", "h")
	h.is("1", "HSETEX", "h", "EX", "100", "FIELDS", "1", "c", "3")
	h.is(`"listpackex"`, "OBJECT", "ENCODING", "h")
	h.is("[-1 -1 100]", "HTTL", "h", "FIELDS", "3", "a", "b", "c")
	h.is("1", "HSETEX", "h", "PX", "5000", "FIELDS", "1", "a", "11")
	h.is("1", "HSETEX", "h", "EXAT", strconv.FormatInt(testNow/1000+70, 10), "FIELDS", "1", "b", "22")
	h.is("1", "HSETEX", "h", "PXAT", strconv.FormatInt(testNow+80000, 10), "FIELDS", "1", "d", "4")
	h.is("[5 70 100 80]", "HTTL", "h", "FIELDS", "4", "a", "b", "c", "d")
	// Redis' listpackex order: fields with a TTL first, by TTL
	h.is("[\"a\" \"b\" \"d\" \"c\"]", "HKEYS", "h")
	// FNX / FXX
	h.is("0", "HSETEX", "h", "FNX", "FIELDS", "2", "a", "x", "new", "y")
	h.is("1", "HSETEX", "h", "FNX", "FIELDS", "2", "new", "x", "new2", "y")
	h.is("0", "HSETEX", "h", "FXX", "FIELDS", "2", "a", "x", "nope", "y")
	h.is("1", "HSETEX", "h", "FXX", "KEEPTTL", "FIELDS", "2", "a", "x", "b", "y")
	h.is("[5 70]", "HTTL", "h", "FIELDS", "2", "a", "b")
	h.is("0", "HSETEX", "nokey", "FXX", "FIELDS", "1", "a", "1")
	h.is("0", "EXISTS", "nokey")
	h.is("1", "HSETEX", "nokey", "FNX", "EX", "10", "FIELDS", "1", "a", "1")
	h.is("[10]", "HTTL", "nokey", "FIELDS", "1", "a")
	// a time already past: set and gone at once
	h.is("1", "HSETEX", "h", "EX", "0", "FIELDS", "2", "a", "1", "zz", "2")
	h.is("0", "HEXISTS", "h", "a")
	h.is("0", "HEXISTS", "h", "zz")
	h.is("1", "HSETEX", "gone", "PXAT", "1", "FIELDS", "1", "a", "1")
	h.is("0", "EXISTS", "gone")
	// errors
	h.do("SET", "s", "x")
	h.is("WRONGTYPE Operation against a key holding the wrong kind of value", "HSETEX", "s", "FIELDS", "1", "a", "1")
	h.is("ERR Only one of EX, PX, EXAT, PXAT or KEEPTTL arguments can be specified", "HSETEX", "h", "EX", "10", "KEEPTTL", "FIELDS", "1", "a", "1")
	h.is("ERR Only one of EX, PX, EXAT, PXAT or KEEPTTL arguments can be specified", "HSETEX", "h", "KEEPTTL", "PX", "10", "FIELDS", "1", "a", "1")
	h.is("ERR Only one of EX, PX, EXAT, PXAT or KEEPTTL arguments can be specified", "HSETEX", "h", "EX", "10", "EX", "10", "FIELDS", "1", "a", "1")
	h.is("ERR Only one of FXX or FNX arguments can be specified", "HSETEX", "h", "FNX", "FXX", "FIELDS", "1", "a", "1")
	h.is("ERR Only one of FXX or FNX arguments can be specified", "HSETEX", "h", "FNX", "FNX", "FIELDS", "1", "a", "1")
	h.is("ERR unknown argument: NOPE", "HSETEX", "h", "NOPE", "FIELDS", "1", "a", "1")
	h.is("ERR invalid number of fields", "HSETEX", "h", "FIELDS", "0", "a", "1")
	h.is("ERR invalid number of fields", "HSETEX", "h", "FIELDS", "x", "a", "1")
	h.is("ERR wrong number of arguments for 'hsetex' command", "HSETEX", "h", "FIELDS", "2", "a", "1")
	h.is("ERR wrong number of arguments for 'hsetex' command", "HSETEX", "h", "FIELDS", "1", "a", "1", "b")
	h.is("ERR wrong number of arguments for 'hsetex' command", "HSETEX", "h", "FIELDS", "1", "a")
	h.is("ERR invalid expire time, must be >= 0", "HSETEX", "h", "EX", "-5", "FIELDS", "1", "a", "1")
	h.is("ERR value is not an integer or out of range", "HSETEX", "h", "PX", "x", "FIELDS", "1", "a", "1")
	h.is("ERR invalid expire time in 'hsetex' command", "HSETEX", "h", "EXAT", "70368744178", "FIELDS", "1", "a", "1")
	// the argument errors come before the type check
	h.is("ERR unknown argument: NOPE", "HSETEX", "s", "NOPE", "FIELDS", "1", "a", "1")
}

func TestHashListpackExOrderFromCommands(t *testing.T) {
	h := newHashTester(t)
	h.do("HSET", "h", "a", "1", "b", "2", "c", "3", "d", "4")
	h.do("HEXPIRE", "h", "300", "FIELDS", "1", "c")
	h.do("HEXPIRE", "h", "200", "FIELDS", "2", "d", "a")
	h.is("[\"a\" \"d\" \"c\" \"b\"]", "HKEYS", "h")
	h.do("HPERSIST", "h", "FIELDS", "1", "d")
	h.do("HSET", "h", "a", "one", "e", "5")
	h.is("[\"c\" \"b\" \"d\" \"a\" \"e\"]", "HKEYS", "h")
	// RENAME keeps the order, the TTLs and the encoding
	h.do("RENAME", "h", "h2")
	h.is("[\"c\" \"b\" \"d\" \"a\" \"e\"]", "HKEYS", "h2")
	h.is("[300 -1]", "HTTL", "h2", "FIELDS", "2", "c", "b")
	h.is(`"listpackex"`, "OBJECT", "ENCODING", "h2")
}

func TestHashTTLDump(t *testing.T) {
	h := newHashTester(t)
	h.do("HSET", "h", "a", "1", "b", "2")
	h.do("HPEXPIREAT", "h", strconv.FormatInt(testNow+5000, 10), "FIELDS", "1", "b")
	p := []byte(h.dumpRaw("h"))
	if p[0] != rdb.TypeHashListpackEx || binary.LittleEndian.Uint16(p[len(p)-10:]) != rdb.VersionHashTTL {
		t.Fatalf("DUMP of a listpackex: type %d version %d", p[0], binary.LittleEndian.Uint16(p[len(p)-10:]))
	}
	hv, err := rdb.DecodeHash(p[0], p[1:len(p)-10])
	if err != nil || len(hv.Fields) != 2 || string(hv.Fields[0].Field) != "b" || hv.Fields[0].At != testNow+5000 || hv.Fields[1].At != 0 {
		t.Fatalf("DUMP decodes to %+v, %v", hv, err)
	}
	// the same body in a version 10 payload restores (RESTORE refuses
	// version 12 until the shared payload check accepts it)
	body := append([]byte(nil), p[:len(p)-10]...)
	body = binary.LittleEndian.AppendUint16(body, rdb.Version)
	body = binary.LittleEndian.AppendUint64(body, rdb.CRC64(0, body))
	h.is("OK", "RESTORE", "h2", "0", string(body))
	h.is("[\"b\" \"2\" \"a\" \"1\"]", "HGETALL", "h2")
	h.is("[5 -1]", "HTTL", "h2", "FIELDS", "2", "b", "a")
	h.is(`"listpackex"`, "OBJECT", "ENCODING", "h2")
	// a hashtable with TTLs: type 24
	h.do("HSET", "big", "a", strings.Repeat("x", 100), "b", "1")
	h.do("HPEXPIREAT", "big", strconv.FormatInt(testNow+9000, 10), "FIELDS", "1", "b")
	p = []byte(h.dumpRaw("big"))
	if p[0] != rdb.TypeHashMetadata {
		t.Fatalf("DUMP of a hashtable with TTLs: type %d", p[0])
	}
	body = append([]byte(nil), p[:len(p)-10]...)
	body = binary.LittleEndian.AppendUint16(body, rdb.Version)
	body = binary.LittleEndian.AppendUint64(body, rdb.CRC64(0, body))
	h.is("OK", "RESTORE", "big2", "0", string(body))
	h.is(`"hashtable"`, "OBJECT", "ENCODING", "big2")
	h.is("[-1 9]", "HTTL", "big2", "FIELDS", "2", "a", "b")
}

func (h *hashTester) dumpRaw(key string) string {
	s, err := strconv.Unquote(h.do("DUMP", key))
	if err != nil {
		h.t.Fatal(err)
	}
	return s
}
