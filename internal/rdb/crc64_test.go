package rdb

import "testing"

func TestCRC64(t *testing.T) {
	if got := CRC64(0, []byte("123456789")); got != 0xe9c6d914c4b8d9ca {
		t.Fatalf("CRC64(123456789) = %#x, want 0xe9c6d914c4b8d9ca", got)
	}
	if got := CRC64(0, nil); got != 0 {
		t.Fatalf("CRC64(empty) = %#x, want 0", got)
	}
	// Incremental use gives the same result as one call, on both sides of
	// the 64- and 2048-byte thresholds where hash/crc64 changes strategy.
	data := make([]byte, 5000)
	for i := range data {
		data[i] = byte(i*7 + i>>8)
	}
	for _, cut := range []int{0, 1, 63, 64, 100, 2047, 2048, 4999, 5000} {
		whole := CRC64(0, data)
		if got := CRC64(CRC64(0, data[:cut]), data[cut:]); got != whole {
			t.Errorf("split at %d: %#x, want %#x", cut, got, whole)
		}
	}
}

// TestCRC64Bitwise checks the table-driven CRC against a plain bit-at-a-time
// definition of CRC-64/Jones (reflected, init 0, no final xor).
func TestCRC64Bitwise(t *testing.T) {
	bitwise := func(p []byte) uint64 {
		var crc uint64
		for _, b := range p {
			crc ^= uint64(b)
			for range 8 {
				if crc&1 != 0 {
					crc = crc>>1 ^ jonesPolyReflected
				} else {
					crc >>= 1
				}
			}
		}
		return crc
	}
	data := make([]byte, 3000)
	for i := range data {
		data[i] = byte(i * 31)
	}
	for _, n := range []int{1, 2, 9, 64, 65, 3000} {
		if got, want := CRC64(0, data[:n]), bitwise(data[:n]); got != want {
			t.Errorf("len %d: %#x, want %#x", n, got, want)
		}
	}
}
