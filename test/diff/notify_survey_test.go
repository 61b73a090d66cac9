package diff

import (
	"flag"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lightconedb/lightcone/internal/resp"
)

// The keyspace-notification survey: every case file (but those that set
// notify-keyspace-events themselves) and seeded random sequences of every
// generator are replayed with notify-keyspace-events set to every class and
// a subscriber to __key*__:* on each server; after each command the events
// both subscribers received (up to a PING marker) are compared as
// sequences. Replies are not compared here (TestCases and TestRandom do
// that); only the events, so every write command of every family is checked
// for its event names, classes, order, keys and databases, no-op writes
// must raise nothing and emptied keys "del".
//
// Both servers expire keys in the background too (redis-server here
// refuses DEBUG SET-ACTIVE-EXPIRE), so an "expired" event may come at a
// different command on each: the "expired" events are taken out of the
// per-command sequences and compared per scenario, as a sorted list.
//
//	go test ./test/diff -run TestNotifySurvey                  (case files)
//	go test ./test/diff -run TestNotifySurveyRandom -diff.seeds=20

var flagNotifyClasses = flag.String("diff.notifyclasses", "KEAnm",
	"TestNotifySurvey*: notify-keyspace-events value used for the survey")

// surveySkip are the case files the survey leaves out: they set
// notify-keyspace-events (or tracking, which depends on it) themselves.
var surveySkip = map[string]bool{
	"notifications.txt":          true,
	"notifications_store.txt":    true,
	"notifications_streams.txt":  true,
	"notifications_tracking.txt": true,
	"tracking.txt":               true,
	"pubsub.txt":                 true, // subscribes its own connections to patterns like ours
	"server.txt":                 true, // CONFIG SET notify-keyspace-events
}

// surveySkipCmd are commands the survey does not send: they write nothing
// and take long enough on redis-server to trip the harness' read timeout.
var surveySkipCmd = map[string]bool{"pfselftest": true}

// hasEvicted reports whether a step's events include an eviction.
func hasEvicted(v resp.Value) bool {
	for _, m := range v.Elems {
		for _, f := range m.Elems {
			if strings.HasSuffix(string(f.Str), ":evicted") || string(f.Str) == "evicted" {
				return true
			}
		}
	}
	return false
}

// surveyUnordered are the commands whose events come in an unspecified
// order: SORT ... BY/GET looks up the keys of a set's members in the set's
// (hash) order, raising "keymiss" for each missing one.
var surveyUnordered = map[string]bool{"sort": true, "sort_ro": true}

func TestNotifySurvey(t *testing.T) {
	needServers(t)
	files, err := filepath.Glob(filepath.Join("testdata", "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(files)
	restore := surveySetup(t)
	defer restore()
	total := 0
	for _, f := range files {
		if surveySkip[filepath.Base(f)] {
			continue
		}
		t.Run(strings.TrimSuffix(filepath.Base(f), ".txt"), func(t *testing.T) {
			steps, err := parseCaseFile(f)
			if err != nil {
				t.Fatal(err)
			}
			total += surveySteps(t, filepath.Base(f), steps)
		})
	}
	t.Logf("%d event sequences compared (one per command), notify-keyspace-events %s", total, *flagNotifyClasses)
}

func TestNotifySurveyRandom(t *testing.T) {
	needServers(t)
	// pubsub puts the connection in subscribed mode and acl switches it
	// to restricted users: most later commands would be refused
	names := generatorNames(t, func(name string) bool { return name == "pubsub" || name == "acl" })
	restore := surveySetup(t)
	defer restore()
	total, events := 0, 0
	for i := 0; i < *flagSeeds; i++ {
		seed := *flagSeed + uint64(i)
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			g := NewGen(seed)
			var steps []caseStep
			for j := 0; j < *flagOps; j++ {
				if g.Chance(0.02) {
					steps = append(steps, caseStep{line: j, args: []string{"SELECT", g.IntArg(0, 3)}})
				}
				op := generators[names[g.R.IntN(len(names))]](g)
				steps = append(steps, caseStep{line: j, args: op.Args, sort: op.Sort, noCmp: op.NoCompare})
			}
			n, ev := surveyRun(t, fmt.Sprintf("seed %d op", seed), steps)
			total += n
			events += ev
		})
	}
	t.Logf("%d random operations over %d seeds (%d events), generators %s, notify-keyspace-events %s",
		total, *flagSeeds, events, strings.Join(names, ","), *flagNotifyClasses)
}

// surveySetup returns a function that clears notify-keyspace-events on
// both servers at the end of the survey.
func surveySetup(t *testing.T) func() {
	return func() {
		p, err := DialPair(redisAddr, lightAddr)
		if err != nil {
			t.Error(err)
			return
		}
		defer p.Close()
		p.Do("CONFIG", "SET", "notify-keyspace-events", "")
	}
}

// queuedCmds is what a connection's open MULTI queued that makes the
// events of its EXEC unordered.
type queuedCmds struct {
	on        bool // in MULTI
	unordered bool // a surveyUnordered command
	limit     bool // ... with LIMIT
}

