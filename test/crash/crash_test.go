// Package crash kills a real Lightcone process (kill -9) while clients write
// to it, restarts it, and checks that every acknowledged write survived and
// that no command is half there.
//
//	go test ./test/crash/                                   a short run (10 kills)
//	LIGHTCONE_CRASH_ROUNDS=100 go test ./test/crash/ -v -timeout 30m
//	go test ./test/crash/ -crash.rounds=100 -crash.fsync=always -v
//
// Each round: start the node (appendfsync always by default, a snapshot
// schedule of "1 50" and small segments, so that snapshots, rotations and
// crashes during them all happen), check everything the previous rounds
// acknowledged, let 8 clients write (SET of unique keys, INCR, APPEND of
// numbered tokens, MSET of key pairs that must stay equal, the odd BGSAVE)
// for a random time, then SIGKILL the process.
package crash

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lightconedb/lightcone/internal/resp"
)

var (
	rounds  = flag.Int("crash.rounds", 0, "kill -9 this many times (default 10, or LIGHTCONE_CRASH_ROUNDS)")
	fsync   = flag.String("crash.fsync", "always", "appendfsync policy of the node under test")
	writers = flag.Int("crash.writers", 8, "concurrent writing clients")
)

func numRounds() int {
	if *rounds > 0 {
		return *rounds
	}
	if v, err := strconv.Atoi(os.Getenv("LIGHTCONE_CRASH_ROUNDS")); err == nil && v > 0 {
		return v
	}
	if testing.Short() {
		return 3
	}
	return 10
}

// buildBinary builds the lightcone command into dir.
func buildBinary(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "lightcone")
	if b := os.Getenv("LIGHTCONE_BIN"); b != "" {
		return b
	}
	cmd := exec.Command("go", "build", "-o", bin, "github.com/lightconedb/lightcone/cmd/lightcone")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("building lightcone: %v", err)
	}
	return bin
}

type client struct {
	nc net.Conn
	r  *resp.Reader
	w  *resp.Writer
}

func dial(addr string) (*client, error) {
	nc, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return nil, err
	}
	return &client{nc: nc, r: resp.NewReader(nc, 0), w: resp.NewWriter(nc, 0)}, nil
}

func (c *client) do(args ...string) (resp.Value, error) {
	c.w.ArrayLen(len(args))
	for _, a := range args {
		c.w.BulkString(a)
	}
	c.nc.SetDeadline(time.Now().Add(20 * time.Second))
	if err := c.w.Flush(); err != nil {
		return resp.Value{}, err
	}
	v, err := c.r.ReadValue()
	if err == nil && v.Kind == resp.KindError {
		return v, fmt.Errorf("error reply to %v: %s", args, v.Str)
	}
	return v, err
}

func (c *client) close() { c.nc.Close() }

