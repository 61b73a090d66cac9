//go:build !linux

package server

import (
	"errors"
	"io"
	"net"
)

// Event loops need epoll; elsewhere every connection gets a goroutine.

type loop struct{ epfd int }

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