// hasArg reports whether args holds word (in any case) after the command.
func hasArg(args []string, word string) bool {
	for _, a := range args[1:] {
		if strings.EqualFold(a, word) {
			return true
		}
	}
	return false
}

// dropKeymiss removes the "keymiss" events of an event list.
func dropKeymiss(v resp.Value) resp.Value {
	out := resp.Value{Kind: resp.KindArray}
	for _, e := range v.Elems {
		if len(e.Elems) == 4 && (string(e.Elems[3].Str) == "keymiss" || strings.HasSuffix(string(e.Elems[2].Str), "__:keymiss")) {
			continue
		}
		out.Elems = append(out.Elems, e)
	}
	return out
}

// isExpiredEvent reports whether v is a pmessage of an "expired" event.
func isExpiredEvent(v resp.Value) bool {
	if v.Kind != resp.KindArray || len(v.Elems) != 4 || string(v.Elems[0].Str) != "pmessage" {
		return false
	}
	ch, msg := string(v.Elems[2].Str), string(v.Elems[3].Str)
	return strings.HasPrefix(ch, "__keyevent@") && strings.HasSuffix(ch, "__:expired") ||
		strings.HasPrefix(ch, "__keyspace@") && msg == "expired"
}

// splitExpired moves the "expired" events of vs to *exp (as text).
func splitExpired(vs []resp.Value, exp *[]string) []resp.Value {
	out := vs[:0]
	for _, v := range vs {
		if isExpiredEvent(v) {
			*exp = append(*exp, v.String())
			continue
		}
		out = append(out, v)
	}
	return out
}

// surveySteps runs case steps; it returns the number of event sequences
// compared.
func surveySteps(t *testing.T, name string, steps []caseStep) int {
	n, _ := surveyRun(t, name, steps)
	return n
}

