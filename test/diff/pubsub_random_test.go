package diff

import (
	"fmt"
	"testing"
)

// TestRandomPubSub runs seeded multi-connection pub/sub, keyspace
// notification and tracking scenarios (gen_pubsub.go) in sync mode: after
// every step, everything each of the four connections received must be the
// same on both servers.
//
//	go test ./test/diff -run TestRandomPubSub -diff.seeds=50 -diff.ops=300
func TestRandomPubSub(t *testing.T) {
	needServers(t)
	total := 0
	for i := 0; i < *flagSeeds; i++ {
		seed := *flagSeed + uint64(i)
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			steps := PubSubScenario(seed, *flagOps)
			total += runSteps(t, fmt.Sprintf("pubsub seed %d", seed), steps, redisAddr, lightAddr)
		})
	}
	t.Logf("%d values compared over %d seeds of %d steps", total, *flagSeeds, *flagOps)
}
