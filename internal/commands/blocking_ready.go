package commands

import "bytes"

// ReadyKeyer is implemented by a Client whose blocked command is being
// retried: ReadyKey is the key whose write woke it (nil outside a retry, or
// when the server does not say). Redis serves a client blocked on several
// keys from the key signalled ready, in the order keys were signalled (a
// MULTI/EXEC or script that writes several of them serves the first one it
// wrote), never from another of its keys.
type ReadyKeyer interface {
	ReadyKey() []byte
}

// readyKey is the key a blocked command's retry serves from, or nil when
// every one of its keys may serve (no ReadyKeyer, or not in a retry).
func readyKey(c *Ctx) []byte {
	if rk, ok := c.Client.(ReadyKeyer); ok {
		return rk.ReadyKey()
	}
	return nil
}

// readyIndex is the index in keys of the key a retry serves from (its
// first occurrence), or -1 when any of keys may serve.
func readyIndex(c *Ctx, keys [][]byte) int {
	k := readyKey(c)
	if k == nil {
		return -1
	}
	for i, x := range keys {
		if bytes.Equal(x, k) {
			return i
		}
	}
	return -1
}

// readyKeys narrows keys to the one a retry serves from (a slice of keys,
// no allocation), or returns keys whole.
func readyKeys(c *Ctx, keys [][]byte) [][]byte {
	if i := readyIndex(c, keys); i >= 0 {
		return keys[i : i+1]
	}
	return keys
}
