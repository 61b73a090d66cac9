package script

import (
	"bytes"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lightconedb/lightcone/internal/resp"
)

// evalReply runs src with KEYS=keys and returns the RESP2 reply bytes.
func evalReply(t *testing.T, e *Engine, src string, keys []string, args ...string) string {
	t.Helper()
	s, err := e.Load([]byte(src))
	if err != "" {
		return "-" + err + "\r\n"
	}
	var out bytes.Buffer
	w := resp.NewWriter(&out, 0)
	var k, a [][]byte
	for _, x := range keys {
		k = append(k, []byte(x))
	}
	for _, x := range args {
		a = append(a, []byte(x))
	}
	e.RunEval(s, nopHost{}, k, a, w)
	w.Flush()
	return out.String()
}

func TestFormatNumber(t *testing.T) {
	for _, c := range []struct {
		f    float64
		want string
	}{
		{0, "0"}, {1, "1"}, {-7, "-7"}, {0.1, "0.1"}, {1.0 / 3, "0.33333333333333"}, {1e14, "1e+14"},
		{123456789012345, "1.2345678901234e+14"}, {99999999999999, "99999999999999"}, {1e15, "1e+15"},
		{math.Inf(1), "inf"}, {math.Inf(-1), "-inf"}, {math.Copysign(0, -1), "-0"}, {2.5e-7, "2.5e-07"},
	} {
		if got := FormatNumber(c.f); got != c.want {
			t.Errorf("FormatNumber(%v) = %q, want %q", c.f, got, c.want)
		}
	}
	for _, c := range []struct {
		f    float64
		want string
	}{{0.1, "0.10000000000000001"}, {1.5, "1.5"}, {1 << 60, "1.152921504606847e+18"}, {123456789012345, "123456789012345"}} {
		if got := string(formatArg(nil, c.f)); got != c.want {
			t.Errorf("formatArg(%v) = %q, want %q", c.f, got, c.want)
		}
	}
}

// redis-server 7.0.15: math.randomseed(0) then math.random(100) x3.
func TestRandomMatchesRedis(t *testing.T) {
	e := NewEngine()
	got := evalReply(t, e, "math.randomseed(0) return {math.random(100), math.random(100), math.random(100)}", nil)
	if got != "*3\r\n:18\r\n:75\r\n:10\r\n" {
		t.Fatalf("got %q", got)
	}
}

func TestShebang(t *testing.T) {
	for _, c := range []struct {
		body  string
		flags Flags
		err   string
	}{
		{"return 1", FlagEvalCompat, ""},
		{"#!lua\nreturn 1", 0, ""},
		{"#!lua flags=no-writes,allow-oom\nreturn 1", FlagNoWrites | FlagAllowOOM, ""},
		{"#!lua flags=no-writes,\nreturn 1", 0, "ERR Unexpected flag in script shebang: "},
		{"#!lua flags=x\nreturn 1", 0, "ERR Unexpected flag in script shebang: x"},
		{"#!luajit\nreturn 1", 0, "ERR Unexpected engine in script shebang: #!luajit"},
		{"#!lua name=x\nreturn 1", 0, "ERR Unknown lua shebang option: name=x"},
		{"#!lua", 0, "ERR Invalid script shebang"},
	} {
		f, _, err := ParseShebang([]byte(c.body))
		if err != c.err || (err == "" && f != c.flags) {
			t.Errorf("%q: flags %v err %q, want %v %q", c.body, f, err, c.flags, c.err)
		}
	}
}

