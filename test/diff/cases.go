package diff

// Case files: test/diff/testdata/<family>.txt, one subtest of TestCases per
// file (go test ./test/diff -run TestCases/strings).
//
// Format, line by line:
//
//   - Blank lines and lines whose first non-blank character is '#' are
//     ignored.
//   - "---" starts a new scenario: new connections to both servers (RESP2,
//     db 0), then FLUSHALL on both. The start of the file is the start of
//     the first scenario.
//   - Every other line is one command, split into arguments like redis-cli
//     does: words separated by blanks; "double quotes" with the escapes \n
//     \r \t \b \a \\ \" and \xHH (two hex digits; any other \c is c);
//     'single quotes' with only \' as escape. A closing quote must be
//     followed by a blank or the end of the line.
//   - Directives may precede the command on the same line:
//
//	!sort       sort the elements of an array/set/map reply (maps by
//	            key/value pair) on both sides before comparing
//	!nocompare  send to both servers, read both replies, ignore them
//	!scan       a SCAN-like command: the cursor is the first argument for
//	            SCAN and the second for HSCAN/SSCAN/ZSCAN (key, cursor);
//	            the command is repeated with the returned cursor until it
//	            is 0 on each server, and the sorted, de-duplicated union of
//	            the returned elements is compared (HSCAN and ZSCAN elements
//	            as field/value pairs)
//	!dump       the reply is a DUMP payload: both are decoded with
//	            internal/rdb and compared by type and value; if either
//	            fails to decode, the bytes are compared
//
//	!ignore=F1,F2  in map-like replies (RESP3 maps, or RESP2 arrays of
//	            field/value pairs), the values of fields F1, F2 are not
//	            compared (ACL LOG's age-seconds and client-info)
//
//   - "!sleep MS" on a line of its own sleeps MS milliseconds.
//
// Several connections per scenario, pushes and pub/sub messages:
//
//   - "@N " (N = 1..9) before a line's directives sends it on connection N
//     of the scenario (opened on first use: RESP2, db 0; plain lines go to
//     connection 1). Such a line is read in sync mode, and so is every line
//     of a scenario after a line holding only "!sync".
//   - Sync mode: after the command the harness sends "PING <marker>" on the
//     same connection and reads every value up to the marker's reply (a
//     bulk string, or ["pong", marker] in RESP2 subscribed mode), then does
//     the same on every other open connection of the scenario, in number
//     order. What each connection received — the command's replies (all of
//     them: SUBSCRIBE a b replies twice), messages, RESP3 pushes — is
//     compared as a sequence, connection by connection. A server delivers
//     whatever it published before the marker's reply, so the comparison
//     is deterministic. The marker PINGs are commands like any other (they
//     show in MONITOR output).
//   - "!unordered" (sync mode): the values each connection received are
//     compared as a multiset (Redis walks patterns and a client's channels
//     in hash order).
//   - "@idN" in an argument is replaced by the client ID of connection N on
//     each server (the harness asks every connection CLIENT ID as it opens
//     when a file uses "@id" or "!ids"). Where a reply names a client ID
//     (HELLO's "id", TRACKINGINFO's "redirect", a tracking-redir-broken
//     push) the ID of a scenario connection is shown as "@idN" on both
//     sides; "!ids" (sync mode) does the same for integer replies.
//   - MONITOR lines ("+<time> [<db> <addr>] ...") are compared with the time
//     replaced by "T" and an address of a scenario connection by "@N".
//
// A sync line must not block (BLPOP) nor turn replies off (CLIENT REPLY).
//
// Replies are compared exactly: kind, bytes, nullness and nesting (RESP3
// doubles by their text). A mismatch reports file:line, the command and both
// replies as redis-cli would print them; the scenario goes on. A command
// after which both servers close the connection (QUIT) must be the last of
// its scenario; the harness checks that both did close it.

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lightconedb/lightcone/internal/rdb"
	"github.com/lightconedb/lightcone/internal/resp"
)

// caseStep is one non-blank line of a case file.
type caseStep struct {
	line     int
	text     string
	scenario bool          // "---"
	isSleep  bool          // "!sleep MS"
	sleep    time.Duration // its duration
	args     []string
	sort     bool
	noCmp    bool
	scan     bool
	dump     bool
	ignore   []string
	conn     int  // connection number (0: plain line, connection 1)
	syncOn   bool // "!sync" on its own: sync mode for the rest of the scenario
	unorder  bool // "!unordered"
	ids      bool // "!ids"
}

