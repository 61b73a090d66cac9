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
// Replies are compared exactly: kind, bytes, nullness and nesting (RESP3
// doubles by their text). A mismatch reports file:line, the command and both
// replies as redis-cli would print them; the scenario goes on. A command
// after which both servers close the connection (QUIT) must be the last of
// its scenario; the harness checks that both did close it.

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
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
		for len(words) > 0 && strings.HasPrefix(words[0], "!") {
			switch words[0] {
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
			if st.sort || st.noCmp || st.scan || st.dump {
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
	name := filepath.Base(path)
	p := &Pair{redisAddr: redisAddr, lightAddr: lightAddr}
	defer p.Close()
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
		if err := p.Reset(); err != nil {
			t.Fatalf("%s:%d: starting a scenario (new connections, FLUSHALL): %v", name, max(line, 1), err)
		}
		broken, closed = false, false
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
