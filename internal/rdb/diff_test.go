package rdb

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// testStrings returns the values used by the differential tests: integer
// edge cases, strings around the 20-byte compression threshold, and many
// random strings of varying compressibility (seeded, so reproducible).
func testStrings() [][]byte {
	var vals [][]byte
	add := func(s string) { vals = append(vals, []byte(s)) }
	for _, s := range []string{
		"", "0", "1", "-1", "9", "10", "127", "128", "-128", "-129", "255", "256",
		"32767", "32768", "-32768", "-32769", "65535", "65536",
		"2147483647", "2147483648", "-2147483648", "-2147483649", "4294967296",
		"12345678901", "-1234567890", "9223372036854775807", "9223372036854775808",
		"-9223372036854775808", "-9223372036854775809", "18446744073709551616",
		"007", "00", "-0", "+5", " 5", "5 ", "1e5", "0x10", "3.14", "-", "--1",
		"\x00", "\x00\xff\r\n", "hello", "12345678901234567890", "123456789012345678901",
	} {
		add(s)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	randBytes := func(n int, alphabet int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.IntN(alphabet))
			if alphabet < 256 {
				b[i] += 'a'
			}
		}
		return b
	}
	// Around the threshold and the various run/reference limits.
	for _, n := range []int{19, 20, 21, 22, 23, 24, 25, 26, 30, 31, 32, 33, 34, 35, 36, 63, 64, 65,
		100, 263, 264, 265, 266, 267, 1000, 8191, 8192, 8193, 8194, 10000, 16383, 16384, 70000} {
		vals = append(vals, randBytes(n, 256))
		vals = append(vals, bytes.Repeat([]byte{'x'}, n))
		vals = append(vals, bytes.Repeat([]byte("ab"), n)[:n])
		vals = append(vals, bytes.Repeat([]byte("abc"), n)[:n])
		vals = append(vals, randBytes(n, 2))
		vals = append(vals, randBytes(n, 4))
		vals = append(vals, randBytes(n, 16))
	}
	// Strings that barely do or do not compress: random text with one
	// repeated chunk, so the saving lands around the 4-byte limit.
	for n := 21; n <= 90; n++ {
		for m := 3; m <= 12; m++ {
			b := randBytes(n, 256)
			at := rng.IntN(n - m + 1)
			src := rng.IntN(at + 1)
			if at > src {
				copy(b[at:at+m], b[src:src+m])
			}
			vals = append(vals, b)
		}
	}
	// Strings whose unconstrained LZF size lands within a few bytes of the
	// len-4 limit, to pin down the compressor's space checks.
	for found := 0; found < 600; {
		n := 21 + rng.IntN(180)
		b := randBytes(n, 256)
		for k := rng.IntN(4); k >= 0; k-- {
			m := 3 + rng.IntN(10)
			at := rng.IntN(n - m + 1)
			src := rng.IntN(at + 1)
			copy(b[at:at+m], b[src:src+m])
		}
		if rng.IntN(3) == 0 { // end on a repeat, to exercise the tail
			m := 3 + rng.IntN(20)
			if m < n/2 {
				copy(b[n-m:], b[n-2*m:n-m])
			}
		}
		if d := len(lzfCompress(b, 2*n)) - (n - 4); d >= -3 && d <= 3 {
			vals = append(vals, b)
			found++
		}
	}
	// Structured text: words from a small vocabulary.
	words := strings.Fields("the quick brown fox jumps over lazy dog redis lightcone key value 0 1 42 : , {")
	for i := 0; i < 600; i++ {
		var sb strings.Builder
		n := rng.IntN(400)
		if i%50 == 0 {
			n = rng.IntN(40000)
		}
		for sb.Len() < n {
			sb.WriteString(words[rng.IntN(len(words))])
			if rng.IntN(3) == 0 {
				sb.WriteByte(' ')
			}
		}
		add(sb.String())
	}
	// Random mixtures of literal noise and copies from earlier in the string.
	for i := 0; i < 1500; i++ {
		n := 1 + rng.IntN(700)
		if i%100 == 0 {
			n = 1 + rng.IntN(100000)
		}
		b := make([]byte, 0, n)
		alphabet := []int{2, 3, 8, 26, 256}[rng.IntN(5)]
		for len(b) < n {
			if len(b) > 3 && rng.IntN(3) == 0 {
				m := 3 + rng.IntN(min(300, len(b)))
				src := rng.IntN(len(b))
				if rng.IntN(4) == 0 && len(b) > 9000 {
					src = len(b) - 8193 + rng.IntN(3)
				}
				for k := 0; k < m && len(b) < n; k++ {
					b = append(b, b[src+k])
				}
			} else {
				b = append(b, randBytes(1+rng.IntN(40), alphabet)...)
			}
		}
		vals = append(vals, b[:n])
	}
	return vals
}

