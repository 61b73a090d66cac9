package commands

import "testing"

// PFSELFTEST's checks pass on this build (the case file cannot compare it
// with redis-server, whose own randomized self-test fails now and then).
func TestHLLSelfTest(t *testing.T) {
	for i := 0; i < 30; i++ {
		if msg := hllSelfTest(); msg != "" {
			t.Fatalf("run %d: %s", i, msg)
		}
	}
}