// node is the process under test.
type node struct {
	bin, dir, addr string
	port           int
	cmd            *exec.Cmd
	logf           *os.File
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func (n *node) start(t *testing.T, extra ...string) {
	t.Helper()
	for attempt := 0; ; attempt++ {
		err := n.tryStart(t, extra...)
		if err == nil {
			return
		}
		if attempt >= 3 {
			t.Fatalf("%v (see %s)", err, n.logf.Name())
		}
	}
}

// tryStart starts the node on a free port and waits until it answers PING.
func (n *node) tryStart(t *testing.T, extra ...string) error {
	n.port = freePort(t)
	n.addr = "127.0.0.1:" + strconv.Itoa(n.port)
	args := append([]string{"server", "--port", strconv.Itoa(n.port), "--bind", "127.0.0.1", "--dir", n.dir,
		"--appendfsync", *fsync, "--save", "1 50", "--log-segment-size", "256kb", "--loglevel", "notice"}, extra...)
	n.cmd = exec.Command(n.bin, args...)
	var err error
	n.logf, err = os.OpenFile(filepath.Join(filepath.Dir(n.dir), "node.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	n.cmd.Stdout, n.cmd.Stderr = n.logf, n.logf
	if err := n.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- n.cmd.Wait() }()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			n.logf.Close()
			return fmt.Errorf("node exited at start: %v", err)
		default:
		}
		if c, err := dial(n.addr); err == nil {
			_, err = c.do("PING")
			c.close()
			if err == nil {
				return nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("node did not answer within 60s")
	return nil
}

func (n *node) kill() {
	n.cmd.Process.Signal(syscall.SIGKILL)
	for i := 0; i < 500; i++ { // wait until the process is gone (its lock freed)
		if err := n.cmd.Process.Signal(syscall.Signal(0)); err != nil {
			break
		}
		time.Sleep(2 * time.Millisecond)
	}
	time.Sleep(10 * time.Millisecond)
	n.logf.Close()
}

// model is what the clients know was acknowledged (and what may have been
// sent without an answer).
type model struct {
	mu sync.Mutex
	w  []*writerModel
}

type writerModel struct {
	id       int
	setNext  int // next unique SET number
	setAcked map[int]bool
	setMaybe int // a SET sent without an answer (-1 none)
	incr     int64
	incrMax  int64 // incr plus INCRs sent without an answer
	app      int   // tokens acknowledged: "|1|2|...|app"
	appMax   int
	pairs    [10]string // acknowledged MSET value per pair ("" = none yet)
	pairMay  [10]string // value sent without an answer
	ops      int
}

func (w *writerModel) setKey(n int) string { return fmt.Sprintf("s:%d:%d", w.id, n) }

// run writes until the connection fails; it updates the model as replies
// arrive.
func (w *writerModel) run(addr string, r *rand.Rand, stop <-chan struct{}) {
	c, err := dial(addr)
	if err != nil {
		return
	}
	defer c.close()
	for {
		select {
		case <-stop:
			return
		default:
		}
		switch x := r.IntN(100); {
		case x < 40:
			n := w.setNext
			w.setNext++
			w.setMaybe = n
			if _, err := c.do("SET", w.setKey(n), strconv.Itoa(n)); err != nil {
				return
			}
			w.setAcked[n] = true
			w.setMaybe = -1
		case x < 60:
			w.incrMax++
			v, err := c.do("INCR", fmt.Sprintf("c:%d", w.id))
			if err != nil {
				return
			}
			w.incr = v.Int
			w.incrMax = v.Int
		case x < 80:
			w.appMax++
			if _, err := c.do("APPEND", fmt.Sprintf("a:%d", w.id), "|"+strconv.Itoa(w.appMax)); err != nil {
				return
			}
			w.app = w.appMax
		case x < 99:
			i := r.IntN(len(w.pairs))
			v := fmt.Sprintf("%d-%d", w.id, w.ops)
			w.pairMay[i] = v
			if _, err := c.do("MSET", fmt.Sprintf("p:%d:%d:a", w.id, i), v, fmt.Sprintf("p:%d:%d:b", w.id, i), v); err != nil {
				return
			}
			w.pairs[i] = v
			w.pairMay[i] = ""
		default:
			c.do("BGSAVE") // may find one running: any reply will do
		}
		w.ops++
	}
}

// verify checks the restarted node against the model, then makes the model
// match what is there (unanswered writes may or may not have happened).
func (w *writerModel) verify(t *testing.T, c *client, r *rand.Rand, round int) (checked int) {
	t.Helper()
	get := func(k string) (string, bool) {
		v, err := c.do("GET", k)
		if err != nil {
			t.Fatalf("round %d: GET %s: %v", round, k, err)
		}
		return string(v.Str), !v.Null
	}
	// SETs: every acknowledged one (all of the last rounds, a sample of the
	// older ones) with its value
	keys := make([]int, 0, len(w.setAcked))
	for n := range w.setAcked {
		if n >= w.setNext-300 || r.IntN(20) == 0 {
			keys = append(keys, n)
		}
	}
	for _, n := range keys {
		v, ok := get(w.setKey(n))
		if !ok || v != strconv.Itoa(n) {
			t.Fatalf("round %d: acknowledged SET %s %d lost (got %q, %v)", round, w.setKey(n), n, v, ok)
		}
		checked++
	}
	if w.setMaybe >= 0 {
		if v, ok := get(w.setKey(w.setMaybe)); ok {
			if v != strconv.Itoa(w.setMaybe) {
				t.Fatalf("round %d: unanswered SET %s has value %q", round, w.setKey(w.setMaybe), v)
			}
			w.setAcked[w.setMaybe] = true
		}
		w.setMaybe = -1
	}
	// INCR: at least what was acknowledged, at most what was sent
	v, ok := get(fmt.Sprintf("c:%d", w.id))
	n, _ := strconv.ParseInt(v, 10, 64)
	if (w.incr > 0 && !ok) || n < w.incr || n > w.incrMax {
		t.Fatalf("round %d: counter c:%d = %q, acknowledged %d, sent %d", round, w.id, v, w.incr, w.incrMax)
	}
	w.incr, w.incrMax = n, n
	checked++
	// APPEND: whole tokens 1..m, m between acknowledged and sent
	s, _ := get(fmt.Sprintf("a:%d", w.id))
	var want strings.Builder
	m := 0
	for want.Len() < len(s) {
		m++
		want.WriteString("|" + strconv.Itoa(m))
	}
	if want.String() != s || m < w.app || m > w.appMax {
		t.Fatalf("round %d: a:%d = %q: not the tokens 1..m with %d <= m <= %d", round, w.id, s, w.app, w.appMax)
	}
	w.app, w.appMax = m, m
	checked++
	// MSET pairs: never half there; the acknowledged value or the unanswered one
	for i := range w.pairs {
		a, oka := get(fmt.Sprintf("p:%d:%d:a", w.id, i))
		b, okb := get(fmt.Sprintf("p:%d:%d:b", w.id, i))
		if oka != okb || a != b {
			t.Fatalf("round %d: MSET pair p:%d:%d half applied: a=%q b=%q", round, w.id, i, a, b)
		}
		if a != w.pairs[i] && (w.pairMay[i] == "" || a != w.pairMay[i]) {
			t.Fatalf("round %d: MSET pair p:%d:%d = %q, acknowledged %q (unanswered %q)", round, w.id, i, a, w.pairs[i], w.pairMay[i])
		}
		w.pairs[i], w.pairMay[i] = a, ""
		checked += 2
	}
	return checked
}

func TestKill9(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil && os.Getenv("LIGHTCONE_BIN") == "" {
		t.Skip("go not on PATH to build the binary")
	}
	work := t.TempDir()
	n := &node{bin: buildBinary(t, work), dir: filepath.Join(work, "data")}
	R := numRounds()
	r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	m := &model{}
	for i := 0; i < *writers; i++ {
		m.w = append(m.w, &writerModel{id: i, setAcked: map[int]bool{}, setMaybe: -1})
	}
	var totalAcked, totalChecked, tornTails, snapshotsLoaded int
	var recoveryMs []int
	start := time.Now()
	for round := 1; round <= R; round++ {
		n.start(t)
		c, err := dial(n.addr)
		if err != nil {
			t.Fatal(err)
		}
		info, err := c.do("INFO", "persistence")
		if err != nil {
			t.Fatal(err)
		}
		fields := map[string]string{}
		for _, line := range strings.Split(string(info.Str), "\r\n") {
			if k, v, ok := strings.Cut(line, ":"); ok {
				fields[k] = v
			}
		}
		if fields["recovery_torn_tail"] != "none" {
			tornTails++
		}
		if fields["recovery_snapshot"] != "none" {
			snapshotsLoaded++
		}
		ms, _ := strconv.Atoi(fields["recovery_time_ms"])
		recoveryMs = append(recoveryMs, ms)
		for _, w := range m.w {
			totalChecked += w.verify(t, c, r, round)
		}
		c.close()

		before := 0
		for _, w := range m.w {
			before += w.ops
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for i, w := range m.w {
			wg.Add(1)
			go func(w *writerModel, seed uint64) {
				defer wg.Done()
				w.run(n.addr, rand.New(rand.NewPCG(seed, uint64(round))), stop)
			}(w, uint64(i))
		}
		time.Sleep(time.Duration(30+r.IntN(600)) * time.Millisecond)
		n.kill()
		close(stop)
		wg.Wait()
		after := 0
		for _, w := range m.w {
			after += w.ops
		}
		totalAcked += after - before
		if round%10 == 0 || round == R {
			t.Logf("round %d/%d: %d writes acknowledged so far, %d checks passed, %d torn tails repaired, %d recoveries from a snapshot",
				round, R, totalAcked, totalChecked, tornTails, snapshotsLoaded)
		}
	}
	// a last start to check the last round
	n.start(t)
	c, err := dial(n.addr)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range m.w {
		totalChecked += w.verify(t, c, r, R+1)
	}
	c.do("SHUTDOWN")
	c.close()
	time.Sleep(200 * time.Millisecond)
	n.kill()
	maxMs, sumMs := 0, 0
	for _, v := range recoveryMs {
		maxMs = max(maxMs, v)
		sumMs += v
	}
	t.Logf("%d kill -9 rounds in %s with appendfsync %s: %d writes acknowledged, all present; %d checks; %d torn tails truncated; %d restarts from a snapshot + log; recovery mean %d ms, max %d ms",
		R, time.Since(start).Round(time.Second), *fsync, totalAcked, totalChecked, tornTails, snapshotsLoaded, sumMs/max(1, len(recoveryMs)), maxMs)
	if totalAcked == 0 {
		t.Fatal("no write was acknowledged: the test proved nothing")
	}
}