// TestDumpMatchesRedis checks that DumpString is byte-identical to DUMP in
// redis-server, that our payloads RESTORE there to the original value, and
// that Decode reads Redis' payloads back to the original value.
func TestDumpMatchesRedis(t *testing.T) {
	rc := startRedis(t)
	vals := testStrings()
	const batch = 100
	mismatches, compressed := 0, 0
	for start := 0; start < len(vals); start += batch {
		chunk := vals[start:min(start+batch, len(vals))]
		for i, v := range chunk {
			rc.send("SET", fmt.Sprintf("k%d", start+i), v)
			rc.send("DUMP", fmt.Sprintf("k%d", start+i))
			rc.send("RESTORE", fmt.Sprintf("r%d", start+i), 0, DumpString(v))
			rc.send("GET", fmt.Sprintf("r%d", start+i))
		}
		if err := rc.flush(); err != nil {
			t.Fatal(err)
		}
		for i, v := range chunk {
			idx := start + i
			if _, err := rc.read(); err != nil {
				t.Fatalf("SET k%d: %v", idx, err)
			}
			theirs, err := rc.read()
			if err != nil {
				t.Fatalf("DUMP k%d: %v", idx, err)
			}
			if _, err := rc.read(); err != nil {
				t.Errorf("RESTORE of our payload for value %d (len %d) failed: %v", idx, len(v), err)
			}
			got, err := rc.read()
			if err != nil || !bytes.Equal(got.([]byte), v) {
				t.Errorf("GET after RESTORE of our payload for value %d (len %d): %v, equal=%v", idx, len(v), err, err == nil && bytes.Equal(got.([]byte), v))
			}
			tp := theirs.([]byte)
			if len(tp) > 1 && tp[1] == 0xC0|EncLZF {
				compressed++
			}
			ours := DumpString(v)
			if !bytes.Equal(ours, tp) {
				mismatches++
				if mismatches <= 40 {
					t.Errorf("DUMP of value %d (len %d) differs:\nredis: %q\nours:  %q", idx, len(v), clip(tp), clip(ours))
				}
			}
			obj, err := Decode(tp)
			if err != nil || obj.Type != TypeString || !bytes.Equal(obj.Str, v) {
				t.Errorf("Decode of Redis' DUMP of value %d (len %d): type %d err %v equal %v", idx, len(v), obj.Type, err, bytes.Equal(obj.Str, v))
			}
		}
		rc.do("FLUSHALL")
	}
	if mismatches > 0 {
		t.Errorf("%d of %d payloads differ from Redis", mismatches, len(vals))
	}
	t.Logf("%d values compared, %d of them LZF-compressed by Redis", len(vals), compressed)
	if compressed < 100 {
		t.Errorf("only %d values were compressed; the corpus should exercise LZF more", compressed)
	}
}

func clip(b []byte) []byte {
	if len(b) > 120 {
		return b[:120]
	}
	return b
}

// withFooter appends a version and the right CRC to body.
func withFooter(body []byte, version uint16) []byte {
	p := binary.LittleEndian.AppendUint16(append([]byte(nil), body...), version)
	return binary.LittleEndian.AppendUint64(p, CRC64(0, p))
}

