package resp

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"
)

// cmdResult is what a reader made of an input: the commands and the error
// that ended it.
type cmdResult struct {
	cmds [][][]byte
	err  error
}

func collectCommands(t *testing.T, r *Reader, inputLen int, lim Limits) cmdResult {
	var res cmdResult
	for {
		args, err := r.ReadCommand()
		if err != nil {
			res.err = err
			return res
		}
		if len(args) == 0 {
			t.Fatal("empty command returned")
		}
		if int64(len(args)) > lim.MaxMultibulkLen && len(args) > inputLen {
			t.Fatalf("%d args from %d bytes", len(args), inputLen)
		}
		cmd := make([][]byte, len(args))
		for i, a := range args {
			if int64(len(a)) > lim.MaxBulkLen || len(a) > inputLen {
				t.Fatalf("arg of %d bytes from %d bytes of input", len(a), inputLen)
			}
			cmd[i] = bytes.Clone(a)
		}
		res.cmds = append(res.cmds, cmd)
	}
}

func isChunkDependent(err error) bool {
	var pe *ProtocolError
	return errors.As(err, &pe) && strings.HasPrefix(pe.Msg, "Protocol error: too big")
}

func totalAlloc() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.TotalAlloc
}

func FuzzReadCommand(f *testing.F) {
	small := Limits{MaxBulkLen: 1 << 16, MaxMultibulkLen: 1000, MaxQueryBuf: 1 << 12, MaxInline: 64}
	def := DefaultLimits()
	f.Fuzz(func(t *testing.T, data []byte) {
		// Memory: a plain pass must allocate in proportion to the input,
		// whatever lengths the input declares.
		before := totalAlloc()
		r := NewReader(bytes.NewReader(data), 16)
		for {
			if _, err := r.ReadCommand(); err != nil {
				break
			}
		}
		if used := totalAlloc() - before; used > 64<<10+uint64(64*len(data)) {
			t.Fatalf("allocated %d bytes for %d bytes of input", used, len(data))
		}
		if len(r.buf) > max(16, 4*len(data)) {
			t.Fatalf("buffer of %d bytes for %d bytes of input", len(r.buf), len(data))
		}
		if r.Buffered() < 0 || r.Buffered() > len(data) {
			t.Fatalf("Buffered() = %d", r.Buffered())
		}

		whole := collectCommands(t, NewReader(bytes.NewReader(data), 16), len(data), def)
		var pe *ProtocolError
		if whole.err != io.EOF && !errors.As(whole.err, &pe) {
			t.Fatalf("unexpected error %T %v", whole.err, whole.err)
		}

		// One byte at a time must give the same commands (except for the
		// "too big" errors, which depend on how much input is buffered,
		// as in Redis).
		split := collectCommands(t, NewReader(iotest.OneByteReader(bytes.NewReader(data)), 16), len(data), def)
		if !isChunkDependent(whole.err) && !isChunkDependent(split.err) {
			if len(whole.cmds) != len(split.cmds) || whole.err.Error() != split.err.Error() {
				t.Fatalf("whole: %d cmds, %v; split: %d cmds, %v", len(whole.cmds), whole.err, len(split.cmds), split.err)
			}
			for i := range whole.cmds {
				if !equalArgs(whole.cmds[i], split.cmds[i]) {
					t.Fatalf("command %d: %q vs %q", i, whole.cmds[i], split.cmds[i])
				}
			}
		}

		// Small limits, unauthenticated: exercises the limit paths.
		rs := NewReader(&chunkReader{data: data, n: 5}, 16)
		rs.SetLimits(small)
		rs.SetAuthenticated(false)
		res := collectCommands(t, rs, len(data), small)
		if res.err != io.EOF && res.err != ErrQueryBufferLimit && !errors.As(res.err, &pe) {
			t.Fatalf("unexpected error %T %v", res.err, res.err)
		}

		// Every command re-encodes and parses back to the same arguments.
		var enc bytes.Buffer
		w := NewWriter(&enc, 64)
		for _, cmd := range whole.cmds {
			w.ArrayLen(len(cmd))
			for _, a := range cmd {
				w.Bulk(a)
			}
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		rr := NewReader(&enc, 16)
		for _, cmd := range whole.cmds {
			args, err := rr.ReadCommand()
			if err != nil || !equalArgs(args, cmd) {
				t.Fatalf("round trip of %q: %q %v", cmd, args, err)
			}
		}
		if _, err := rr.ReadCommand(); err != io.EOF {
			t.Fatalf("round trip: trailing %v", err)
		}
	})
}

func equalArgs(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

func FuzzReadValue(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		before := totalAlloc()
		r := NewReader(bytes.NewReader(data), 16)
		var vals []Value
		var err error
		for {
			var v Value
			if v, err = r.ReadValue(); err != nil {
				break
			}
			vals = append(vals, v)
		}
		if used := totalAlloc() - before; used > 64<<10+uint64(512*len(data)) {
			t.Fatalf("allocated %d bytes for %d bytes of input", used, len(data))
		}
		for _, v := range vals {
			_ = v.String()
		}
		var pe *ProtocolError
		if err != io.EOF && err != io.ErrUnexpectedEOF && !errors.As(err, &pe) {
			t.Fatalf("unexpected error %T %v", err, err)
		}
		if len(r.buf) > max(16, 4*len(data)) {
			t.Fatalf("buffer of %d bytes for %d bytes of input", len(r.buf), len(data))
		}

		// Same values when fed one byte at a time.
		r1 := NewReader(iotest.OneByteReader(bytes.NewReader(data)), 16)
		for i := 0; ; i++ {
			v, err1 := r1.ReadValue()
			if err1 != nil {
				if i != len(vals) || err1.Error() != err.Error() {
					t.Fatalf("split: %d values, %v; whole: %d values, %v", i, err1, len(vals), err)
				}
				break
			}
			if i >= len(vals) || !equalValue(v, vals[i]) {
				t.Fatalf("split value %d differs", i)
			}
		}

		// Re-encode and read back.
		var buf bytes.Buffer
		w := NewWriter(&buf, 64)
		for _, v := range vals {
			w.WriteValue(v)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		rr := NewReader(&buf, 16)
		for i, want := range vals {
			got, err := rr.ReadValue()
			if err != nil || !equalValue(got, want) {
				t.Fatalf("value %d: round trip %#v %v, want %#v", i, got, err, want)
			}
		}
		if _, err := rr.ReadValue(); err != io.EOF {
			t.Fatalf("round trip trailing %v", err)
		}
	})
}

// FuzzLookAhead: the look-ahead parsers that see a batch before the reader
// does (CommandKeys, EachCommand, for prefetching) never panic on any
// input, agree with each other, and agree with the reader on every command
// they report.
func FuzzLookAhead(f *testing.F) {
	f.Add([]byte("*3\r\n$4\r\nHSET\r\n$1\r\nh\r\n$1\r\nf\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"))
	f.Add([]byte("*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$-1\r\n"))
	f.Add([]byte("*20\r\n" + strings.Repeat("$1\r\nx\r\n", 20)))
	f.Add([]byte("*2\r\n$3\r\nGET\r\n$5\r\nab"))
	f.Fuzz(func(t *testing.T, data []byte) {
		keys := CommandKeys(data, nil, 64)
		var cmds [][][]byte
		EachCommand(data, 64, func(args [][]byte) bool {
			if len(args) > 16 {
				t.Fatalf("%d arguments passed, at most 16", len(args))
			}
			cmds = append(cmds, append([][]byte(nil), args...))
			return true
		})
		var fromEach [][]byte
		for _, args := range cmds {
			if len(args) >= 2 {
				fromEach = append(fromEach, args[1])
			}
		}
		if len(fromEach) != len(keys) {
			t.Fatalf("EachCommand saw %d keys, CommandKeys %d", len(fromEach), len(keys))
		}
		for i := range keys {
			if !bytes.Equal(keys[i], fromEach[i]) {
				t.Fatalf("key %d: %q vs %q", i, keys[i], fromEach[i])
			}
		}
		// every command reported is the reader's next command, unless the
		// reader refuses the input (the look-ahead does not validate: it
		// takes "$00" as a length, say, and the connection is closed anyway)
		r := NewReader(bytes.NewReader(data), 16)
		for i, want := range cmds {
			got, err := r.ReadCommand()
			if err != nil {
				var pe *ProtocolError
				if errors.As(err, &pe) {
					return
				}
				t.Fatalf("command %d: the reader failed (%v) where EachCommand saw %q", i, err, want)
			}
			for j := range want {
				if j >= len(got) || !bytes.Equal(got[j], want[j]) {
					t.Fatalf("command %d argument %d: reader %q, EachCommand %q", i, j, got, want)
				}
			}
		}
	})
}
