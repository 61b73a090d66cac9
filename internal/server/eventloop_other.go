//go:build !linux

package server

import (
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"

	"github.com/lightconedb/lightcone/internal/engine"
)

// Event loops need epoll; elsewhere every connection gets a goroutine.

// loop is never made here (a client's loop is always nil); its fields are
// those the portable code names.
type loop struct {
	s        *Server
	epfd     int
	mu       sync.Mutex
	conns    map[int]*client
	deferred []*client
	gateHeld bool
	helping  atomic.Bool
	eng      *engine.Engine
}

func (l *loop) leaveGate()      {}
func (l *loop) close(c *client) {}

var errWouldBlock = errors.New("would block")

func (s *Server) startLoops(n int) error   { s.noLoops = true; return nil }
func (s *Server) adopt(conn net.Conn) bool { return false }
func (s *Server) wakeLoops()               {}
func (c *client) killFD()                  {}

type fdReader struct{ c *client }

func (r fdReader) Read(p []byte) (int, error) { return 0, io.EOF }

type fdWriter struct{ c *client }

func (w fdWriter) Write(p []byte) (int, error) { return 0, io.ErrClosedPipe }

func (l *loop) queueResume(c *client, reply []byte) {}