func TestGlobalsAreProtected(t *testing.T) {
	e := NewEngine()
	for _, src := range []string{"redis.call = nil", "rawset(redis, 'call', 1)", "string.rep = nil", "x = 1", "setmetatable(_G, nil)"} {
		if got := evalReply(t, e, src, nil); !strings.HasPrefix(got, "-ERR ") {
			t.Errorf("%s: %q, want an error", src, got)
		}
	}
	if got := evalReply(t, e, "return type(redis.call)", nil); got != "$8\r\nfunction\r\n" {
		t.Fatalf("redis.call after attempts to replace it: %q", got)
	}
	if got := evalReply(t, e, "return x", nil); !strings.Contains(got, "nonexistent global variable 'x'") {
		t.Fatalf("a global survived: %q", got)
	}
	// KEYS of one run do not leak into the next
	evalReply(t, e, "table.insert(KEYS, 'leak') return 1", nil)
	if got := evalReply(t, e, "return #KEYS", nil); got != ":0\r\n" {
		t.Fatalf("#KEYS = %q", got)
	}
	// KEYS and ARGV tables are refilled between runs: whatever a script did
	// to them must not show in the next run
	for _, c := range []struct{ dirty, check, want string }{
		{"KEYS.x = 1 return 1", "return KEYS.x", "$-1\r\n"},
		{"KEYS[3] = 'z' return 1", "return #KEYS", ":2\r\n"},
		{"KEYS[2] = nil return 1", "return KEYS[2]", "$1\r\nb\r\n"},
		{"KEYS[1] = 'q' return 1", "return KEYS[1]", "$1\r\na\r\n"},
		{"setmetatable(KEYS, {__index = function() return 'm' end}) return 1", "return KEYS[9]", "$-1\r\n"},
		{"ARGV[5] = 'z' return 1", "return #ARGV", ":1\r\n"},
	} {
		evalReply(t, e, "return 0", []string{"a", "b"}, "v")
		evalReply(t, e, c.dirty, []string{"a", "b"}, "v")
		if got := evalReply(t, e, c.check, []string{"a", "b"}, "v"); got != c.want {
			t.Errorf("after %q: %s = %q, want %q", c.dirty, c.check, got, c.want)
		}
	}
}

// randomJSON builds a random JSON document of arrays, one-key objects,
// strings, numbers, booleans and null.
func randomJSON(r *rand.Rand, depth int) string {
	switch k := r.IntN(7); {
	case k == 0 && depth < 4:
		n := r.IntN(4)
		parts := make([]string, n)
		for i := range parts {
			parts[i] = randomJSON(r, depth+1)
		}
		return "[" + strings.Join(parts, ",") + "]"
	case k == 1 && depth < 4:
		return `{"k` + strconv.Itoa(r.IntN(3)) + `":` + randomJSON(r, depth+1) + "}"
	case k == 2:
		b := make([]byte, r.IntN(6))
		for i := range b {
			b[i] = "ab\"\\/\n\x01z"[r.IntN(8)]
		}
		var s bytes.Buffer
		s.WriteByte('"')
		for _, c := range b {
			switch c {
			case '"', '\\':
				s.WriteByte('\\')
				s.WriteByte(c)
			case '\n':
				s.WriteString(`\n`)
			case 1:
				s.WriteString(`\u0001`)
			default:
				s.WriteByte(c)
			}
		}
		s.WriteByte('"')
		return s.String()
	case k == 3:
		return strconv.Itoa(r.IntN(2000) - 1000)
	case k == 4:
		return []string{"true", "false", "null"}[r.IntN(3)]
	default:
		return strconv.FormatFloat(float64(r.IntN(1000))/8, 'g', -1, 64)
	}
}

// encode(decode(x)) is a fixed point after one round.
func TestCjsonRoundTrip(t *testing.T) {
	e := NewEngine()
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 300; i++ {
		doc := randomJSON(r, 0)
		once := evalReply(t, e, "return cjson.encode(cjson.decode(ARGV[1]))", nil, doc)
		if !strings.HasPrefix(once, "$") {
			t.Fatalf("%s: %q", doc, once)
		}
		enc := once[strings.IndexByte(once, '\n')+1 : len(once)-2]
		twice := evalReply(t, e, "return cjson.encode(cjson.decode(ARGV[1]))", nil, enc)
		if once != twice {
			t.Fatalf("%s: %q then %q", doc, once, twice)
		}
	}
}

// unpack(pack(v)) == v for numbers and strings, and pack picks the
// smallest encoding.
func TestCmsgpackRoundTrip(t *testing.T) {
	e := NewEngine()
	r := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 300; i++ {
		var n float64
		switch r.IntN(4) {
		case 0:
			n = float64(r.IntN(70000) - 35000)
		case 1:
			n = float64(r.Int64N(1<<53)) * float64(1-2*r.IntN(2))
		case 2:
			n = r.NormFloat64() * 1e6
		default:
			n = float64(r.IntN(300) - 150)
		}
		s := strings.Repeat("x", r.IntN(300))
		num := strconv.FormatFloat(n, 'g', 17, 64)
		got := evalReply(t, e, "local a, b = cmsgpack.unpack(cmsgpack.pack(tonumber(ARGV[1]), ARGV[2])) return {tostring(a == tonumber(ARGV[1])), tostring(b == ARGV[2])}", nil, num, s)
		if got != "*2\r\n$4\r\ntrue\r\n$4\r\ntrue\r\n" {
			t.Fatalf("%s, %d bytes: %q", num, len(s), got)
		}
	}
	for _, c := range []struct {
		v    string
		want string
	}{{"1", "\x01"}, {"-1", "\xff"}, {"200", "\xcc\xc8"}, {"-200", "\xd1\xff\x38"}, {"1.5", "\xca\x3f\xc0\x00\x00"}, {"0.1", "\xcb\x3f\xb9\x99\x99\x99\x99\x99\x9a"}} {
		got := evalReply(t, e, "return cmsgpack.pack(tonumber(ARGV[1]))", nil, c.v)
		if want := "$" + strconv.Itoa(len(c.want)) + "\r\n" + c.want + "\r\n"; got != want {
			t.Errorf("pack(%s) = %q, want %q", c.v, got, want)
		}
	}
}

