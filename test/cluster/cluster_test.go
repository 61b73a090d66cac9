// Package cluster_test starts real lightcone processes on loopback and checks
// that they replicate: convergence once quiet (DEBUG DIGEST), counters equal
// to the sum of acknowledged increments, sets holding every acknowledged add,
// cross-key causal order, and a node killed with SIGKILL catching up after a
// restart with the same NodeID.
package cluster_test

import (
	"bufio"
	"errors"
	"fmt"
	"math/rand"
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
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "lightcone-cluster-test")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "lightcone")
	build := exec.Command("go", "build", "-o", binary, "github.com/lightconedb/lightcone/cmd/lightcone")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build lightcone:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// basePort is the first client port; node i uses basePort+i and its
// cluster port basePort+i+10000.
const basePort = 7960

type proc struct {
	t    *testing.T
	i    int
	port int
	dir  string
	args []string
	env  []string
	cmd  *exec.Cmd
	log  string
}

func startProcs(t *testing.T, k int, pass string, env ...func(i int) string) []*proc {
	t.Helper()
	var seeds []string
	for i := 0; i < k; i++ {
		seeds = append(seeds, "127.0.0.1:"+strconv.Itoa(basePort+i+10000))
	}
	root := t.TempDir()
	ps := make([]*proc, k)
	for i := range ps {
		p := &proc{t: t, i: i, port: basePort + i, dir: filepath.Join(root, fmt.Sprint("n", i))}
		p.log = p.dir + ".log"
		p.args = []string{"server", "--port", strconv.Itoa(p.port), "--dir", p.dir, "--cluster-passphrase", pass,
			"--peers", strings.Join(seeds, ","), "--logfile", p.log, "--loglevel", "debug"}
		for _, e := range env {
			p.env = append(p.env, e(i))
		}
		ps[i] = p
	}
	var wg sync.WaitGroup
	for _, p := range ps {
		wg.Add(1)
		go func() { defer wg.Done(); p.start() }()
	}
	wg.Wait()
	t.Cleanup(func() {
		for _, p := range ps {
			p.kill()
		}
		if t.Failed() {
			for _, p := range ps {
				b, _ := os.ReadFile(p.log)
				t.Logf("log of node %d:\n%s", p.i, tail(string(b), 40))
			}
		}
	})
	return ps
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func (p *proc) start() {
	p.cmd = exec.Command(binary, p.args...)
	p.cmd.Env = append(os.Environ(), p.env...)
	if err := p.cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := dial(p.port); err == nil {
			if r, err := c.do("PING"); err == nil && r == "PONG" {
				c.close()
				return
			}
			c.close()
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.t.Fatalf("node %d did not start", p.i)
}

func (p *proc) kill() {
	if p.cmd != nil && p.cmd.Process != nil {
		p.cmd.Process.Signal(syscall.SIGKILL)
		p.cmd.Wait()
		p.cmd = nil
	}
}

// client is a minimal RESP2 client.
type client struct {
	c net.Conn
	r *bufio.Reader
}

func dial(port int) (*client, error) {
	c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), time.Second)
	if err != nil {
		return nil, err
	}
	return &client{c: c, r: bufio.NewReader(c)}, nil
}

func (c *client) close() { c.c.Close() }

// do sends a command and returns the reply flattened: simple strings,
// integers and bulk strings as text, arrays joined by newlines (sorted by
// callers when order does not matter), nil as "(nil)".
func (c *client) do(args ...string) (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	c.c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.c.Write([]byte(b.String())); err != nil {
		return "", err
	}
	return c.read()
}

func (c *client) read() (string, error) {
	line, err := c.r.ReadString('\n')
	if err != nil {
		return "", err
	}
	line = strings.TrimSuffix(line, "\r\n")
	if line == "" {
		return "", errors.New("empty reply line")
	}
	switch line[0] {
	case '+', ':':
		return line[1:], nil
	case '-':
		return "", errors.New(line[1:])
	case '$':
		n, _ := strconv.Atoi(line[1:])
		if n < 0 {
			return "(nil)", nil
		}
		buf := make([]byte, n+2)
		if _, err := ioReadFull(c.r, buf); err != nil {
			return "", err
		}
		return string(buf[:n]), nil
	case '*':
		n, _ := strconv.Atoi(line[1:])
		parts := make([]string, 0, max(n, 0))
		for i := 0; i < n; i++ {
			s, err := c.read()
			if err != nil {
				return "", err
			}
			parts = append(parts, s)
		}
		return strings.Join(parts, "\n"), nil
	}
	return "", fmt.Errorf("unexpected reply %q", line)
}

