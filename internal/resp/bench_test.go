package resp

import (
	"bytes"
	"io"
	"testing"
)

// cyclicReader replays data forever.
type cyclicReader struct {
	data []byte
	off  int
}

func (c *cyclicReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		k := copy(p[n:], c.data[c.off:])
		n += k
		c.off = (c.off + k) % len(c.data)
	}
	return n, nil
}

// BenchmarkReadCommand reads a pipelined batch of SET commands; one op is
// one command.
func BenchmarkReadCommand(b *testing.B) {
	cmd := []byte("*3\r\n$3\r\nSET\r\n$8\r\nkey:0001\r\n$16\r\nvalue-0123456789\r\n")
	batch := bytes.Repeat(cmd, 100)
	r := NewReader(&cyclicReader{data: batch}, 16*1024)
	b.SetBytes(int64(len(cmd)))
	b.ReportAllocs()
	for b.Loop() {
		args, err := r.ReadCommand()
		if err != nil || len(args) != 3 {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadCommandInline reads pipelined inline commands.
func BenchmarkReadCommandInline(b *testing.B) {
	cmd := []byte("SET key:0001 value-0123456789\r\n")
	r := NewReader(&cyclicReader{data: bytes.Repeat(cmd, 100)}, 16*1024)
	b.SetBytes(int64(len(cmd)))
	b.ReportAllocs()
	for b.Loop() {
		if args, err := r.ReadCommand(); err != nil || len(args) != 3 {
			b.Fatal(err)
		}
	}
}

// BenchmarkWriterBulk writes bulk replies; one op is one reply.
func BenchmarkWriterBulk(b *testing.B) {
	val := []byte("value-0123456789")
	w := NewWriter(io.Discard, 16*1024)
	b.SetBytes(int64(len(val) + 7))
	b.ReportAllocs()
	for b.Loop() {
		w.Bulk(val)
	}
	_ = w.Flush()
}

// BenchmarkWriterMixed writes a typical mix of small replies.
func BenchmarkWriterMixed(b *testing.B) {
	val := []byte("value-0123456789")
	w := NewWriter(io.Discard, 16*1024)
	b.ReportAllocs()
	for b.Loop() {
		w.Simple("OK")
		w.Int(42)
		w.Null()
		w.ArrayLen(2)
		w.Bulk(val)
		w.Double(3.5)
	}
	_ = w.Flush()
}

// BenchmarkReadValue reads an array reply.
func BenchmarkReadValue(b *testing.B) {
	reply := []byte("*3\r\n$5\r\nhello\r\n:42\r\n$-1\r\n")
	r := NewReader(&cyclicReader{data: bytes.Repeat(reply, 100)}, 16*1024)
	b.SetBytes(int64(len(reply)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.ReadValue(); err != nil {
			b.Fatal(err)
		}
	}
}