// surveyRun runs steps (scenarios separated by "---" steps) and compares
// the events after each command. It returns the number of commands whose
// events were compared and the number of events.
func surveyRun(t *testing.T, name string, steps []caseStep) (compared, events int) {
	t.Helper()
	p := &Pair{redisAddr: redisAddr, lightAddr: lightAddr}
	sc := &scenario{conns: map[int]*Pair{}}
	for _, st := range steps {
		if st.ids || strings.Contains(strings.Join(st.args, " "), "@id") {
			sc.wantIDs = true
		}
	}
	var sub *Pair
	defer func() {
		sc.close(p)
		sub.Close()
	}()
	nErr := 0
	fail := func(format string, args ...any) {
		t.Helper()
		t.Errorf(format, args...)
		if nErr++; nErr >= 30 {
			t.Fatalf("%s: too many mismatches, giving up", name)
		}
	}
	broken, closed := false, false
	lost := 0 // scenarios whose subscriber a command closed (CLIENT KILL, ACL)
	marker := 0
	queued := map[int]*queuedCmds{} // connection → what its MULTI queued
	var history []string            // the last commands, for reports
	var expired [2][]string         // this scenario's "expired" events
	lastLine := 0
	var checkExpired func() // set below
	start := func(line int) {
		if sub != nil && !broken {
			checkExpired()
		}
		expired = [2][]string{}
		queued = map[int]*queuedCmds{}
		sc.close(nil)
		sub.Close()
		if err := p.Reset(); err != nil {
			t.Fatalf("%s:%d: starting a scenario: %v", name, max(line, 1), err)
		}
		sc.conns[1] = p
		broken, closed, sc.sync = false, false, false
		var err error
		if sub, err = DialPair(redisAddr, lightAddr); err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{
			{"CONFIG", "SET", "notify-keyspace-events", *flagNotifyClasses},
		} {
			if rv, lv, err := sub.Do(args...); err != nil || rv.Kind == resp.KindError || lv.Kind == resp.KindError {
				t.Fatalf("%s: %v %s / %s", Quote(args), err, rv, lv)
			}
		}
		if _, _, err := sub.Do("PSUBSCRIBE", "__key*__:*"); err != nil {
			t.Fatal(err)
		}
		if sc.wantIDs {
			if _, err := sc.clientIDs(1); err != nil {
				t.Fatalf("%s:%d: %v", name, max(line, 1), err)
			}
		}
	}
	// drain reads what each subscriber received up to a marker; closed
	// tells which of them the server had closed instead.
	drain := func() (got [2][]resp.Value, closed [2]bool, err error) {
		marker++
		m := fmt.Sprintf("lightcone-survey-%d", marker)
		for i, c := range []*Client{sub.Redis, sub.Light} {
			c.Send("PING", m)
			if err := c.Flush(); err != nil {
				if isClosedErr(err) {
					closed[i] = true
					continue
				}
				return got, closed, err
			}
			for {
				v, err := c.Read()
				if err != nil {
					if isClosedErr(err) {
						closed[i] = true
						break
					}
					return got, closed, fmt.Errorf("%s subscriber: %w", c.Name, err)
				}
				if isMarker(v, m, false) {
					break
				}
				got[i] = append(got[i], v)
			}
		}
		return got, closed, nil
	}
	// checkExpired compares the scenario's "expired" events; when they
	// differ it gives background expiry a few cycles (both servers run it
	// ten times a second) to catch up.
	checkExpired = func() {
		for try := 0; ; try++ {
			r, l := slices.Clone(expired[0]), slices.Clone(expired[1])
			slices.Sort(r)
			slices.Sort(l)
			if slices.Equal(r, l) {
				break
			}
			if try == 5 {
				fail("%s: scenario ending at line %d: the \"expired\" events differ:\n  redis:     %q\n  lightcone: %q", name, lastLine, r, l)
				break
			}
			time.Sleep(150 * time.Millisecond)
			got, gone, err := drain()
			if err != nil || gone[0] || gone[1] {
				break
			}
			splitExpired(got[0], &expired[0])
			splitExpired(got[1], &expired[1])
		}
		expired = [2][]string{}
	}
	start(0)
	for _, st := range steps {
		switch {
		case st.scenario:
			start(st.line)
			continue
		case broken:
			continue
		case st.isSleep:
			time.Sleep(st.sleep)
			continue
		case st.syncOn:
			sc.sync = true
			continue
		case closed:
			broken = true
			continue
		}
		where := fmt.Sprintf("%s:%d: %s", name, st.line, Quote(st.args))
		if len(history) == historyLen {
			history = history[1:]
		}
		history = append(history, fmt.Sprintf("%d: @%d %s", st.line, max(st.conn, 1), Quote(st.args)))
		if surveySkipCmd[strings.ToLower(st.args[0])] {
			continue
		}
		var err error
		switch {
		case st.conn > 1 || sc.sync || st.conn == 1:
			_, _, err = sc.syncStep(st) // replies are TestCases' business
		case st.scan:
			_, err = runScan(p, st)
		default:
			_, _, err = p.Do(st.args...)
			if err == nil && strings.EqualFold(st.args[0], "quit") {
				p.Redis.ExpectClosed(time.Second)
				p.Light.ExpectClosed(time.Second)
				closed = true
			}
		}
		if err != nil {
			fail("%s\n  %v (skipping the rest of the scenario)", where, err)
			broken = true
			continue
		}
		got, gone, err := drain()
		if err != nil {
			fail("%s\n  %v (skipping the rest of the scenario)", where, err)
			broken = true
			continue
		}
		lastLine = st.line
		r, l := splitExpired(got[0], &expired[0]), splitExpired(got[1], &expired[1])
		if gone[0] || gone[1] {
			if gone[0] != gone[1] {
				fail("%s\n  the subscriber was closed by one server only (redis: %v, lightcone: %v)", where, gone[0], gone[1])
			} else {
				// the command closed the subscribers (CLIENT KILL, an ACL
				// change): the scenario goes on without events
				lost++
			}
			broken = true
			continue
		}
		if st.noCmp {
			// the case file does not compare its reply (the servers may
			// differ, e.g. Redis running "get\x00" as GET after some
			// starts): nor its events, which were drained all the same
			continue
		}
		compared++
		events += len(r)
		rv := resp.Value{Kind: resp.KindArray, Elems: r}
		lv := resp.Value{Kind: resp.KindArray, Elems: l}
		cmd := strings.ToLower(st.args[0])
		unordered, limit := surveyUnordered[cmd], hasArg(st.args, "limit")
		// a transaction's events are unordered if it queued such a command
		q := queued[max(st.conn, 1)]
		if q == nil {
			q = &queuedCmds{}
			queued[max(st.conn, 1)] = q
		}
		switch {
		case cmd == "multi":
			q.on = true // (a nested MULTI is refused: the queue stays)
		case cmd == "exec" || cmd == "discard" || cmd == "reset":
			unordered, limit = unordered || q.unordered, limit || q.limit
			*q = queuedCmds{}
		case q.on && unordered:
			q.unordered, q.limit = true, q.limit || limit
		}
		// eviction picks its keys from random samples (Redis' and ours):
		// which keys a command evicts is compared, not in what order
		unordered = unordered || hasEvicted(rv) || hasEvicted(lv)
		if unordered {
			if limit {
				// SORT ... LIMIT of a set with ties (equal BY values):
				// which members the window holds is unspecified, so are
				// the keys their GET patterns miss (and how many); the
				// other events must still agree
				rv, lv = dropKeymiss(rv), dropKeymiss(lv)
			}
			rv, lv = SortReply(rv), SortReply(lv)
		}
		if !Equal(rv, lv) {
			fail("%s\n  keyspace events differ:\n%s\n  the commands before it:\n    %s", where, describe(rv, lv), strings.Join(history, "\n    "))
		}
	}
	if !broken {
		if got, gone, err := drain(); err == nil && !gone[0] && !gone[1] {
			splitExpired(got[0], &expired[0])
			splitExpired(got[1], &expired[1])
			checkExpired()
		}
	}
	if lost > 0 {
		t.Logf("%s: %d scenarios lost their subscriber to a command", name, lost)
	}
	t.Logf("%s: %d event sequences compared (%d events)", name, compared, events)
	return compared, events
}