// parseCaseFile parses a case file.
func parseCaseFile(path string) ([]caseStep, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	name := filepath.Base(path)
	var steps []caseStep
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), 16*1024*1024)
	for n := 1; sc.Scan(); n++ {
		text := strings.TrimRight(sc.Text(), "\r")
		trimmed := strings.TrimSpace(text)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		st := caseStep{line: n, text: trimmed}
		if trimmed == "---" {
			st.scenario = true
			steps = append(steps, st)
			continue
		}
		words, err := SplitArgs(trimmed)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %v", name, n, err)
		}
		if len(words) > 0 && len(words[0]) == 2 && words[0][0] == '@' && words[0][1] >= '1' && words[0][1] <= '9' {
			st.conn = int(words[0][1] - '0')
			words = words[1:]
		}
		if len(words) == 1 && words[0] == "!sync" && st.conn == 0 {
			st.syncOn = true
			steps = append(steps, st)
			continue
		}
		for len(words) > 0 && strings.HasPrefix(words[0], "!") {
			switch words[0] {
			case "!unordered":
				st.unorder = true
			case "!ids":
				st.ids = true
			case "!sort":
				st.sort = true
			case "!nocompare":
				st.noCmp = true
			case "!scan":
				st.scan = true
			case "!dump":
				st.dump = true
			case "!ignore":
				return nil, fmt.Errorf("%s:%d: !ignore needs =FIELD[,FIELD...]", name, n)
			case "!sleep":
				if len(words) != 2 {
					return nil, fmt.Errorf("%s:%d: !sleep takes one argument (milliseconds) on a line of its own", name, n)
				}
				ms, err := strconv.Atoi(words[1])
				if err != nil || ms < 0 {
					return nil, fmt.Errorf("%s:%d: bad !sleep duration %q", name, n, words[1])
				}
				st.isSleep, st.sleep = true, time.Duration(ms)*time.Millisecond
				words = nil
				continue
			default:
				if f, ok := strings.CutPrefix(words[0], "!ignore="); ok && f != "" {
					st.ignore = strings.Split(f, ",")
					break
				}
				return nil, fmt.Errorf("%s:%d: unknown directive %s", name, n, words[0])
			}
			words = words[1:]
		}
		if st.isSleep {
			if st.sort || st.noCmp || st.scan || st.dump || st.conn != 0 || st.unorder || st.ids {
				return nil, fmt.Errorf("%s:%d: !sleep goes on a line of its own", name, n)
			}
			steps = append(steps, st)
			continue
		}
		if len(words) == 0 {
			return nil, fmt.Errorf("%s:%d: directives without a command", name, n)
		}
		if st.scan && len(words) < scanCursorIndex(words)+1 {
			return nil, fmt.Errorf("%s:%d: !scan needs a cursor argument", name, n)
		}
		st.args = words
		steps = append(steps, st)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	return steps, nil
}

// SplitArgs splits a line into arguments the way redis-cli does.
func SplitArgs(line string) ([]string, error) {
	var args []string
	i := 0
	for {
		for i < len(line) && isBlank(line[i]) {
			i++
		}
		if i >= len(line) {
			return args, nil
		}
		var cur []byte
		inDouble, inSingle, done := false, false, false
		for !done {
			if i >= len(line) {
				if inDouble || inSingle {
					return nil, fmt.Errorf("unbalanced quotes")
				}
				break
			}
			c := line[i]
			switch {
			case inDouble:
				switch {
				case c == '\\' && i+3 < len(line) && line[i+1] == 'x' && isHex(line[i+2]) && isHex(line[i+3]):
					cur = append(cur, hexByte(line[i+2])<<4|hexByte(line[i+3]))
					i += 3
				case c == '\\' && i+1 < len(line):
					i++
					switch e := line[i]; e {
					case 'n':
						cur = append(cur, '\n')
					case 'r':
						cur = append(cur, '\r')
					case 't':
						cur = append(cur, '\t')
					case 'b':
						cur = append(cur, '\b')
					case 'a':
						cur = append(cur, '\a')
					default:
						cur = append(cur, e)
					}
				case c == '"':
					if i+1 < len(line) && !isBlank(line[i+1]) {
						return nil, fmt.Errorf("closing quote must be followed by a blank")
					}
					done = true
				default:
					cur = append(cur, c)
				}
			case inSingle:
				switch {
				case c == '\\' && i+1 < len(line) && line[i+1] == '\'':
					i++
					cur = append(cur, '\'')
				case c == '\'':
					if i+1 < len(line) && !isBlank(line[i+1]) {
						return nil, fmt.Errorf("closing quote must be followed by a blank")
					}
					done = true
				default:
					cur = append(cur, c)
				}
			default:
				switch c {
				case ' ', '\n', '\r', '\t', 0:
					done = true
				case '"':
					inDouble = true
				case '\'':
					inSingle = true
				default:
					cur = append(cur, c)
				}
			}
			if i < len(line) {
				i++
			}
		}
		args = append(args, string(cur))
	}
}

