//go:build linux

package cluster

import (
	"net"
	"syscall"
	"testing"

	"github.com/quic-go/quic-go"
)

func rcvbuf(t *testing.T, pc net.PacketConn) int {
	t.Helper()
	rc, err := pc.(syscall.Conn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var n int
	var serr error
	rc.Control(func(fd uintptr) { n, serr = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF) })
	if serr != nil {
		t.Fatal(serr)
	}
	return n
}

// QUIC must size the socket's buffers through the fault layer as it does
// on a bare socket: left at the system default, a burst of packets
// overflowed the receive buffer, a loss no fault description asked for.
func TestFaultConnLetsQUICSizeBuffers(t *testing.T) {
	bare := listenUDP(t)
	def := rcvbuf(t, bare)
	tr := &quic.Transport{Conn: bare}
	ln, err := tr.Listen(mustIdentity(t).ServerTLS(), &quic.Config{})
	if err != nil {
		t.Fatal(err)
	}
	want := rcvbuf(t, bare)
	ln.Close()
	tr.Close()

	under := listenUDP(t)
	fc := NewFaultConn(under, 1)
	tr = &quic.Transport{Conn: fc}
	ln, err = tr.Listen(mustIdentity(t).ServerTLS(), &quic.Config{})
	if err != nil {
		t.Fatal(err)
	}
	got := rcvbuf(t, under)
	ln.Close()
	tr.Close()
	t.Logf("receive buffer: system default %d, QUIC on a bare socket %d, through the fault layer %d", def, want, got)
	if got != want {
		t.Fatalf("receive buffer through the fault layer %d, on a bare socket %d", got, want)
	}
}

func mustIdentity(t *testing.T) *Identity {
	t.Helper()
	id, err := NewIdentity(testPass, 0x77)
	if err != nil {
		t.Fatal(err)
	}
	return id
}
