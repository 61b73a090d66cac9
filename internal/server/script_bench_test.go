package server

import (
	"net"
	"testing"
	"time"
)

// discardConn is a net.Conn whose writes vanish, for in-process benchmarks.
type discardConn struct{ net.Conn }

func (discardConn) Write(p []byte) (int, error) { return len(p), nil }
func (discardConn) Read([]byte) (int, error)    { select {} }
func (discardConn) Close() error                { return nil }
func (discardConn) LocalAddr() net.Addr         { return &net.TCPAddr{} }
func (discardConn) RemoteAddr() net.Addr        { return &net.TCPAddr{} }
func (discardConn) SetDeadline(time.Time) error { return nil }

// BenchmarkEvalshaDispatch is the CPU of one EVALSHA of a script that INCRs
// a key, from dispatch to reply, without the network.
func BenchmarkEvalshaDispatch(b *testing.B) {
	set := NewSettings()
	set.Set("port", "0")
	set.Set("dir", b.TempDir())
	set.Set("appendonly", "no")
	s, err := New(set, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Shutdown()
	c := s.newClient(discardConn{}, -1)
	sc, errs := s.scripting.eng.Load([]byte("return redis.call('INCR', KEYS[1])"))
	if errs != "" {
		b.Fatal(errs)
	}
	args := [][]byte{[]byte("evalsha"), []byte(sc.Sha), []byte("1"), []byte("counter")}
	s.gate.enter(c.slot)
	defer s.gate.leave(c.slot)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.dispatchCmd(c, args)
		if c.w.Buffered() > 8192 {
			c.w.Flush()
		}
	}
}
