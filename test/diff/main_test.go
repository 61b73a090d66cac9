package diff

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// Addresses of the two servers under test, set by TestMain.
var (
	redisAddr  string
	lightAddr  string
	skipReason string // non-empty: every test skips with this message
)

const noRedis = "redis-server not installed: the differential tests need the Debian package redis-server"

// needServers skips the test when redis-server is missing.
func needServers(t testing.TB) {
	t.Helper()
	if skipReason != "" {
		t.Skip(skipReason)
	}
}

// server is a child process in its own process group.
type server struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
}

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	if _, err := exec.LookPath("redis-server"); err != nil {
		skipReason = noRedis
		return m.Run()
	}
	// The servers get PDEATHSIG, which Linux delivers when the thread that
	// started them exits: keep this goroutine on its thread for the whole
	// run, so that a panic or a timeout that kills the test binary kills the
	// servers too.
	runtime.LockOSThread()

	dir, err := os.MkdirTemp("", "lightcone-diff-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "diff:", err)
		return 1
	}
	defer os.RemoveAll(dir)

	// LIGHTCONE_ADDR tests a server that is already running (e.g. one under
	// a debugger, or a second redis-server to check the harness itself).
	external := os.Getenv("LIGHTCONE_ADDR")
	// LIGHTCONE_BIN runs a binary built beforehand instead of building the
	// tree (e.g. to bisect, or while the tree does not build).
	bin := os.Getenv("LIGHTCONE_BIN")
	if external == "" && bin == "" {
		bin = filepath.Join(dir, "lightcone")
		build := exec.Command(goTool(), "build", "-o", bin, "github.com/lightconedb/lightcone/cmd/lightcone")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "diff: building lightcone:", err)
			return 1
		}
	}

	var servers []*server
	defer func() {
		for _, s := range servers {
			s.stop()
		}
	}()
	rs, err := startServer(dir, "redis", func(port int) []string {
		return []string{"redis-server", "--port", strconv.Itoa(port), "--save", "", "--appendonly", "no",
			"--bind", "127.0.0.1", "--daemonize", "no", "--dir", dir}
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "diff:", err)
		return 1
	}
	servers = append(servers, rs)
	redisAddr = rs.addr()
	if external != "" {
		lightAddr = external
		restoreAddr = lightAddr
		return m.Run()
	}
	ls, err := startServer(dir, "lightcone", func(port int) []string {
		data := filepath.Join(dir, "data-"+strconv.Itoa(port))
		return []string{bin, "server", "--port", strconv.Itoa(port), "--dir", data, "--loglevel", "warning", "--save", "", "--appendonly", "no"}
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "diff:", err)
		return 1
	}
	servers = append(servers, ls)
	lightAddr = ls.addr()
	restoreAddr = lightAddr
	return m.Run()
}

// goTool returns the go command that runs this test, or "go" from PATH.
func goTool() string {
	if root := os.Getenv("GOROOT"); root != "" {
		if p := filepath.Join(root, "bin", "go"); fileExists(p) {
			return p
		}
	}
	return "go"
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// freePort asks the kernel for a free port. Another process may take it
// before the server binds it: startServer retries.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// startServer starts argv(port) on a free port and waits until it answers
// PING. A server that exits early (port taken meanwhile) is retried on
// another port.
func startServer(dir, name string, argv func(port int) []string) (*server, error) {
	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		args := argv(port)
		logPath := filepath.Join(dir, fmt.Sprintf("%s-%d.log", name, port))
		logf, err := os.Create(logPath)
		if err != nil {
			return nil, err
		}
		cmd := exec.Command(args[0], args[1:]...)
		cmd.Dir = dir
		cmd.Stdout, cmd.Stderr = logf, logf
		cmd.SysProcAttr = childAttr()
		if err := cmd.Start(); err != nil {
			logf.Close()
			return nil, fmt.Errorf("starting %s: %w", name, err)
		}
		logf.Close()
		s := &server{name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
		go func() { cmd.Wait(); close(s.done) }()
		if err := s.waitReady(port, 15*time.Second); err != nil {
			s.stop()
			out, _ := os.ReadFile(logPath)
			lastErr = fmt.Errorf("%s on port %d: %w\n%s", name, port, err, tail(out, 2000))
			continue
		}
		return s, nil
	}
	return nil, lastErr
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

func (s *server) addr() string {
	// The port is the value after "--port" in the argv.
	for i, a := range s.cmd.Args {
		if a == "--port" && i+1 < len(s.cmd.Args) {
			return "127.0.0.1:" + s.cmd.Args[i+1]
		}
	}
	panic("no --port")
}

// waitReady polls PING until the server answers +PONG.
func (s *server) waitReady(port int, d time.Duration) error {
	deadline := time.Now().Add(d)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			return errors.New("exited during startup")
		default:
		}
		if pingOnce(addr) {
			// The port may belong to someone else's server: ours must
			// still be running.
			select {
			case <-s.done:
				return errors.New("exited during startup")
			case <-time.After(50 * time.Millisecond):
			}
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return errors.New("no PONG before the deadline")
}

func pingOnce(addr string) bool {
	nc, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(time.Second))
	if _, err := nc.Write([]byte("*1\r\n$4\r\nPING\r\n")); err != nil {
		return false
	}
	buf := make([]byte, 7)
	n, _ := nc.Read(buf)
	return bytes.Equal(buf[:n], []byte("+PONG\r\n"))
}

// stop kills the server's process group and reaps it.
func (s *server) stop() {
	if s.cmd.Process == nil {
		return
	}
	syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
		fmt.Fprintf(os.Stderr, "diff: %s (pid %d) did not exit\n", s.name, s.cmd.Process.Pid)
	}
}
