package rdb

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/lightconedb/lightcone/internal/listpack"
)

// hashTestFields returns n fields whose values cover every listpack
// encoding: integers of each width and sign, strings of 6-, 12- and 32-bit
// lengths, non-canonical numbers, binary bytes.
func hashTestFields(rng *rand.Rand, n int, maxLen int) []HashField {
	vals := []string{"0", "1", "127", "128", "-1", "-4096", "4095", "4096", "-4097", "32767", "-32768",
		"32768", "8388607", "-8388608", "8388608", "2147483647", "-2147483648", "2147483648",
		"9223372036854775807", "-9223372036854775808", "9223372036854775808", "007", "-0", "+1",
		"", "x", "\x00\xff", "3.14", "12345678901234567890", "123456789012345678901"}
	out := make([]HashField, 0, n)
	seen := map[string]bool{}
	for len(out) < n {
		var f string
		switch rng.IntN(3) {
		case 0:
			f = strconv.Itoa(rng.IntN(100000) - 500)
		default:
			f = fmt.Sprintf("f%d", rng.IntN(1000000))
		}
		if seen[f] {
			continue
		}
		seen[f] = true
		var v string
		switch rng.IntN(4) {
		case 0:
			v = vals[rng.IntN(len(vals))]
		case 1:
			v = strconv.FormatInt(rng.Int64()>>uint(rng.IntN(63)), 10)
		default:
			b := make([]byte, rng.IntN(maxLen+1))
			for i := range b {
				b[i] = "abcdefgh"[rng.IntN(8)]
			}
			v = string(b)
		}
		out = append(out, HashField{Field: []byte(f), Value: []byte(v)})
	}
	return out
}

// TestDumpHashMatchesRedis builds hashes in a real redis-server 7.0 and
// checks DUMP of a listpack byte for byte, and that RESTORE of ours gives
// the same hash; and that Redis' type 4 payloads decode to the same fields.
func TestDumpHashMatchesRedis(t *testing.T) {
	rc := startRedis(t)
	rng := rand.New(rand.NewPCG(7, 7))
	if _, err := rc.do("CONFIG", "SET", "hash-max-listpack-value", "5000"); err != nil {
		t.Fatal(err)
	}
	if _, err := rc.do("CONFIG", "SET", "hash-max-listpack-entries", "1000"); err != nil {
		t.Fatal(err)
	}
	for round := 0; round < 120; round++ {
		n := 1 + rng.IntN(40)
		maxLen := 30
		switch round % 4 {
		case 1:
			n = 1 + rng.IntN(900)
		case 2:
			maxLen = 300 // 12-bit string lengths
		case 3:
			n, maxLen = 1+rng.IntN(4), 4500 // 32-bit string lengths
		}
		fields := hashTestFields(rng, n, maxLen)
		rc.do("DEL", "h")
		args := []any{"HSET", "h"}
		for _, f := range fields {
			args = append(args, f.Field, f.Value)
		}
		if _, err := rc.do(args...); err != nil {
			t.Fatal(err)
		}
		got, err := rc.do("DUMP", "h")
		if err != nil {
			t.Fatal(err)
		}
		want := DumpHashListpack(fields)
		if !bytes.Equal(got.([]byte), want) {
			t.Fatalf("round %d (%d fields): DUMP differs\nredis: %q\nours:  %q", round, n, got, want)
		}
		obj, err := Decode(want)
		if err != nil {
			t.Fatalf("round %d: Decode: %v", round, err)
		}
		if hv := obj.Value.(*HashValue); !sameFields(hv.Fields, fields, true) {
			t.Fatalf("round %d: decoded fields differ", round)
		}
		// a hashtable: Redis' order is its own, the contents must agree
		ht := DumpHashTable(fields)
		if _, err := rc.do("RESTORE", "h2", "0", ht, "REPLACE"); err != nil {
			t.Fatalf("round %d: Redis refuses our type 4 payload: %v", round, err)
		}
		if r, _ := rc.do("HLEN", "h2"); r.(int64) != int64(n) {
			t.Fatalf("round %d: HLEN after RESTORE = %v", round, r)
		}
		rc.do("CONFIG", "SET", "hash-max-listpack-entries", "0")
		rc.do("RESTORE", "h3", "0", want, "REPLACE") // loaded as a hashtable
		rc.do("CONFIG", "SET", "hash-max-listpack-entries", "1000")
		p, err := rc.do("DUMP", "h3")
		if err != nil {
			t.Fatal(err)
		}
		obj, err = Decode(p.([]byte))
		if err != nil || obj.Type != TypeHash {
			t.Fatalf("round %d: Redis' type 4 payload: type %d, %v", round, obj.Type, err)
		}
		if hv := obj.Value.(*HashValue); !sameFields(hv.Fields, fields, false) {
			t.Fatalf("round %d: Redis' type 4 payload decodes to other fields", round)
		}
	}
}