// restoreCases are hand-made payloads, valid and not, on which RESTORE in
// Redis and Decode must agree.
func restoreCases() map[string][]byte {
	valid := []byte("\x00\x05hello")
	zeroCRC := binary.LittleEndian.AppendUint16(append([]byte(nil), valid...), Version)
	zeroCRC = append(zeroCRC, make([]byte, 8)...)
	badCRC := withFooter(valid, Version)
	badCRC[len(badCRC)-1] ^= 1
	lzfHello := append([]byte("\x00\xc3\x07\x15"), LZFCompress(bytes.Repeat([]byte("hello"), 5)[:21])...)
	lzfHello[2] = byte(len(lzfHello) - 4)
	return map[string][]byte{
		"valid":             withFooter(valid, Version),
		"version 9":         withFooter(valid, 9),
		"version 1":         withFooter(valid, 1),
		"version 11":        withFooter(valid, 11),
		"version 0xffff":    withFooter(valid, 0xffff),
		"zero crc":          zeroCRC,
		"bad crc":           badCRC,
		"nine bytes":        []byte("\x00\x00\x0a\x00\x00\x00\x00\x00\x00"),
		"empty":             {},
		"footer only":       withFooter(nil, Version),
		"trailing garbage":  withFooter([]byte("\x00\x05helloXYZ"), Version),
		"type only":         withFooter([]byte("\x00"), Version),
		"short raw":         withFooter([]byte("\x00\x05hell"), Version),
		"14-bit length":     withFooter([]byte("\x00\x40\x03abc"), Version),
		"32-bit length":     withFooter([]byte("\x00\x80\x00\x00\x00\x03abc"), Version),
		"64-bit length":     withFooter([]byte("\x00\x81\x00\x00\x00\x00\x00\x00\x00\x03abc"), Version),
		"length 0x82":       withFooter([]byte("\x00\x82\x00\x00\x00\x03abc"), Version),
		"huge 64-bit":       withFooter([]byte("\x00\x81\xff\xff\xff\xff\xff\xff\xff\xffabc"), Version),
		"int8":              withFooter([]byte("\x00\xc0\xfe"), Version),
		"int16 small":       withFooter([]byte("\x00\xc1\x05\x00"), Version),
		"int32":             withFooter([]byte("\x00\xc2\xff\xff\xff\xff"), Version),
		"int32 truncated":   withFooter([]byte("\x00\xc2\xff\xff"), Version),
		"enc 4":             withFooter([]byte("\x00\xc4\x00"), Version),
		"enc 63":            withFooter([]byte("\x00\xff\x00"), Version),
		"lzf":               withFooter(lzfHello, Version),
		"lzf short ulen":    withFooter(append(append([]byte(nil), lzfHello[:3]...), append([]byte{0x14}, lzfHello[4:]...)...), Version),
		"lzf long ulen":     withFooter(append(append([]byte(nil), lzfHello[:3]...), append([]byte{0x16}, lzfHello[4:]...)...), Version),
		"lzf enc lengths":   withFooter([]byte("\x00\xc3\xc3\xc2\x01ab"), Version),
		"lzf enc lengths 2": withFooter([]byte("\x00\xc3\xc2\xc1\x01ab"), Version),
		"lzf literal":       withFooter([]byte("\x00\xc3\x03\x02\x01ab"), Version),
		"lzf zero":          withFooter([]byte("\x00\xc3\x00\x00"), Version),
		"lzf zero ulen":     withFooter([]byte("\x00\xc3\x03\x00\x01ab"), Version),
		"lzf zero ulen bad": withFooter([]byte("\x00\xc3\x03\x00\x20\x01\x02"), Version),
		"lzf zero ulen cut": withFooter([]byte("\x00\xc3\x30\x00\x01ab"), Version),
		"into footer":       append([]byte("\x00\x0cab"), withFooter([]byte("\x00\x0cab"), Version)[4:]...),
		"lzf bad backref":   withFooter([]byte("\x00\xc3\x04\x05\x00a\x20\x01"), Version),
		"lzf overlap":       withFooter([]byte("\x00\xc3\x04\x09\x00a\xe0\x00\x00"), Version),
		"lzf truncated ref": withFooter([]byte("\x00\xc3\x03\x05\x00a\xe0"), Version),
		"lzf clen too long": withFooter([]byte("\x00\xc3\x09\x02\x01ab"), Version),
		"type 8":            withFooter([]byte("\x08\x00"), Version),
		"type 20":           withFooter([]byte("\x14\x00"), Version),
		"type 200":          withFooter([]byte("\xc8\x00"), Version),
	}
}

// TestRestoreAgreesWithRedis feeds hand-made payloads to RESTORE in Redis
// and to Decode, and checks they accept the same ones, with the same error
// message or the same value.
func TestRestoreAgreesWithRedis(t *testing.T) {
	rc := startRedis(t)
	for name, p := range restoreCases() {
		rc.do("DEL", "k")
		_, rerr := rc.do("RESTORE", "k", 0, p)
		obj, err := Decode(p)
		if rerr != nil {
			if err == nil {
				t.Errorf("%s: Redis says %q, Decode accepts %q", name, rerr, obj.Str)
			} else if want := strings.TrimPrefix(rerr.Error(), "ERR "); want != err.Error() {
				t.Errorf("%s: Redis says %q, Decode says %q", name, want, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: Redis accepts, Decode says %v", name, err)
			continue
		}
		got, gerr := rc.do("GET", "k")
		if gerr != nil {
			t.Errorf("%s: GET in Redis: %v", name, gerr)
			continue
		}
		if !bytes.Equal(got.([]byte), obj.Str) {
			t.Errorf("%s: Redis restored %q, Decode gives %q", name, clip(got.([]byte)), clip(obj.Str))
		}
	}
}
