//go:build !linux

package server

// Without event loops every client has its goroutine (pubsub_push.go).

func (l *loop) queuePush(c *client) {}
func (l *loop) markDirty(c *client) {}