func sameFields(a, b []HashField, ordered bool) bool {
	if len(a) != len(b) {
		return false
	}
	key := func(f HashField) string { return fmt.Sprintf("%q=%q@%d", f.Field, f.Value, f.At) }
	x, y := make([]string, len(a)), make([]string, len(b))
	for i := range a {
		x[i], y[i] = key(a[i]), key(b[i])
	}
	if !ordered {
		sort.Strings(x)
		sort.Strings(y)
	}
	for i := range x {
		if x[i] != y[i] {
			return false
		}
	}
	return true
}

// --- zipmap, written here the way older Redis versions did (ziplists: testZiplist) ---

func testZipmap(pairs []string) []byte {
	zm := []byte{byte(len(pairs) / 2)}
	putLen := func(n int) {
		if n < 254 {
			zm = append(zm, byte(n))
		} else {
			zm = append(zm, 254)
			zm = binary.LittleEndian.AppendUint32(zm, uint32(n))
		}
	}
	for i := 0; i < len(pairs); i += 2 {
		putLen(len(pairs[i]))
		zm = append(zm, pairs[i]...)
		putLen(len(pairs[i+1]))
		free := i % 3
		zm = append(zm, byte(free))
		zm = append(zm, pairs[i+1]...)
		zm = append(zm, make([]byte, free)...)
	}
	return append(zm, 0xff)
}

func blobPayload(typ byte, blob []byte, version uint16) []byte {
	return withFooter(AppendString([]byte{typ}, blob), version)
}

// TestRestoreOldHashEncodings: ziplist and zipmap payloads (as Redis before
// 7.0 wrote them) decode; real Redis 7.0 accepts the same payloads and
// holds the same hash.
func TestRestoreOldHashEncodings(t *testing.T) {
	long := string(bytes.Repeat([]byte("L"), 300))
	pairs := []string{"a", "1", "b", "hello", "c", "-5", "d", "300", "e", "-70000", "f", "100000000",
		"g", "12345678901", "h", "", "i", long, "12", "x", "big", string(bytes.Repeat([]byte("z"), 20000))}
	cases := map[string][]byte{
		"ziplist": blobPayload(TypeHashZiplist, testZiplist(pairs), Version),
		"zipmap":  blobPayload(TypeHashZipmap, testZipmap(pairs), Version),
	}
	var rc *redisConn
	for name, p := range cases {
		obj, err := Decode(p)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		hv := obj.Value.(*HashValue)
		if len(hv.Fields) != len(pairs)/2 {
			t.Fatalf("%s: %d fields", name, len(hv.Fields))
		}
		for i, f := range hv.Fields {
			if string(f.Field) != pairs[2*i] || string(f.Value) != pairs[2*i+1] {
				t.Fatalf("%s: field %d = %q %q", name, i, f.Field, f.Value)
			}
		}
		if rc == nil {
			rc = startRedis(t)
		}
		if _, err := rc.do("RESTORE", name, "0", p); err != nil {
			t.Fatalf("Redis refuses the %s payload: %v", name, err)
		}
		for i := 0; i < len(pairs); i += 2 {
			v, err := rc.do("HGET", name, pairs[i])
			if err != nil || string(v.([]byte)) != pairs[i+1] {
				t.Fatalf("%s in Redis: %s = %q, %v", name, pairs[i], v, err)
			}
		}
	}
	// small ones: Redis loads them as listpacks
	small := []string{"a", "1", "b", "2"}
	for _, p := range [][]byte{blobPayload(TypeHashZiplist, testZiplist(small), Version), blobPayload(TypeHashZipmap, testZipmap(small), Version)} {
		rc.do("RESTORE", "s", "0", p, "REPLACE")
		if enc, _ := rc.do("OBJECT", "ENCODING", "s"); string(enc.([]byte)) != "listpack" {
			t.Fatalf("Redis loads a small old hash as %s", enc)
		}
	}
}

func TestHashTTLTypesRoundTrip(t *testing.T) {
	fields := []HashField{
		{Field: []byte("a"), Value: []byte("1"), At: 1_700_000_005_000},
		{Field: []byte("b"), Value: []byte("x"), At: 0},
		{Field: []byte("c"), Value: []byte("123456"), At: 1_700_000_000_000},
	}
	for _, p := range [][]byte{DumpHashListpackEx(fields), DumpHashMetadata(fields)} {
		if v := binary.LittleEndian.Uint16(p[len(p)-10:]); v != VersionHashTTL {
			t.Fatalf("version %d", v)
		}
		if err := CheckPayload(p); err != nil {
			t.Fatalf("a version 12 payload of a hash with field TTLs is refused: %v", err)
		}
		q := append([]byte{TypeSet}, p[1:]...) // any other type in version 12 is refused
		binary.LittleEndian.PutUint64(q[len(q)-8:], CRC64(0, q[:len(q)-8]))
		if err := CheckPayload(q); err != ErrBadPayload {
			t.Fatalf("a version 12 set payload passes the check: %v", err)
		}
		if CRC64(0, p[:len(p)-8]) != binary.LittleEndian.Uint64(p[len(p)-8:]) {
			t.Fatal("bad CRC")
		}
		hv, err := DecodeHash(p[0], p[1:len(p)-10])
		if err != nil || !sameFields(hv.Fields, fields, true) {
			t.Fatalf("type %d: %+v, %v", p[0], hv, err)
		}
	}
	// the layout of type 24: the earliest TTL, then (ttl, field, value)
	// with ttl relative to it plus one, 0 for none
	p := DumpHashMetadata(fields)
	want := []byte{TypeHashMetadata}
	want = binary.LittleEndian.AppendUint64(want, 1_700_000_000_000)
	want = append(want, 3)
	want = append(want, 0x40|5001>>8, 5001&0xff)
	want = append(want, 1, 'a', 0xc0, 1)
	want = append(want, 0, 1, 'b', 1, 'x')
	want = append(want, 1, 1, 'c', 0xc2)
	want = binary.LittleEndian.AppendUint32(want, 123456)
	if !bytes.Equal(p[:len(p)-10], want) {
		t.Fatalf("type 24 body\n got %q\nwant %q", p[:len(p)-10], want)
	}
}