func isBlank(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func hexByte(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// scanCursorIndex returns the index of the cursor in a SCAN-like command.
func scanCursorIndex(args []string) int {
	if len(args) > 0 && strings.EqualFold(args[0], "scan") {
		return 1
	}
	return 2
}

// RunCaseFile runs one case file against both servers.
func RunCaseFile(t *testing.T, path, redisAddr, lightAddr string) {
	t.Helper()
	steps, err := parseCaseFile(path)
	if err != nil {
		t.Fatal(err)
	}
	runSteps(t, filepath.Base(path), steps, redisAddr, lightAddr)
}

// runSteps runs parsed (or generated) case steps against both servers; it
// returns the number of replies compared.
func runSteps(t *testing.T, name string, steps []caseStep, redisAddr, lightAddr string) int {
	t.Helper()
	p := &Pair{redisAddr: redisAddr, lightAddr: lightAddr}
	sc := &scenario{conns: map[int]*Pair{}}
	for _, st := range steps {
		if st.ids || strings.Contains(strings.Join(st.args, " "), "@id") {
			sc.wantIDs = true // ask every connection its ID as it opens
		}
	}
	defer func() { sc.close(p) }()
	nErr, compared := 0, 0
	fail := func(format string, args ...any) {
		t.Helper()
		t.Errorf(format, args...)
		if nErr++; nErr >= 30 {
			t.Fatalf("%s: too many mismatches, giving up", name)
		}
	}
	broken := false // the scenario lost sync with a server: skip to the next
	closed := false // both servers closed the connection (QUIT)
	start := func(line int) {
		sc.close(nil)
		if err := p.Reset(); err != nil {
			t.Fatalf("%s:%d: starting a scenario (new connections, FLUSHALL): %v", name, max(line, 1), err)
		}
		sc.conns[1] = p
		broken, closed = false, false
		sc.sync = false
		if sc.wantIDs {
			if _, err := sc.clientIDs(1); err != nil {
				t.Fatalf("%s:%d: %v", name, max(line, 1), err)
			}
		}
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
		case st.conn > 1 || sc.sync || st.conn == 1:
			where := fmt.Sprintf("%s:%d: %s", name, st.line, st.text)
			msg, n, err := sc.syncStep(st)
			compared += n
			if err != nil {
				fail("%s\n  %v (skipping the rest of the scenario)", where, err)
				broken = true
			} else if msg != "" {
				fail("%s\n%s", where, msg)
			}
			continue
		case closed:
			fail("%s:%d: %s: the connection was closed by the previous command; start a new scenario with ---", name, st.line, st.text)
			broken = true
			continue
		}
		where := fmt.Sprintf("%s:%d: %s", name, st.line, Quote(st.args))
		if st.scan {
			msg, err := runScan(p, st)
			if err != nil {
				fail("%s\n  %v (skipping the rest of the scenario)", where, err)
				broken = true
			} else if msg != "" {
				fail("%s\n%s", where, msg)
			}
			compared++
			continue
		}
		rv, lv, err := p.Do(st.args...)
		if err != nil {
			fail("%s\n  %v (skipping the rest of the scenario)", where, err)
			broken = true
			continue
		}
		if strings.EqualFold(st.args[0], "quit") {
			rerr, lerr := p.Redis.ExpectClosed(time.Second), p.Light.ExpectClosed(time.Second)
			if (rerr == nil) != (lerr == nil) {
				fail("%s\n  after QUIT: redis: %v, lightcone: %v", where, errText(rerr, "closed"), errText(lerr, "closed"))
			}
			closed = rerr == nil && lerr == nil
			broken = !closed
		}
		if st.noCmp {
			continue
		}
		compared++
		if len(st.ignore) > 0 {
			rv, lv = maskFields(rv, st.ignore), maskFields(lv, st.ignore)
		}
		if msg := compareReplies(rv, lv, st.sort, st.dump); msg != "" {
			fail("%s\n%s", where, msg)
		}
	}
	t.Logf("%s: %d replies compared", name, compared)
	return compared
}

func errText(err error, ok string) string {
	if err == nil {
		return ok
	}
	return err.Error()
}

// compareReplies returns "" if the replies match, else a report of both.
func compareReplies(rv, lv resp.Value, sortReply, dump bool) string {
	if sortReply {
		rv, lv = SortReply(rv), SortReply(lv)
	}
	if dump && rv.Kind == resp.KindBulk && lv.Kind == resp.KindBulk && !rv.Null && !lv.Null {
		ro, rerr := rdb.Decode(rv.Str)
		lo, lerr := rdb.Decode(lv.Str)
		if rerr == nil && lerr == nil {
			if ro.Type == lo.Type && ro.Type == rdb.TypeString && bytes.Equal(ro.Str, lo.Str) {
				return ""
			}
			if ro.Type == lo.Type && ro.Type != rdb.TypeString {
				// a collection: same value iff both payloads RESTORE to
				// values with the same DEBUG DIGEST-VALUE (member order,
				// which Redis leaves unspecified, does not count)
				if msg := sameRestoredValue(rv.Str, lv.Str); msg == "" {
					return ""
				} else {
					return "  DUMP payloads hold different values: " + msg
				}
			}
			return fmt.Sprintf("  DUMP payloads decode differently:\n  redis:     type %d %q\n  lightcone: type %d %q", ro.Type, ro.Str, lo.Type, lo.Str)
		}
	}
	if Equal(rv, lv) {
		return ""
	}
	return describe(rv, lv)
}

func describe(rv, lv resp.Value) string {
	return fmt.Sprintf("  redis:     %s\n  lightcone: %s", indent(kindTag(rv)+rv.String(), "             "),
		indent(kindTag(lv)+lv.String(), "             "))
}

// kindTag makes differences that redis-cli's rendering hides visible (a
// simple string vs a bulk string, a RESP2 vs RESP3 null, array vs set).
func kindTag(v resp.Value) string {
	return "[" + string(rune(v.Kind)) + "] "
}

// runScan iterates a SCAN-like command on each server and compares the
// union of the elements. It returns a mismatch report, or an error if a
// server could not be talked to.
func runScan(p *Pair, st caseStep) (string, error) {
	ci := scanCursorIndex(st.args)
	pairs := len(st.args) > 0 && (strings.EqualFold(st.args[0], "hscan") || strings.EqualFold(st.args[0], "zscan"))
	collect := func(c *Client) (resp.Value, map[string]resp.Value, error) {
		args := append([]string(nil), st.args...)
		seen := map[string]resp.Value{}
		for iter := 0; ; iter++ {
			if iter > 100000 {
				return resp.Value{}, nil, fmt.Errorf("%s: SCAN does not terminate", c.Name)
			}
			v, err := c.Do(args...)
			if err != nil {
				return v, nil, err
			}
			if v.Kind != resp.KindArray || len(v.Elems) != 2 || v.Elems[0].Kind != resp.KindBulk {
				if iter == 0 {
					return v, nil, nil // an error reply: compared as is
				}
				return v, nil, fmt.Errorf("%s: malformed SCAN reply %s", c.Name, v)
			}
			elems := v.Elems[1].Elems
			step := 1
			if pairs && len(elems)%2 == 0 {
				step = 2
			}
			for i := 0; i+step <= len(elems); i += step {
				var k []byte
				for _, e := range elems[i : i+step] {
					k = canon(k, e)
				}
				if step == 2 {
					seen[string(k)] = resp.Value{Kind: resp.KindArray, Elems: elems[i : i+2]}
				} else {
					seen[string(k)] = elems[i]
				}
			}
			cursor := string(v.Elems[0].Str)
			if cursor == "0" {
				return resp.Value{}, seen, nil
			}
			args[ci] = cursor
		}
	}
	rv, rseen, err := collect(p.Redis)
	if err != nil {
		return "", err
	}
	lv, lseen, err := collect(p.Light)
	if err != nil {
		return "", err
	}
	if rseen == nil || lseen == nil {
		if rseen == nil && lseen == nil && Equal(rv, lv) {
			return "", nil
		}
		if rseen != nil {
			rv = union(rseen)
		}
		if lseen != nil {
			lv = union(lseen)
		}
		return describe(rv, lv), nil
	}
	ru, lu := union(rseen), union(lseen)
	if !Equal(ru, lu) {
		return "  union of the scanned elements differs:\n" + describe(ru, lu), nil
	}
	return "", nil
}

func union(seen map[string]resp.Value) resp.Value {
	v := resp.Value{Kind: resp.KindArray}
	for _, e := range seen {
		v.Elems = append(v.Elems, e)
	}
	return SortReply(v)
}

// maskFields replaces, anywhere in v, the value that follows a field named
// in fields (in maps and in arrays of field/value pairs) by "(ignored)".
func maskFields(v resp.Value, fields []string) resp.Value {
	switch v.Kind {
	case resp.KindArray, resp.KindMap, resp.KindSet, resp.KindPush:
	default:
		return v
	}
	out := v
	out.Elems = make([]resp.Value, len(v.Elems))
	for i, e := range v.Elems {
		out.Elems[i] = maskFields(e, fields)
	}
	for i := 0; i+1 < len(out.Elems); i += 2 {
		k := out.Elems[i]
		if k.Kind != resp.KindBulk && k.Kind != resp.KindSimple {
			continue
		}
		for _, f := range fields {
			if string(k.Str) == f {
				out.Elems[i+1] = resp.Value{Kind: resp.KindSimple, Str: []byte("(ignored)")}
			}
		}
	}
	return out
}

// restoreAddr is the Lightcone server DUMP payloads are compared on (set
// by TestMain).
var restoreAddr string

// sameRestoredValue restores both DUMP payloads into Lightcone (on a
// connection of its own) and compares their DEBUG DIGEST-VALUE; "" when
// equal.
func sameRestoredValue(r, l []byte) string {
	if restoreAddr == "" {
		return "no Lightcone address to compare DUMP payloads on"
	}
	c, err := Dial("lightcone", restoreAddr)
	if err != nil {
		return err.Error()
	}
	defer c.Close()
	c.Do("SELECT", "15")
	defer c.Do("DEL", "__dumpcmp_r", "__dumpcmp_l")
	if v, err := c.Do("RESTORE", "__dumpcmp_r", "0", string(r), "REPLACE"); err != nil || v.Kind == resp.KindError {
		return fmt.Sprintf("Lightcone cannot RESTORE redis' payload: %v %s", err, v.String())
	}
	if v, err := c.Do("RESTORE", "__dumpcmp_l", "0", string(l), "REPLACE"); err != nil || v.Kind == resp.KindError {
		return fmt.Sprintf("Lightcone cannot RESTORE its own payload: %v %s", err, v.String())
	}
	v, err := c.Do("DEBUG", "DIGEST-VALUE", "__dumpcmp_r", "__dumpcmp_l")
	if err != nil || len(v.Elems) != 2 {
		return fmt.Sprintf("DEBUG DIGEST-VALUE: %v %s", err, v.String())
	}
	if !bytes.Equal(v.Elems[0].Str, v.Elems[1].Str) {
		return "digests " + string(v.Elems[0].Str) + " and " + string(v.Elems[1].Str)
	}
	return ""
}

// scenario holds the connections of one scenario beyond the first, for
// sync-mode lines ("@N", "!sync").
type scenario struct {
	conns   map[int]*Pair
	sync    bool
	wantIDs bool
	inMulti map[int]*[2]bool // connection → in MULTI on redis, lightcone
	ids     map[int][2]int64 // connection → its client ID on redis, lightcone
	retired map[[2]int64]int // IDs of closed connections → their number
	marker  int
}

// close closes every connection but keep (nil: all but connection 1, which
// the caller resets).
func (sc *scenario) close(keep *Pair) {
	for n, p := range sc.conns {
		if n != 1 {
			p.Close()
		} else if keep != nil {
			keep.Close()
		}
	}
	sc.conns = map[int]*Pair{}
	sc.ids = nil
	sc.retired = nil
	sc.inMulti = nil
}

// retire forgets connection n's ID for it (it closed) but keeps naming it
// in replies (a redirection may still point at it).
func (sc *scenario) retire(n int) {
	id, ok := sc.ids[n]
	if !ok {
		return
	}
	if sc.retired == nil {
		sc.retired = map[[2]int64]int{}
	}
	sc.retired[id] = n
	delete(sc.ids, n)
}

// multi is connection n's MULTI state on both servers.
func (sc *scenario) multi(n int) *[2]bool {
	if sc.inMulti == nil {
		sc.inMulti = map[int]*[2]bool{}
	}
	m := sc.inMulti[n]
	if m == nil {
		m = &[2]bool{}
		sc.inMulti[n] = m
	}
	return m
}

// The marker inside MULTI: a nested MULTI, refused without aborting the
// transaction (PING would be queued).
const nestedMulti = "ERR MULTI calls can not be nested"

// sendMarker sends the sync marker on c, whose MULTI state is inMulti.
func sendMarker(c *Client, marker string, inMulti bool) error {
	if inMulti {
		c.Send("MULTI")
	} else {
		c.Send("PING", marker)
	}
	return c.Flush()
}

// isMarker reports whether v is the reply to sendMarker.
func isMarker(v resp.Value, marker string, inMulti bool) bool {
	if inMulti {
		return v.Kind == resp.KindError && string(v.Str) == nestedMulti
	}
	if v.Kind == resp.KindBulk && string(v.Str) == marker {
		return true
	}
	return (v.Kind == resp.KindArray || v.Kind == resp.KindPush) && len(v.Elems) == 2 &&
		string(v.Elems[0].Str) == "pong" && string(v.Elems[1].Str) == marker
}

// closedValue stands for "the server closed the connection" in what a
// connection received.
var closedValue = resp.Value{Kind: resp.KindSimple, Str: []byte("<connection closed>")}

func isClosedErr(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, net.ErrClosed) || errors.Is(err, syscall.EPIPE)
}

