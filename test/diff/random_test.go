package diff

import (
	"flag"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/lightconedb/lightcone/internal/resp"
)

var (
	flagSeeds = flag.Int("diff.seeds", 20, "TestRandom: number of seeds to run")
	flagSeed  = flag.Uint64("diff.seed", 1, "TestRandom: first seed")
	flagOps   = flag.Int("diff.ops", 600, "TestRandom: operations per seed")
	flagGen   = flag.String("diff.gen", "", "TestRandom: comma-separated generator families to use (default: all)")
)

// historyLen is how many of the last commands a failure report shows.
const historyLen = 20

// TestRandom sends seeded random command sequences to both servers and
// compares every reply. One subtest per seed; a failure names the seed, the
// op index and the last commands (in case file syntax), and reproduces with
//
//	go test ./test/diff -run TestRandom -diff.seed=N -diff.seeds=1 [-diff.ops=... -diff.gen=...]
func TestRandom(t *testing.T) {
	needServers(t)
	names := generatorNames(t, nil)
	if len(names) == 0 {
		t.Fatal("no generators registered")
	}
	// Fail once, not once per seed, if the servers cannot even be reset.
	p := &Pair{redisAddr: redisAddr, lightAddr: lightAddr}
	err := p.Reset()
	p.Close()
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for i := 0; i < *flagSeeds; i++ {
		seed := *flagSeed + uint64(i)
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			total += runSeed(t, seed, names, *flagOps)
		})
	}
	t.Logf("%d random operations over %d seeds, generators: %s", total, *flagSeeds, strings.Join(names, ", "))
}

// TestRandomFamilies runs TestRandom's seeds once per generator family, each
// sequence drawing from that family alone, so that every family gets
// -diff.seeds x -diff.ops operations of its own (12,000 by default) instead
// of its share of the mixed run: a family's commands then build on each
// other's keys, reaching the sizes and states (encoding conversions, long
// streams, consumer groups with pending entries) that a mixed run rarely
// does. -diff.gen restricts it to the families named.
func TestRandomFamilies(t *testing.T) {
	needServers(t)
	names := generatorNames(t, nil)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			total := 0
			for i := 0; i < *flagSeeds; i++ {
				seed := *flagSeed + uint64(i)
				t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
					total += runSeed(t, seed, []string{name}, *flagOps)
				})
			}
			t.Logf("%s: %d random operations over %d seeds", name, total, *flagSeeds)
		})
	}
}

// generatorNames is the sorted names of the generator families a random
// test draws from: those -diff.gen names, else every family that skip
// (which may be nil) does not refuse. Sorted, because the order decides
// what a seed does.
func generatorNames(t *testing.T, skip func(name string) bool) []string {
	if *flagGen != "" {
		names := strings.Split(*flagGen, ",")
		for _, n := range names {
			if generators[n] == nil {
				t.Fatalf("-diff.gen: no generator %q", n)
			}
		}
		return names
	}
	names := make([]string, 0, len(generators))
	for name := range generators {
		if skip == nil || !skip(name) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// runSeed runs one seeded sequence on fresh connections to both servers,
// after FLUSHALL; it returns the number of operations compared.
func runSeed(t *testing.T, seed uint64, names []string, ops int) int {
	p := &Pair{redisAddr: redisAddr, lightAddr: lightAddr}
	defer p.Close()
	if err := p.Reset(); err != nil {
		t.Fatal(err)
	}
	g := NewGen(seed)
	var history []string
	record := func(i int, op Op) {
		tag := ""
		if op.Sort {
			tag = "!sort "
		} else if op.NoCompare {
			tag = "!nocompare "
		}
		history = append(history, fmt.Sprintf("%5d  %s%s", i, tag, Quote(op.Args)))
		if len(history) > historyLen {
			history = history[1:]
		}
	}
	fail := func(i int, msg string) {
		t.Fatalf("seed %d, op %d: %s\nlast %d commands (op index, command):\n%s\nreproduce: go test ./test/diff -run TestRandom -diff.seed=%d -diff.seeds=1 -diff.ops=%d -diff.gen=%s",
			seed, i, msg, len(history), strings.Join(history, "\n"), seed, ops, strings.Join(names, ","))
	}
	done := 0
	tx := &txTracker{}
	for i := 0; i < ops; i++ {
		if g.Chance(0.02) {
			sel := Op{Args: []string{"SELECT", g.IntArg(0, 3)}}
			record(i, sel)
			if msg := tx.doOp(p, sel); msg != "" {
				fail(i, msg)
			}
		}
		op := generators[names[g.R.IntN(len(names))]](g)
		record(i, op)
		if msg := tx.doOp(p, op); msg != "" {
			fail(i, msg)
		}
		done++
	}
	return done
}

// txTracker follows MULTI/EXEC so that the reply of EXEC is compared
// element by element with the flags (NoCompare, Sort) of the commands it
// ran: a random command queued inside a transaction stays uncompared.
type txTracker struct {
	inMulti bool
	queued  []Op
}

func (t *txTracker) doOp(p *Pair, op Op) string {
	name := strings.ToUpper(op.Args[0])
	if name != "EXEC" || !t.inMulti {
		rv, lv, err := p.Do(op.Args...)
		if err != nil {
			return fmt.Sprintf("%s\n  %v", Quote(op.Args), err)
		}
		t.follow(name, op, rv)
		if op.NoCompare {
			return ""
		}
		if msg := compareReplies(rv, lv, op.Sort, op.Dump); msg != "" {
			return Quote(op.Args) + "\n" + msg
		}
		return ""
	}
	queued := t.queued
	t.inMulti, t.queued = false, nil
	rv, lv, err := p.Do(op.Args...)
	if err != nil {
		return fmt.Sprintf("%s\n  %v", Quote(op.Args), err)
	}
	if rv.Kind != resp.KindArray || rv.Null || lv.Kind != resp.KindArray || lv.Null || len(rv.Elems) != len(queued) || len(lv.Elems) != len(queued) {
		if msg := compareReplies(rv, lv, false, false); msg != "" {
			return Quote(op.Args) + "\n" + msg
		}
		return ""
	}
	for i, q := range queued {
		if q.NoCompare {
			continue
		}
		if msg := compareReplies(rv.Elems[i], lv.Elems[i], q.Sort, q.Dump); msg != "" {
			return Quote(op.Args) + fmt.Sprintf(" (reply %d, of %s)\n", i+1, Quote(q.Args)) + msg
		}
	}
	return ""
}

// follow updates the transaction state from a reply (Redis' side).
func (t *txTracker) follow(name string, op Op, rv resp.Value) {
	switch {
	case name == "MULTI" && rv.Kind == resp.KindSimple && string(rv.Str) == "OK":
		t.inMulti, t.queued = true, nil
	case name == "DISCARD" || name == "RESET" || name == "EXEC":
		t.inMulti, t.queued = false, nil
	case t.inMulti && rv.Kind == resp.KindSimple && string(rv.Str) == "QUEUED":
		t.queued = append(t.queued, op)
	}
}