func ioReadFull(r *bufio.Reader, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := r.Read(b[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func must(t *testing.T, c *client, args ...string) string {
	t.Helper()
	r, err := c.do(args...)
	if err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	return r
}

// acked records what the cluster acknowledged.
type acked struct {
	mu       sync.Mutex
	counters map[string]int64
	members  map[string]map[string]bool
}

func newAcked() *acked {
	return &acked{counters: map[string]int64{}, members: map[string]map[string]bool{}}
}

// addMember records an acknowledged SADD of m to set k.
func (a *acked) addMember(k, m string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.members[k] == nil {
		a.members[k] = map[string]bool{}
	}
	a.members[k][m] = true
}

// workload writes n operations on node p: INCRBY on a few counters, SADD of
// unique members. Only acknowledged writes are recorded.
func workload(t *testing.T, p *proc, n int, seed int64, a *acked) {
	c, err := dial(p.port)
	if err != nil {
		t.Error(err)
		return
	}
	defer c.close()
	r := rand.New(rand.NewSource(seed))
	for j := 0; j < n; j++ {
		if r.Intn(2) == 0 {
			k := "ctr" + strconv.Itoa(r.Intn(4))
			d := int64(r.Intn(20) - 5)
			if _, err := c.do("INCRBY", k, strconv.FormatInt(d, 10)); err != nil {
				t.Error(err)
				return
			}
			a.mu.Lock()
			a.counters[k] += d
			a.mu.Unlock()
		} else {
			k := "set" + strconv.Itoa(r.Intn(3))
			m := fmt.Sprintf("m%d-%d-%d", p.i, seed, j)
			if _, err := c.do("SADD", k, m); err != nil {
				t.Error(err)
				return
			}
			a.addMember(k, m)
		}
	}
}

func runWorkloads(t *testing.T, ps []*proc, n int, seed int64, a *acked) {
	var wg sync.WaitGroup
	for _, p := range ps {
		wg.Add(1)
		go func() { defer wg.Done(); workload(t, p, n, seed+int64(p.i)*1000, a) }()
	}
	wg.Wait()
}

// converged checks every node once: equal digests, counters and set members.
func converged(ps []*proc, a *acked) error {
	var digest string
	for _, p := range ps {
		c, err := dial(p.port)
		if err != nil {
			return err
		}
		d, err := c.do("DEBUG", "DIGEST")
		if err != nil {
			c.close()
			return err
		}
		if digest == "" {
			digest = d
		} else if d != digest {
			c.close()
			return fmt.Errorf("node %d digest %s differs from %s", p.i, d, digest)
		}
		a.mu.Lock()
		for k, v := range a.counters {
			got, err := c.do("GET", k)
			if err != nil || got != strconv.FormatInt(v, 10) {
				a.mu.Unlock()
				c.close()
				return fmt.Errorf("node %d: %s = %q, want %d (%v)", p.i, k, got, v, err)
			}
		}
		for k, ms := range a.members {
			got, err := c.do("SMEMBERS", k)
			if err != nil {
				a.mu.Unlock()
				c.close()
				return err
			}
			have := map[string]bool{}
			for _, m := range strings.Split(got, "\n") {
				have[m] = true
			}
			for m := range ms {
				if !have[m] {
					a.mu.Unlock()
					c.close()
					return fmt.Errorf("node %d: %s lacks acknowledged member %s", p.i, k, m)
				}
			}
		}
		a.mu.Unlock()
		c.close()
	}
	return nil
}

func waitConverged(t *testing.T, ps []*proc, a *acked, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var err error
	for time.Now().Before(deadline) {
		if err = converged(ps, a); err == nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, p := range ps {
		if c, e := dial(p.port); e == nil {
			info, _ := c.do("INFO", "cluster")
			t.Logf("node %d:\n%s", p.i, info)
			c.close()
		}
	}
	t.Fatalf("not converged after %v: %v", timeout, err)
}

const pass = "cluster-test-passphrase-0001"

func TestThreeProcesses(t *testing.T) {
	n := 600
	if testing.Short() {
		n = 150
	}
	ps := startProcs(t, 3, pass)
	a := newAcked()
	runWorkloads(t, ps, n, 1, a)
	waitConverged(t, ps, a, 20*time.Second)

	// cross-key causality: x_i then y_i on node 0; node 1 never shows y_i without x_i
	stop := make(chan struct{})
	var violations, seen int
	var rwg sync.WaitGroup
	rwg.Add(1)
	go func() {
		defer rwg.Done()
		c, err := dial(ps[1].port)
		if err != nil {
			t.Error(err)
			return
		}
		defer c.close()
		for i := 0; ; i = (i + 1) % 200 {
			select {
			case <-stop:
				return
			default:
			}
			k := strconv.Itoa(i)
			y, err1 := c.do("GET", "y"+k)
			x, err2 := c.do("GET", "x"+k)
			if err1 != nil || err2 != nil {
				t.Error(err1, err2)
				return
			}
			if y != "(nil)" {
				seen++
				if x == "(nil)" {
					violations++
				}
			}
		}
	}()
	w, err := dial(ps[0].port)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 200; i++ {
		k := strconv.Itoa(i)
		must(t, w, "SET", "x"+k, "1")
		must(t, w, "SET", "y"+k, "1")
	}
	w.close()
	time.Sleep(300 * time.Millisecond)
	close(stop)
	rwg.Wait()
	if violations > 0 {
		t.Fatalf("node 1 showed y without x %d times (of %d)", violations, seen)
	}
	if seen == 0 {
		t.Fatal("reader never saw a replicated y")
	}

	// SIGKILL node 2 once its writes are everywhere, keep writing on 0 and 1,
	// restart it: it comes back with the same NodeID and catches up.
	id := infoField(t, ps[2], "lightcone_node_id")
	ps[2].kill()
	runWorkloads(t, ps[:2], n/2, 2, a)
	ps[2].start()
	if got := infoField(t, ps[2], "lightcone_node_id"); got != id {
		t.Fatalf("NodeID after restart %s, want %s", got, id)
	}
	runWorkloads(t, ps, n/2, 3, a)
	waitConverged(t, ps, a, 20*time.Second)

	// still three members, the restarted one at its address
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := dial(ps[0].port)
		if err != nil {
			t.Fatal(err)
		}
		info := must(t, c, "INFO", "cluster")
		c.close()
		if strings.Contains(info, "lightcone_members:3\r\n") {
			c, err := dial(ps[1].port)
			if err != nil {
				t.Fatal(err)
			}
			ms := strings.Split(must(t, c, "HGETALL", "__lightcone:members"), "\n")
			c.close()
			if len(ms) != 6 || !strings.Contains(strings.Join(ms, " "), "127.0.0.1:"+strconv.Itoa(basePort+10002)) {
				t.Fatalf("HGETALL __lightcone:members = %q", ms)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("membership after restart:\n%s", info)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestWrongPassphraseProcessRefused(t *testing.T) {
	ps := startProcs(t, 2, pass)
	intruder := &proc{t: t, i: 2, port: basePort + 2, dir: filepath.Join(t.TempDir(), "intruder")}
	intruder.log = intruder.dir + ".log"
	intruder.args = []string{"server", "--port", strconv.Itoa(intruder.port), "--dir", intruder.dir,
		"--cluster-passphrase", pass + "-wrong", "--peers", "127.0.0.1:" + strconv.Itoa(basePort+10000), "--logfile", intruder.log}
	intruder.start()
	defer intruder.kill()
	c, err := dial(intruder.port)
	if err != nil {
		t.Fatal(err)
	}
	must(t, c, "SET", "intruder", "1")
	c.close()
	time.Sleep(500 * time.Millisecond)
	c, err = dial(ps[0].port)
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	if v := must(t, c, "GET", "intruder"); v != "(nil)" {
		t.Fatal("a write crossed from a node with another passphrase")
	}
	if info := must(t, c, "INFO", "cluster"); !strings.Contains(info, "lightcone_members:2\r\n") {
		t.Fatalf("intruder became a member:\n%s", info)
	}
	// the intruder refuses the cluster's certificates (TLS 1.3: the dialer
	// checks the server's first and aborts) and says so
	ic, err := dial(intruder.port)
	if err != nil {
		t.Fatal(err)
	}
	defer ic.close()
	if info := must(t, ic, "INFO", "cluster"); strings.Contains(info, "lightcone_peers_refused:0\r\n") || !strings.Contains(info, "lightcone_members:1\r\n") {
		t.Fatalf("intruder linked:\n%s", info)
	}
	b, _ := os.ReadFile(intruder.log)
	if !strings.Contains(string(b), "refused a peer certificate") {
		t.Fatal("refusal not logged")
	}
}