// conn returns connection n, opening it if needed.
func (sc *scenario) conn(n int) (*Pair, error) {
	if p := sc.conns[n]; p != nil {
		return p, nil
	}
	one := sc.conns[1]
	p, err := DialPair(one.redisAddr, one.lightAddr)
	if err != nil {
		return nil, err
	}
	sc.conns[n] = p
	if sc.wantIDs {
		if _, err := sc.clientIDs(n); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// clientIDs returns connection n's client ID on both servers (asked with
// CLIENT ID the first time: do it before the connection subscribes).
func (sc *scenario) clientIDs(n int) ([2]int64, error) {
	if id, ok := sc.ids[n]; ok {
		return id, nil
	}
	p, err := sc.conn(n)
	if err != nil {
		return [2]int64{}, err
	}
	rv, lv, err := p.Do("CLIENT", "ID")
	if err != nil {
		return [2]int64{}, err
	}
	if rv.Kind != resp.KindInt || lv.Kind != resp.KindInt {
		return [2]int64{}, fmt.Errorf("CLIENT ID on connection %d replied %s / %s", n, rv, lv)
	}
	if sc.ids == nil {
		sc.ids = map[int][2]int64{}
	}
	id := [2]int64{rv.Int, lv.Int}
	sc.ids[n] = id
	return id, nil
}

// substitute replaces "@idN" in the arguments with connection N's client
// ID on server side (0 redis, 1 lightcone).
func (sc *scenario) substitute(args []string, side int) ([]string, error) {
	out := args
	for i, a := range args {
		for {
			j := strings.Index(a, "@id")
			if j < 0 || j+3 >= len(a) || a[j+3] < '1' || a[j+3] > '9' {
				break
			}
			id, err := sc.clientIDs(int(a[j+3] - '0'))
			if err != nil {
				return nil, err
			}
			if &out[0] == &args[0] {
				out = append([]string(nil), args...)
			}
			a = a[:j] + strconv.FormatInt(id[side], 10) + a[j+4:]
			out[i] = a
		}
	}
	return out, nil
}

// syncStep runs a sync-mode line: it returns a mismatch report, the number
// of values compared, or an error when a server could not be talked to.
func (sc *scenario) syncStep(st caseStep) (string, int, error) {
	if st.scan || st.dump {
		return "", 0, fmt.Errorf("!scan and !dump are not supported in sync mode")
	}
	n := max(st.conn, 1)
	p, err := sc.conn(n)
	if err != nil {
		return "", 0, err
	}
	quit := strings.EqualFold(st.args[0], "quit")
	sc.marker++
	marker := fmt.Sprintf("lightcone-diff-sync-%d", sc.marker)
	var got [2]map[int][]resp.Value
	var closedOK [2]bool
	order := func() []int {
		ks := make([]int, 0, len(sc.conns))
		for k := range sc.conns {
			ks = append(ks, k)
		}
		slices.Sort(ks)
		return ks
	}
	name := strings.ToUpper(st.args[0])
	gone := map[int][2]bool{}
	for side := 0; side < 2; side++ {
		got[side] = map[int][]resp.Value{}
		args, err := sc.substitute(st.args, side)
		if err != nil {
			return "", 0, err
		}
		c := p.Redis
		if side == 1 {
			c = p.Light
		}
		m := sc.multi(n)
		c.Send(args...)
		if quit || (name == "MULTI" && !m[side]) {
			// the marker waits for the reply; otherwise both go in one
			// write, so that a server handles them in one batch
			if err := c.Flush(); err != nil {
				return "", 0, err
			}
		}
		var vals []resp.Value
		switch {
		case quit:
			v, err := c.Read()
			if err != nil {
				return "", 0, err
			}
			vals = []resp.Value{v}
			closedOK[side] = c.ExpectClosed(time.Second) == nil
		case name == "MULTI" && !m[side]:
			// its reply says whether the marker must be a nested MULTI;
			// pushes and RESP2 messages may come first
			for {
				v, err := c.Read()
				if err != nil {
					return "", 0, err
				}
				vals = append(vals, v)
				if v.Kind != resp.KindPush && v.Kind != resp.KindArray {
					m[side] = v.Kind == resp.KindSimple && string(v.Str) == "OK"
					break
				}
			}
			fallthrough
		default:
			skip := 0
			if name == "MULTI" && m[side] && len(vals) == 0 {
				skip = 1 // MULTI inside MULTI: its own reply looks like the marker
			}
			if name == "EXEC" || ((name == "DISCARD" || name == "RESET") && len(args) == 1) {
				m[side] = false // the transaction ends, whatever the reply
			}
			if err := sendMarker(c, marker, m[side]); err != nil {
				return "", 0, err
			}
			for {
				v, err := c.Read()
				if err != nil {
					if isClosedErr(err) {
						vals = append(vals, closedValue)
						g := gone[n]
						g[side] = true
						gone[n] = g
						break
					}
					return "", 0, err
				}
				if isMarker(v, marker, m[side]) {
					if skip == 0 {
						break
					}
					skip--
				}
				vals = append(vals, v)
			}
		}
		got[side][n] = vals
		for _, k := range order() {
			if k == n {
				continue
			}
			o := sc.conns[k].Redis
			if side == 1 {
				o = sc.conns[k].Light
			}
			mk := sc.multi(k)
			var vals []resp.Value
			err := sendMarker(o, marker, mk[side])
			for err == nil {
				var v resp.Value
				v, err = o.Read()
				if err == nil && isMarker(v, marker, mk[side]) {
					break
				}
				if err == nil {
					vals = append(vals, v)
				}
			}
			if err != nil {
				if !isClosedErr(err) {
					return "", 0, err
				}
				vals = append(vals, closedValue)
				g := gone[k]
				g[side] = true
				gone[k] = g
			}
			got[side][k] = vals
		}
	}
	// normalize: MONITOR lines, client IDs
	for side := 0; side < 2; side++ {
		addrs := map[string]string{}
		ids := map[int64]string{}
		for k, q := range sc.conns {
			c := q.Redis
			if side == 1 {
				c = q.Light
			}
			addrs[c.nc.LocalAddr().String()] = "@" + strconv.Itoa(k)
		}
		for id, k := range sc.retired {
			ids[id[side]] = "@id" + strconv.Itoa(k)
		}
		for k, id := range sc.ids {
			ids[id[side]] = "@id" + strconv.Itoa(k)
		}
		for k, vals := range got[side] {
			for i := range vals {
				vals[i] = normalizeValue(vals[i], addrs, ids, st.ids)
			}
			got[side][k] = vals
		}
	}
	if quit {
		if closedOK[0] != closedOK[1] {
			return fmt.Sprintf("  after QUIT: redis closed: %v, lightcone closed: %v", closedOK[0], closedOK[1]), 0, nil
		}
		sc.retire(n)
		delete(sc.inMulti, n)
		if n == 1 {
			// connection 1 is re-dialed for the following lines
			p.Close()
			np, err := DialPair(p.redisAddr, p.lightAddr)
			if err != nil {
				return "", 0, err
			}
			*p = *np
			if sc.wantIDs {
				if _, err := sc.clientIDs(1); err != nil {
					return "", 0, err
				}
			}
		} else {
			p.Close()
			delete(sc.conns, n)
		}
	}
	for k, g := range gone {
		if !g[0] || !g[1] {
			continue
		}
		q := sc.conns[k]
		q.Close()
		sc.retire(k)
		delete(sc.inMulti, k)
		if k != 1 {
			delete(sc.conns, k)
			continue
		}
		np, err := DialPair(q.redisAddr, q.lightAddr) // connection 1 always exists
		if err != nil {
			return "", 0, err
		}
		*q = *np
	}
	if st.noCmp {
		return "", 0, nil
	}
	var report strings.Builder
	compared := 0
	keys := make([]int, 0, len(got[0]))
	for k := range got[0] {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		rv, lv := got[0][k], got[1][k]
		if st.sort {
			for i := range rv {
				rv[i] = SortReply(rv[i])
			}
			for i := range lv {
				lv[i] = SortReply(lv[i])
			}
		}
		if st.unorder {
			rv = sortValues(rv)
			lv = sortValues(lv)
		}
		compared += len(rv)
		same := len(rv) == len(lv)
		for i := 0; same && i < len(rv); i++ {
			same = Equal(rv[i], lv[i])
		}
		if !same {
			fmt.Fprintf(&report, "  connection %d received:\n%s", k, describe(valueList(rv), valueList(lv)))
			if os.Getenv("DIFF_DEBUG") != "" { // the exact encodings, when the rendering hides the difference
				fmt.Fprintf(&report, "\n  %q\n  %q", canon(nil, valueList(rv)), canon(nil, valueList(lv)))
			}
			report.WriteByte('\n')
		}
	}
	return strings.TrimSuffix(report.String(), "\n"), compared, nil
}

// normalizeValue rewrites what differs between two servers by nature:
// MONITOR lines (time, client address) and client IDs where replies name
// them (HELLO's "id", TRACKINGINFO's "redirect", tracking-redir-broken
// pushes), and, with top set ("!ids"), integer replies equal to an ID.
func normalizeValue(v resp.Value, addrs map[string]string, ids map[int64]string, top bool) resp.Value {
	id := func(x resp.Value) resp.Value {
		if name, ok := ids[x.Int]; ok && x.Kind == resp.KindInt {
			return resp.Value{Kind: resp.KindSimple, Str: []byte(name)}
		}
		return x
	}
	switch v.Kind {
	case resp.KindSimple:
		v.Str = normalizeMonitorLine(v.Str, addrs)
	case resp.KindInt:
		if top {
			return id(v)
		}
	case resp.KindArray, resp.KindSet, resp.KindPush, resp.KindMap:
		elems := make([]resp.Value, len(v.Elems))
		for i, e := range v.Elems {
			elems[i] = normalizeValue(e, addrs, ids, false)
		}
		if len(elems) == 2 && string(elems[0].Str) == "tracking-redir-broken" {
			elems[1] = id(elems[1])
		}
		for i := 0; i+1 < len(elems); i += 2 {
			if k := string(elems[i].Str); elems[i].Kind == resp.KindBulk && (k == "id" || k == "redirect") {
				elems[i+1] = id(elems[i+1])
			}
		}
		v.Elems = elems
	}
	return v
}

// normalizeMonitorLine turns "1700000000.123456 [0 127.0.0.1:5000] ..." into
// "T [0 @N] ..." (N the scenario connection with that address).
func normalizeMonitorLine(s []byte, addrs map[string]string) []byte {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 0 || i+8 > len(s) || s[i] != '.' {
		return s
	}
	for j := i + 1; j < i+7; j++ {
		if s[j] < '0' || s[j] > '9' {
			return s
		}
	}
	rest := s[i+7:]
	if len(rest) < 2 || rest[0] != ' ' || rest[1] != '[' {
		return s
	}
	end := bytes.IndexByte(rest, ']')
	sp := bytes.IndexByte(rest[2:], ' ')
	if end < 0 || sp < 0 || 2+sp > end {
		return s
	}
	db, addr := rest[2:2+sp], string(rest[3+sp:end])
	if a, ok := addrs[addr]; ok {
		addr = a
	}
	out := append([]byte("T ["), db...)
	out = append(out, ' ')
	out = append(out, addr...)
	return append(out, rest[end:]...)
}

func sortValues(vs []resp.Value) []resp.Value {
	out := append([]resp.Value(nil), vs...)
	for i, v := range out {
		// a push written while a reply was being written lands inside the
		// reply's array (Redis does that, e.g. keymiss events during MGET):
		// those pushes are in hash order too
		for _, e := range v.Elems {
			if e.Kind == resp.KindPush {
				out[i] = SortReply(v)
				break
			}
		}
	}
	slices.SortStableFunc(out, func(a, b resp.Value) int { return bytes.Compare(canon(nil, a), canon(nil, b)) })
	return out
}

// valueList shows a sequence of values as one array for reports.
func valueList(vs []resp.Value) resp.Value { return resp.Value{Kind: resp.KindArray, Elems: vs} }