func TestDecodeHashRefusesBadData(t *testing.T) {
	good := []HashField{{Field: []byte("a"), Value: []byte("1")}, {Field: []byte("bb"), Value: []byte("hello")}}
	lp := DumpHashListpack(good)
	body := lp[1 : len(lp)-10]
	blob, _, _ := ReadString(body)
	bad := map[string][]byte{
		"empty type 4":   {0},
		"empty listpack": AppendString(nil, []byte{7, 0, 0, 0, 0, 0, 0xff}),
		"odd listpack":   AppendString(nil, listpack.Finish(listpack.Append(listpack.Begin(0), []byte("a")), 1)),
		"duplicate fields": AppendString(nil, func() []byte {
			b := listpack.Begin(0)
			for _, e := range []string{"a", "1", "a", "2"} {
				b = listpack.Append(b, []byte(e))
			}
			return listpack.Finish(b, 4)
		}()),
		"short type 4":        {2, 1, 'a', 1, 'b'},
		"type 4 dup":          {2, 1, 'a', 1, 'b', 1, 'a', 1, 'c'},
		"type 4 huge count":   {0x80, 0xff, 0xff, 0xff, 0xff},
		"listpack bad total":  AppendString(nil, append(append([]byte(nil), blob[:len(blob)-1]...), 0xfe)),
		"zipmap count":        AppendString(nil, []byte{5, 1, 'a', 1, 0, 'b', 0xff}),
		"zipmap truncated":    AppendString(nil, []byte{1, 1, 'a', 5, 0, 'b', 0xff}),
		"ziplist bad prevlen": AppendString(nil, func() []byte { z := testZiplist([]string{"a", "b"}); z[13] = 9; return z }()),
	}
	// every truncation and every flipped byte of a valid listpack
	for i := 0; i < len(blob); i++ {
		for _, x := range []byte{0x01, 0x80, 0xff} {
			b := append([]byte(nil), blob...)
			b[i] ^= x
			if elems, err := readListpack(b); err == nil && len(elems)%2 == 0 {
				continue // still a valid listpack of pairs: fine
			}
			bad[fmt.Sprintf("flip %d^%x", i, x)] = AppendString(nil, b)
		}
		bad[fmt.Sprintf("cut %d", i)] = AppendString(nil, blob[:i])
	}
	for name, b := range bad {
		typ := byte(TypeHashListpack)
		switch {
		case strings.HasPrefix(name, "type") || name == "empty type 4" || name == "short type 4":
			typ = TypeHash
		case strings.HasPrefix(name, "zipmap"):
			typ = TypeHashZipmap
		case strings.HasPrefix(name, "ziplist"):
			typ = TypeHashZiplist
		}
		if _, err := Decode(withFooter(append([]byte{typ}, b...), Version)); err != ErrBadData {
			t.Errorf("%s: %v, want ErrBadData", name, err)
		}
	}
}

func FuzzDecodeHash(f *testing.F) {
	f.Add(byte(TypeHashListpack), DumpHashListpack([]HashField{{Field: []byte("a"), Value: []byte("1")}})[1:])
	f.Add(byte(TypeHash), DumpHashTable([]HashField{{Field: []byte("a"), Value: []byte("1")}})[1:])
	f.Add(byte(TypeHashZiplist), AppendString(nil, testZiplist([]string{"a", "1"})))
	f.Add(byte(TypeHashZipmap), AppendString(nil, testZipmap([]string{"a", "1"})))
	f.Add(byte(TypeHashListpackEx), DumpHashListpackEx([]HashField{{Field: []byte("a"), Value: []byte("1"), At: 5}})[1:])
	f.Add(byte(TypeHashMetadata), DumpHashMetadata([]HashField{{Field: []byte("a"), Value: []byte("1"), At: 5}})[1:])
	f.Fuzz(func(t *testing.T, typ byte, body []byte) {
		hv, err := DecodeHash(typ, body)
		if err != nil {
			return
		}
		if len(hv.Fields) == 0 {
			t.Fatal("an empty hash decoded")
		}
		seen := map[string]bool{}
		for _, f := range hv.Fields {
			if seen[string(f.Field)] {
				t.Fatal("duplicate fields decoded")
			}
			seen[string(f.Field)] = true
		}
	})
}
