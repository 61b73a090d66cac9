package server

import (
	"math"
	"time"

	"github.com/lightconedb/lightcone/internal/commands"
)

// WAIT numreplicas timeout.
//
// Standalone, as a redis-server without replicas: 0 at once when
// numreplicas <= 0 (or inside MULTI), else the client blocks until the
// timeout (0 = for ever) and then gets 0.
//
// In a cluster, WAIT is a barrier on this node's own effects: it answers
// the number of peers that have applied every effect this node had stamped
// when WAIT was called (their applied frontiers, as their heartbeats report
// them), as soon as numreplicas peers have or when the timeout passes. The
// client is parked like BLPOP's (the event loop goes on); CLIENT UNBLOCK
// ends the wait like the timeout.

func cmdWait(c *commands.Ctx) {
	want, ok := c.IntArg(1)
	if !ok {
		return
	}
	ms, ok := commands.ParseInt(c.Args[2])
	if !ok {
		c.Error("ERR timeout is not an integer or out of range")
		return
	}
	if ms < 0 {
		c.Error("ERR timeout is negative")
		return
	}
	var deadline int64 // 0 = never
	if ms > 0 {
		now := time.Now().UnixMilli()
		if ms <= math.MaxInt64-now {
			deadline = now + ms
		} // else: as Redis, a timeout past the end of time never comes
	}
	s := srv(c)
	cl := s.cl.node
	if cl == nil {
		if want <= 0 || c.Blocker == nil {
			c.W.Int(0)
			return
		}
		c.Blocker.Block(c, nil, deadline, func(*commands.Ctx) bool { return false },
			func(c *commands.Ctx) { c.W.Int(0) })
		return
	}
	seq := cl.OwnSeq()
	acked := cl.Acked(seq)
	if int64(acked) >= want || c.Blocker == nil {
		c.W.Int(int64(acked))
		return
	}
	client := cli(c)
	reply := func(c *commands.Ctx) { c.W.Int(int64(cl.Acked(seq))) }
	c.Blocker.Block(c, nil, deadline, func(*commands.Ctx) bool { return false }, reply)
	bs := client.parked
	go func() {
		for {
			ch := cl.AckNotify()
			if s.blockEnded(client, bs) {
				return
			}
			if int64(cl.Acked(seq)) >= want {
				s.endBlockWith(client, bs, reply)
				return
			}
			select {
			case <-ch:
			case <-time.After(50 * time.Millisecond): // notices a wait ended otherwise (timeout, UNBLOCK, disconnect)
			}
		}
	}()
}

// blockEnded reports whether a client's wait bs is over.
func (s *Server) blockEnded(c *client, bs *blockState) bool {
	s.blocks.mu.Lock()
	defer s.blocks.mu.Unlock()
	return bs == nil || bs.done || c.blocked != bs
}
