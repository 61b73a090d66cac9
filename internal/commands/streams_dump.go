package commands

import (
	"github.com/lightconedb/lightcone/internal/crdt"
	"github.com/lightconedb/lightcone/internal/effect"
	"github.com/lightconedb/lightcone/internal/engine"
	"github.com/lightconedb/lightcone/internal/keyspace"
	"github.com/lightconedb/lightcone/internal/rdb"
)

// DUMP and RESTORE of streams: RDB type 19 (15 is read too).

func init() {
	dumpers[keyspace.KindStream] = dumpStream
	restorers[rdb.TypeStreamListpacks] = restoreStream
	restorers[rdb.TypeStreamListpacks2] = restoreStream
}

func rid(id crdt.StreamID) rdb.StreamID { return rdb.StreamID{Ms: id.Ms, Seq: id.Seq} }
func cid(id rdb.StreamID) crdt.StreamID { return crdt.StreamID{Ms: id.Ms, Seq: id.Seq} }

func dumpStream(e *keyspace.Entry) []byte {
	s, ok := e.Obj().(*crdt.Stream)
	if !ok {
		return nil
	}
	v := &rdb.StreamValue{
		Length:       s.Length(),
		LastID:       rid(s.LastID()),
		V2:           true,
		FirstID:      rid(s.FirstID()),
		MaxDeleted:   rid(s.MaxDeletedID()),
		EntriesAdded: s.EntriesAdded(),
	}
	s.EachNode(func(master crdt.StreamID, lp []byte) {
		v.Nodes = append(v.Nodes, rdb.StreamNode{Master: rid(master), LP: lp})
	})
	for _, g := range s.Groups() {
		rg := rdb.StreamGroup{Name: []byte(g.Name), LastID: rid(g.LastID), EntriesRead: g.EntriesRead}
		g.EachPending(crdt.StreamID{}, crdt.StreamIDMax, false, func(n *crdt.StreamNACK) bool {
			rg.PEL = append(rg.PEL, rdb.StreamNACK{ID: rid(n.ID), DeliveryTime: n.DeliveryTime, DeliveryCount: n.DeliveryCount})
			return true
		})
		for _, cs := range g.Consumers() {
			rc := rdb.StreamConsumer{Name: []byte(cs.Name), SeenTime: cs.SeenTime}
			g.EachConsumerPending(cs, crdt.StreamID{}, crdt.StreamIDMax, func(n *crdt.StreamNACK) bool {
				rc.PEL = append(rc.PEL, rid(n.ID))
				return true
			})
			rg.Consumers = append(rg.Consumers, rc)
		}
		v.Groups = append(v.Groups, rg)
	}
	return rdb.DumpStream(v)
}

// restoreStream checks a decoded stream and writes it whole.
func restoreStream(tx *engine.Tx, db int, key []byte, obj rdb.Object, expireAt int64) bool {
	v, ok := obj.Value.(*rdb.StreamValue)
	if !ok {
		return false
	}
	snap := crdt.StreamSnap{
		LastID: cid(v.LastID),
		Length: v.Length,
	}
	if v.V2 {
		snap.MaxDeleted = cid(v.MaxDeleted)
		snap.FirstID = cid(v.FirstID)
		snap.EntriesAdded = v.EntriesAdded
	} else {
		snap.EntriesAdded = v.Length
		snap.FirstFromEntries = true
	}
	for _, n := range v.Nodes {
		snap.Nodes = append(snap.Nodes, crdt.StreamSnapNode{Master: cid(n.Master), LP: n.LP})
	}
	for _, g := range v.Groups {
		sg := crdt.StreamSnapGroup{Name: g.Name, LastID: cid(g.LastID), EntriesRead: g.EntriesRead}
		if !v.V2 {
			sg.EntriesRead = crdt.StreamEstimateRead
		}
		owner := make(map[rdb.StreamID]int, len(g.PEL))
		for ci, c := range g.Consumers {
			sg.Consumers = append(sg.Consumers, crdt.StreamSnapConsumer{Name: c.Name, SeenTime: c.SeenTime})
			for _, id := range c.PEL {
				if _, dup := owner[id]; dup {
					return false
				}
				owner[id] = ci
			}
		}
		if len(owner) != len(g.PEL) {
			return false
		}
		for _, n := range g.PEL {
			ci, ok := owner[n.ID]
			if !ok {
				return false
			}
			sg.PEL = append(sg.PEL, crdt.StreamSnapNACK{ID: cid(n.ID), Consumer: ci, DeliveryTime: n.DeliveryTime, DeliveryCount: n.DeliveryCount})
		}
		snap.Groups = append(snap.Groups, sg)
	}
	p := tx.Payload()
	if !crdt.EncodeStreamSnap(p, &snap) {
		return false
	}
	tx.CollReplace(db, key, effect.OpStream, p, expireAt, false)
	return true
}