func TestStructAndBit(t *testing.T) {
	e := NewEngine()
	r := rand.New(rand.NewPCG(5, 6))
	for i := 0; i < 200; i++ {
		a, b := r.IntN(1<<31)-1<<30, r.IntN(65536)-32768
		got := evalReply(t, e, "local x, y = struct.unpack('>i4 <h', struct.pack('>i4 <h', tonumber(ARGV[1]), tonumber(ARGV[2]))) return {x, y}", nil,
			strconv.Itoa(a), strconv.Itoa(b))
		if want := "*2\r\n:" + strconv.Itoa(a) + "\r\n:" + strconv.Itoa(b) + "\r\n"; got != want {
			t.Fatalf("struct round trip of %d %d: %q", a, b, got)
		}
		x, y := int32(r.Uint32()), int32(r.Uint32())
		got = evalReply(t, e, "local a, b = tonumber(ARGV[1]), tonumber(ARGV[2]) return {bit.band(a, b), bit.bor(a, b), bit.bxor(a, b), bit.bnot(a), bit.lshift(a, 3), bit.rshift(a, 3), bit.arshift(a, 3)}", nil,
			strconv.Itoa(int(x)), strconv.Itoa(int(y)))
		var want strings.Builder
		want.WriteString("*7\r\n")
		for _, v := range []int32{x & y, x | y, x ^ y, ^x, x << 3, int32(uint32(x) >> 3), x >> 3} {
			want.WriteString(":" + strconv.Itoa(int(v)) + "\r\n")
		}
		if got != want.String() {
			t.Fatalf("bit ops on %d %d: %q, want %q", x, y, got, want.String())
		}
	}
	if got := evalReply(t, e, "return bit.tohex(-1, -4)", nil); got != "$4\r\nFFFF\r\n" {
		t.Fatalf("tohex: %q", got)
	}
}

func TestKill(t *testing.T) {
	e := NewEngine()
	s, _ := e.Load([]byte("local ok = pcall(function() while true do end end) while true do end"))
	var out bytes.Buffer
	w := resp.NewWriter(&out, 0)
	done := make(chan Result)
	go func() { done <- e.RunEval(s, nopHost{}, nil, nil, w) }()
	for !e.Running() {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond)
	e.KillRunning()
	select {
	case r := <-done:
		w.Flush()
		if !r.Killed || !strings.HasPrefix(out.String(), "-ERR Script killed by user with SCRIPT KILL... script: ") {
			t.Fatalf("killed=%v reply %q", r.Killed, out.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the script was not killed")
	}
	// the VM is usable afterwards
	if got := evalReply(t, e, "return 7", nil); got != ":7\r\n" {
		t.Fatalf("after a kill: %q", got)
	}
}

func TestFunctionDumpRestore(t *testing.T) {
	e := NewEngine()
	code := "#!lua name=mylib\nredis.register_function('f', function(keys, args) return #args end)"
	if name, err := e.LoadLibrary(code, false); err != "" || name != "mylib" {
		t.Fatalf("load: %q %q", name, err)
	}
	payload := e.Dump()
	e2 := NewEngine()
	if err := e2.Restore(payload, "APPEND"); err != "" {
		t.Fatal(err)
	}
	if err := e2.Restore(payload, "APPEND"); err != "ERR Library 'mylib' already exists" {
		t.Fatalf("second APPEND: %q", err)
	}
	if err := e2.Restore(payload, "REPLACE"); err != "" {
		t.Fatal(err)
	}
	if f := e2.Function([]byte("F")); f == nil || f.Lib.Code != code {
		t.Fatal("restored function missing")
	}
	bad := append([]byte(nil), payload...)
	bad[len(bad)-1] ^= 1
	if err := e2.Restore(bad, "FLUSH"); err != "ERR DUMP payload version or checksum are wrong" {
		t.Fatalf("corrupt payload: %q", err)
	}
}
