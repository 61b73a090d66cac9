package engine

import (
	"fmt"
	"testing"
)

// The range digests partition DEBUG DIGEST: XORed together they give it,
// and a key's change shows in its own range only.
func TestRangeDigestsPartitionTheDigest(t *testing.T) {
	en := New(Config{Node: 1})
	for i := 0; i < 500; i++ {
		key := []byte(fmt.Sprint("key", i))
		tx := en.Begin1(i%3, key)
		tx.Assign(i%3, key, []byte(fmt.Sprint(i)), 0, false)
		tx.End()
	}
	before := en.RangeDigests()
	var acc [20]byte
	for _, r := range before {
		for i := range acc {
			acc[i] ^= r[i]
		}
	}
	if acc != en.Digest() {
		t.Fatal("the ranges' digests do not combine into DEBUG DIGEST")
	}
	key := []byte("key7")
	tx := en.Begin1(1, key)
	tx.Assign(1, key, []byte("other"), 0, false)
	tx.End()
	after := en.RangeDigests()
	for r := range after {
		if changed := after[r] != before[r]; changed != (r == DigestRange(key)) {
			t.Fatalf("range %d changed=%v; key7 is in range %d", r, changed, DigestRange(key))
		}
	}
}
