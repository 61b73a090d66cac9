package rdb

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// Compressed forms checked black-box against redis-server 7.0.
func TestLZFCompressKnown(t *testing.T) {
	for _, tc := range []struct {
		in   []byte
		want string
	}{
		{bytes.Repeat([]byte("a"), 21), "\x01aa\xe0\x0a\x00"},
		{bytes.Repeat([]byte("ab"), 100), "\x02aba\xe0\xba\x01\x01ab"},
	} {
		if got := LZFCompress(tc.in); string(got) != tc.want {
			t.Errorf("LZFCompress(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestLZFCompressIncompressible(t *testing.T) {
	for _, in := range []string{"", "a", "abcd", "aaaa", "0123456789abcdefghijklmnopqrstuvwxyz"} {
		if got := LZFCompress([]byte(in)); got != nil {
			t.Errorf("LZFCompress(%q) = %q, want nil", in, got)
		}
	}
	// Saving fewer than 4 bytes is not worth it.
	in := []byte("abcdefghijklmnopqrstuvwxyzabcdefg") // 33 bytes, one 7-byte repeat
	if got := LZFCompress(in); got != nil {
		t.Errorf("LZFCompress(%q) = %q, want nil", in, got)
	}
}

func TestLZFRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 2000; i++ {
		n := rng.IntN(600)
		if i%100 == 0 {
			n = rng.IntN(200000)
		}
		in := make([]byte, n)
		alphabet := 1 + rng.IntN(256)
		for j := range in {
			in[j] = byte(rng.IntN(alphabet))
			if j > 10 && rng.IntN(20) == 0 { // make some long repeats
				k := rng.IntN(j)
				copy(in[j:], in[k:min(n, k+rng.IntN(300))])
			}
		}
		// With room to spare every input compresses.
		c := lzfCompress(in, 2*n+16)
		if n > 0 && c == nil {
			t.Fatalf("lzfCompress with ample room failed for len %d", n)
		}
		out, err := LZFDecompress(c, n)
		if err != nil || !bytes.Equal(out, in) {
			t.Fatalf("round trip of %d bytes (alphabet %d): err %v", n, alphabet, err)
		}
		// LZFCompress either declines or saves at least 4 bytes.
		if c := LZFCompress(in); c != nil {
			if len(c) > n-4 {
				t.Fatalf("LZFCompress of %d bytes gave %d", n, len(c))
			}
			if out, err := LZFDecompress(c, n); err != nil || !bytes.Equal(out, in) {
				t.Fatalf("round trip via LZFCompress of %d bytes: %v", n, err)
			}
		}
	}
}

// The hash table is pooled; leftovers from one input must not leak into the
// next one's output.
func TestLZFCompressNoState(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	inputs := make([][]byte, 50)
	for i := range inputs {
		inputs[i] = make([]byte, 10+rng.IntN(30000))
		for j := range inputs[i] {
			inputs[i][j] = byte('a' + rng.IntN(4))
		}
	}
	first := make([][]byte, len(inputs))
	for i, in := range inputs {
		first[i] = LZFCompress(in)
	}
	for i := len(inputs) - 1; i >= 0; i-- {
		if got := LZFCompress(inputs[i]); !bytes.Equal(got, first[i]) {
			t.Fatalf("input %d compresses differently the second time", i)
		}
	}
}

func TestLZFDecompressErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		in     string
		outLen int
	}{
		{"literal past input", "\x05abc", 6},
		{"literal past output", "\x02abc", 2},
		{"short output", "\x02abc", 4},
		{"backref before start", "\x00a\x20\x01", 4},
		{"backref with nothing", "\x20\x00", 3},
		{"missing offset", "\x00a\x20", 4},
		{"missing long length", "\x00a\xe0", 10},
		{"missing long offset", "\x00a\xe0\x00", 10},
		{"backref past output", "\x00a\xe0\x05\x00", 10},
		{"negative length", "\x00a", -1},
		{"impossible ratio", "\x00a", 1 << 40},
	} {
		if out, err := LZFDecompress([]byte(tc.in), tc.outLen); err == nil {
			t.Errorf("%s: got %q, want error", tc.name, out)
		}
	}
}

func TestLZFDecompressOverlap(t *testing.T) {
	// "a", then copy 9 bytes from 1 back, then 2 bytes from 3 back.
	out, err := LZFDecompress([]byte("\x00a\xe0\x00\x00\x01bc\x20\x02"), 15)
	if err != nil || string(out) != "aaaaaaaaaabcabc" {
		t.Fatalf("got %q, %v", out, err)
	}
	// Empty input, empty output.
	if out, err := LZFDecompress(nil, 0); err != nil || len(out) != 0 {
		t.Fatalf("empty: %q, %v", out, err)
	}
}

func FuzzLZF(f *testing.F) {
	f.Add([]byte("hello hello hello hello hello"), 29)
	f.Add([]byte("\x00a\xe0\x00\x00"), 10)
	f.Fuzz(func(t *testing.T, in []byte, n int) {
		c := lzfCompress(in, 2*len(in)+16)
		if out, err := LZFDecompress(c, len(in)); err != nil || !bytes.Equal(out, in) {
			t.Fatalf("round trip failed: %v", err)
		}
		if c := LZFCompress(in); c != nil {
			if out, err := LZFDecompress(c, len(in)); err != nil || !bytes.Equal(out, in) {
				t.Fatalf("LZFCompress round trip failed: %v", err)
			}
		}
		// Arbitrary input as compressed data: errors are fine, panics and
		// outputs of the wrong size are not.
		if out, err := LZFDecompress(in, n); err == nil && len(out) != n {
			t.Fatalf("got %d bytes, asked for %d", len(out), n)
		}
	})
}
