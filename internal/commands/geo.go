package commands

import (
	"sort"

	"github.com/lightconedb/lightcone/internal/crdt"
	"github.com/lightconedb/lightcone/internal/effect"
	"github.com/lightconedb/lightcone/internal/engine"
	"github.com/lightconedb/lightcone/internal/notify"
)

// GEO commands: a geo index is a sorted set whose scores are 52-bit
// geohashes (geo_hash.go), so ZRANGE & co. work on it as in Redis.

func init() { families = append(families, registerGeo) }

func registerGeo(t *Table) {
	wslow := []string{"write", "geo", "slow"}
	rslow := []string{"read", "geo", "slow"}
	const radiusCx = "O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index."
	const searchCx = "O(N+log(M)) where N is the number of elements in the grid-aligned bounding box area around the shape provided as the filter and M is the number of items inside the shape"
	const from = "<FROMMEMBER member | FROMLONLAT longitude latitude> <BYRADIUS radius <M | KM | FT | MI> | BYBOX width height <M | KM | FT | MI>> [ASC | DESC] [COUNT count [ANY]]"
	k1 := func(c *Command) *Command { c.FirstKey, c.LastKey, c.Step, c.Group = 1, 1, 1, "geo"; return c }
	t.Register(
		k1(&Command{Name: "geoadd", Arity: -5, Flags: []string{"write", "denyoom"}, Categories: wslow,
			Summary: "Add one or more geospatial items in the geospatial index represented using a sorted set", Since: "3.2.0",
			Complexity: "O(log(N)) for each item added, where N is the number of elements in the sorted set.",
			Syntax:     "key [NX | XX] [CH] longitude latitude member [longitude latitude member ...]", Handler: cmdGeoadd}),
		k1(&Command{Name: "geopos", Arity: -2, Flags: []string{"readonly"}, Categories: rslow,
			Summary: "Returns longitude and latitude of members of a geospatial index", Since: "3.2.0",
			Complexity: "O(N) where N is the number of members requested.",
			Syntax:     "key [member [member ...]]", Handler: cmdGeopos}),
		k1(&Command{Name: "geodist", Arity: -4, Flags: []string{"readonly"}, Categories: rslow,
			Summary: "Returns the distance between two members of a geospatial index", Since: "3.2.0", Complexity: "O(log(N))",
			Syntax: "key member1 member2 [M | KM | FT | MI]", Handler: cmdGeodist}),
		k1(&Command{Name: "geohash", Arity: -2, Flags: []string{"readonly"}, Categories: rslow,
			Summary: "Returns members of a geospatial index as standard geohash strings", Since: "3.2.0",
			Complexity: "O(log(N)) for each member requested, where N is the number of elements in the sorted set.",
			Syntax:     "key [member [member ...]]", Handler: cmdGeohash}),
		k1(&Command{Name: "geosearch", Arity: -7, Flags: []string{"readonly"}, Categories: rslow,
			Summary: "Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle.", Since: "6.2.0",
			Complexity: searchCx, Syntax: "key " + from + " [WITHCOORD] [WITHDIST] [WITHHASH]",
			Handler: func(c *Ctx) { georadiusGeneric(c, 1, geoSearch) }}),
		&Command{Name: "geosearchstore", Arity: -8, Flags: []string{"write", "denyoom"}, FirstKey: 1, LastKey: 2, Step: 1,
			Categories: wslow, Group: "geo",
			Summary: "Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle, and store the result in another key.", Since: "6.2.0",
			Complexity: searchCx, Syntax: "destination source " + from + " [STOREDIST]",
			Handler: func(c *Ctx) { georadiusGeneric(c, 2, geoSearch|geoSearchStore) }},
		&Command{Name: "georadius", Arity: -6, Flags: []string{"write", "denyoom", "movablekeys"}, FirstKey: 1, LastKey: 1, Step: 1,
			Categories: wslow, Group: "geo", Keys: geoStoreKeys(6),
			Summary: "Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a point", Since: "3.2.0",
			Complexity: radiusCx,
			Syntax:     "key longitude latitude radius <M | KM | FT | MI> [WITHCOORD] [WITHDIST] [WITHHASH] [COUNT count [ANY]] [ASC | DESC] [STORE key | STOREDIST key]",
			Handler:    func(c *Ctx) { georadiusGeneric(c, 1, geoCoords) }},
		k1(&Command{Name: "georadius_ro", Arity: -6, Flags: []string{"readonly"}, Categories: rslow,
			Summary: "A read-only variant for GEORADIUS", Since: "3.2.10", Complexity: radiusCx,
			Syntax:  "key longitude latitude radius <M | KM | FT | MI> [WITHCOORD] [WITHDIST] [WITHHASH] [COUNT count [ANY]] [ASC | DESC]",
			Handler: func(c *Ctx) { georadiusGeneric(c, 1, geoCoords|geoNoStore) }}),
		&Command{Name: "georadiusbymember", Arity: -5, Flags: []string{"write", "denyoom", "movablekeys"}, FirstKey: 1, LastKey: 1, Step: 1,
			Categories: wslow, Group: "geo", Keys: geoStoreKeys(5),
			Summary: "Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a member", Since: "3.2.0",
			Complexity: radiusCx,
			Syntax:     "key member radius <M | KM | FT | MI> [WITHCOORD] [WITHDIST] [WITHHASH] [COUNT count [ANY]] [ASC | DESC] [STORE key | STOREDIST key]",
			Handler:    func(c *Ctx) { georadiusGeneric(c, 1, geoMember) }},
		k1(&Command{Name: "georadiusbymember_ro", Arity: -5, Flags: []string{"readonly"}, Categories: rslow,
			Summary: "A read-only variant for GEORADIUSBYMEMBER", Since: "3.2.10", Complexity: radiusCx,
			Syntax:  "key member radius <M | KM | FT | MI> [WITHCOORD] [WITHDIST] [WITHHASH] [COUNT count [ANY]] [ASC | DESC]",
			Handler: func(c *Ctx) { georadiusGeneric(c, 1, geoMember|geoNoStore) }}),
	)
}

// geoStoreKeys: the key, plus the one after STORE or STOREDIST (options
// start at argument from).
func geoStoreKeys(from int) KeysFunc {
	return func(args [][]byte) []int {
		out := []int{1}
		for i := from; i+1 < len(args); i++ {
			if EqualFold(args[i], "store") || EqualFold(args[i], "storedist") {
				out = append(out, i+1)
				i++
			}
		}
		return out
	}
}

// geoLonLatArgs parses a longitude and a latitude at args[i], args[i+1].
func geoLonLatArgs(c *Ctx, i int) (lon, lat float64, ok bool) {
	if lon, ok = zDoubleArg(c, i, ""); !ok {
		return
	}
	if lat, ok = zDoubleArg(c, i+1, ""); !ok {
		return
	}
	if lon < geoLongMin || lon > geoLongMax || lat < geoLatMin || lat > geoLatMax {
		b := []byte("ERR invalid longitude,latitude pair ")
		b = appendCFixed(b, lon, 6)
		b = append(b, ',')
		b = appendCFixed(b, lat, 6)
		c.Error(string(b))
		return 0, 0, false
	}
	return lon, lat, true
}

// geoUnit is the number of meters in a unit name, or -1 (replied).
func geoUnit(c *Ctx, u []byte) float64 {
	switch {
	case EqualFold(u, "m"):
		return 1
	case EqualFold(u, "km"):
		return 1000
	case EqualFold(u, "ft"):
		return 0.3048
	case EqualFold(u, "mi"):
		return 1609.34
	}
	c.Error("ERR unsupported unit provided. please use M, KM, FT, MI")
	return -1
}

func cmdGeoadd(c *Ctx) {
	var nx, xx, ch bool
	i := 2
	for ; i < len(c.Args); i++ {
		switch {
		case c.Is(i, "nx"):
			nx = true
		case c.Is(i, "xx"):
			xx = true
		case c.Is(i, "ch"):
			ch = true
		default:
			goto done
		}
	}
done:
	if (len(c.Args)-i)%3 != 0 || (nx && xx) {
		c.Syntax()
		return
	}
	n := (len(c.Args) - i) / 3
	if n == 0 {
		c.Syntax() // what ZADD says to no pairs
		return
	}
	type pt struct {
		m     []byte
		score float64
	}
	pts := make([]pt, n)
	for j := 0; j < n; j++ {
		lon, lat, ok := geoLonLatArgs(c, i+3*j)
		if !ok {
			return
		}
		pts[j] = pt{c.Args[i+3*j+2], geoLonLatToScore(lon, lat)}
	}
	key := c.Args[1]
	tx := c.Eng.Begin1(c.DB, key)
	defer tx.End()
	z, ok := zsetOf(c, tx.Get(c.DB, key))
	if !ok {
		return
	}
	if z == nil && xx {
		c.W.Int(0)
		return
	}
	var ov zoverlay
	var w crdt.ZSetPayload
	var p *crdt.Enc
	added, updated := 0, 0
	for _, pt := range pts {
		cur, exists := ov.score(z, pt.m, n > 1)
		if exists {
			if nx || cur == pt.score {
				continue
			}
			updated++
		} else {
			if xx {
				continue
			}
			added++
		}
		if p == nil {
			p = tx.Payload()
			w = crdt.BeginZSet(p, crdt.ZSetAssign, 0)
		}
		w.Pair(pt.m, pt.score)
		if n > 1 {
			ov.set(pt.m, pt.score)
		}
	}
	if ch {
		c.W.Int(int64(added + updated))
	} else {
		c.W.Int(int64(added))
	}
	if p != nil {
		w.End()
		tx.Event = notify.ZAdd
		tx.Coll(c.DB, key, effect.OpZSet, p)
	}
}

func cmdGeopos(c *Ctx) {
	tx := c.Eng.Begin1(c.DB, c.Args[1])
	defer tx.End()
	z, ok := zsetOf(c, tx.Read(c.DB, c.Args[1]))
	if !ok {
		return
	}
	c.W.ArrayLen(len(c.Args) - 2)
	var buf [64]byte
	for _, m := range c.Args[2:] {
		var s float64
		found := false
		if z != nil {
			s, found = z.Score(m)
		}
		var lon, lat float64
		if found {
			lon, lat, found = geoScoreToLonLat(s)
		}
		if !found {
			c.W.NullArray()
			continue
		}
		c.W.ArrayLen(2)
		geoCoordReply(c, buf[:0], lon)
		geoCoordReply(c, buf[:0], lat)
	}
}

// geoCoordReply writes a coordinate as Redis' addReplyHumanLongDouble: a
// bulk string in RESP2, a double in RESP3, both with the same text.
func geoCoordReply(c *Ctx, buf []byte, f float64) {
	b := appendHumanDouble(buf, f)
	if c.Proto() > 2 {
		c.W.Raw(append(append([]byte{','}, b...), '\r', '\n'))
		return
	}
	c.W.Bulk(b)
}

func cmdGeodist(c *Ctx) {
	toMeter := 1.0
	if len(c.Args) == 5 {
		if toMeter = geoUnit(c, c.Args[4]); toMeter < 0 {
			return
		}
	} else if len(c.Args) > 5 {
		c.Syntax()
		return
	}
	tx := c.Eng.Begin1(c.DB, c.Args[1])
	defer tx.End()
	z, ok := zsetOf(c, tx.Read(c.DB, c.Args[1]))
	if !ok {
		return
	}
	if z == nil {
		c.W.Null()
		return
	}
	s1, ok1 := z.Score(c.Args[2])
	s2, ok2 := z.Score(c.Args[3])
	if !ok1 || !ok2 {
		c.W.Null()
		return
	}
	lon1, lat1, ok1 := geoScoreToLonLat(s1)
	lon2, lat2, ok2 := geoScoreToLonLat(s2)
	if !ok1 || !ok2 {
		c.W.Null()
		return
	}
	var buf [64]byte
	c.W.Bulk(appendCFixed(buf[:0], geoDistance(lon1, lat1, lon2, lat2)/toMeter, 4))
}

func cmdGeohash(c *Ctx) {
	tx := c.Eng.Begin1(c.DB, c.Args[1])
	defer tx.End()
	z, ok := zsetOf(c, tx.Read(c.DB, c.Args[1]))
	if !ok {
		return
	}
	c.W.ArrayLen(len(c.Args) - 2)
	var buf [16]byte
	for _, m := range c.Args[2:] {
		if z == nil {
			c.W.Null()
			continue
		}
		s, found := z.Score(m)
		if !found {
			c.W.Null()
			continue
		}
		b, ok := geoHashString(buf[:0], s)
		if !ok {
			c.W.Null()
			continue
		}
		c.W.Bulk(b)
	}
}

// georadiusGeneric flags.
const (
	geoCoords      = 1 << iota // GEORADIUS: around coordinates
	geoMember                  // GEORADIUSBYMEMBER: around a member
	geoNoStore                 // the _RO variants: no STORE/STOREDIST
	geoSearch                  // GEOSEARCH syntax
	geoSearchStore             // GEOSEARCHSTORE: destination first, STOREDIST flag
)

const (
	geoSortNone = iota
	geoSortAsc
	geoSortDesc
)

type geoPoint struct {
	member   string
	lon, lat float64
	dist     float64
	score    float64
}

// georadiusGeneric is GEORADIUS, GEORADIUSBYMEMBER (and _RO), GEOSEARCH and
// GEOSEARCHSTORE, with Redis' order of argument checks.
func georadiusGeneric(c *Ctx, srcIdx int, flags int) {
	var storeKey []byte
	storeDist := false
	keys := [][]byte{c.Args[srcIdx]}
	if flags&geoSearchStore != 0 {
		keys = append(keys, c.Args[1])
	} else if flags&(geoCoords|geoMember) != 0 && flags&geoNoStore == 0 {
		for i := 5; i+1 < len(c.Args); i++ {
			if c.Is(i, "store") || c.Is(i, "storedist") {
				keys = append(keys, c.Args[i+1])
			}
		}
	}
	var tx *engine.Tx
	if len(keys) == 1 {
		tx = c.Eng.Begin1(c.DB, keys[0])
	} else {
		tx = c.Eng.Begin(c.DB, keys...)
	}
	defer tx.End()
	z, ok := zsetOf(c, tx.Read(c.DB, c.Args[srcIdx]))
	if !ok {
		return
	}
	var shape geoShape
	var base int
	switch {
	case flags&geoCoords != 0:
		base = 6
		if shape.lon, shape.lat, ok = geoLonLatArgs(c, 2); !ok {
			return
		}
		if !geoRadiusArgs(c, 4, &shape) {
			return
		}
	case flags&geoMember != 0 && z == nil:
		base = 5
	case flags&geoMember != 0:
		base = 5
		if !geoFromMember(c, z, c.Args[2], &shape) {
			return
		}
		if !geoRadiusArgs(c, 3, &shape) {
			return
		}
	default:
		base = 2
		if flags&geoSearchStore != 0 {
			base = 3
			storeKey = c.Args[1]
		}
	}
	withDist, withHash, withCoord := false, false, false
	fromMember, fromLoc, byRadius, byBox := false, false, false, false
	sortOrder := geoSortNone
	anyFlag := false
	count := int64(0)
	search := flags&geoSearch != 0
	for i := base; i < len(c.Args); i++ {
		left := len(c.Args) - i - 1
		switch {
		case c.Is(i, "withdist"):
			withDist = true
		case c.Is(i, "withhash"):
			withHash = true
		case c.Is(i, "withcoord"):
			withCoord = true
		case c.Is(i, "any"):
			anyFlag = true
		case c.Is(i, "asc"):
			sortOrder = geoSortAsc
		case c.Is(i, "desc"):
			sortOrder = geoSortDesc
		case c.Is(i, "count") && left >= 1:
			v, ok := c.IntArg(i + 1)
			if !ok {
				return
			}
			if v <= 0 {
				c.Error("ERR COUNT must be > 0")
				return
			}
			count = v
			i++
		case (c.Is(i, "store") || c.Is(i, "storedist")) && left >= 1 && flags&geoNoStore == 0 && !search:
			storeKey = c.Args[i+1]
			storeDist = c.Is(i, "storedist")
			i++
		case c.Is(i, "storedist") && search && flags&geoSearchStore != 0:
			storeDist = true
		case c.Is(i, "frommember") && left >= 1 && search && !fromLoc:
			if z != nil && !geoFromMember(c, z, c.Args[i+1], &shape) {
				return
			}
			fromMember = true
			i++
		case c.Is(i, "fromlonlat") && left >= 2 && search && !fromMember:
			if shape.lon, shape.lat, ok = geoLonLatArgs(c, i+1); !ok {
				return
			}
			fromLoc = true
			i += 2
		case c.Is(i, "byradius") && left >= 2 && search && !byBox:
			if !geoRadiusArgs(c, i+1, &shape) {
				return
			}
			byRadius = true
			i += 2
		case c.Is(i, "bybox") && left >= 3 && search && !byRadius:
			w, ok := zDoubleArg(c, i+1, "ERR need numeric width")
			if !ok {
				return
			}
			h, ok := zDoubleArg(c, i+2, "ERR need numeric height")
			if !ok {
				return
			}
			if h < 0 || w < 0 {
				c.Error("ERR height or width cannot be negative")
				return
			}
			conv := geoUnit(c, c.Args[i+3])
			if conv < 0 {
				return
			}
			shape.box, shape.width, shape.height, shape.conv = true, w, h, conv
			byBox = true
			i += 3
		default:
			c.Syntax()
			return
		}
	}
	if storeKey != nil && (withDist || withHash || withCoord) {
		if flags&geoSearchStore != 0 {
			c.Error("ERR GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options")
		} else {
			c.Error("ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD options")
		}
		return
	}
	if search && !fromMember && !fromLoc {
		c.Error("ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for " + string(c.Args[0]))
		return
	}
	if search && !byRadius && !byBox {
		c.Error("ERR exactly one of BYRADIUS and BYBOX can be specified for " + string(c.Args[0]))
		return
	}
	if anyFlag && count == 0 {
		c.Error("ERR the ANY argument requires COUNT argument")
		return
	}
	if z == nil {
		if storeKey != nil {
			if tx.Get(c.DB, storeKey) != nil {
				tx.Delete(c.DB, storeKey)
			}
			c.W.Int(0)
		} else {
			c.W.ArrayLen(0)
		}
		return
	}
	if count != 0 && sortOrder == geoSortNone && !anyFlag {
		sortOrder = geoSortAsc
	}
	limit := int64(0)
	if anyFlag {
		limit = count
	}
	pts := geoMembersInShape(z, &shape, limit)
	if len(pts) == 0 && storeKey == nil {
		c.W.ArrayLen(0)
		return
	}
	n := len(pts)
	if count != 0 && int64(n) > count {
		n = int(count)
	}
	if sortOrder != geoSortNone {
		asc := sortOrder == geoSortAsc
		if n == len(pts) {
			sort.SliceStable(pts, func(a, b int) bool {
				if asc {
					return pts[a].dist < pts[b].dist
				}
				return pts[a].dist > pts[b].dist
			})
		} else {
			partialSort(pts, func(a, b *geoPoint) int {
				x, y := a.dist, b.dist
				if !asc {
					x, y = y, x
				}
				switch {
				case x > y:
					return 1
				case x == y:
					return 0
				}
				return -1
			}, n-1)
		}
	}
	pts = pts[:n]
	for i := range pts {
		pts[i].dist /= shape.conv
	}
	if storeKey == nil {
		opts := 0
		for _, on := range []bool{withDist, withHash, withCoord} {
			if on {
				opts++
			}
		}
		c.W.ArrayLen(n)
		var buf [64]byte
		for _, gp := range pts {
			if opts > 0 {
				c.W.ArrayLen(opts + 1)
			}
			c.W.BulkString(gp.member)
			if withDist {
				c.W.Bulk(appendCFixed(buf[:0], gp.dist, 4))
			}
			if withHash {
				c.W.Int(int64(gp.score))
			}
			if withCoord {
				c.W.ArrayLen(2)
				geoCoordReply(c, buf[:0], gp.lon)
				geoCoordReply(c, buf[:0], gp.lat)
			}
		}
		return
	}
	if n == 0 {
		if tx.Get(c.DB, storeKey) != nil {
			tx.Delete(c.DB, storeKey)
		}
		c.W.Int(0)
		return
	}
	p := tx.Payload()
	w := crdt.BeginZSet(p, crdt.ZSetSnap, crdt.ZSnapBuilt)
	for _, gp := range pts {
		s := gp.score
		if storeDist {
			s = gp.dist
		}
		w.PairString(gp.member, s)
	}
	w.End()
	tx.Event = notify.GeoRadiusStore
	if search {
		tx.Event = notify.GeoSearchStore
	}
	tx.CollReplace(c.DB, storeKey, effect.OpZSet, p, 0, false)
	c.W.Int(int64(n))
}

// geoFromMember centres shape on member m's position.
func geoFromMember(c *Ctx, z *crdt.ZSet, m []byte, shape *geoShape) bool {
	s, ok := z.Score(m)
	if ok {
		shape.lon, shape.lat, ok = geoScoreToLonLat(s)
	}
	if !ok {
		c.Error("ERR could not decode requested zset member")
		return false
	}
	return true
}

// geoRadiusArgs parses "radius unit" at args[i].
func geoRadiusArgs(c *Ctx, i int, shape *geoShape) bool {
	r, ok := zDoubleArg(c, i, "ERR need numeric radius")
	if !ok {
		return false
	}
	if r < 0 {
		c.Error("ERR radius cannot be negative")
		return false
	}
	conv := geoUnit(c, c.Args[i+1])
	if conv < 0 {
		return false
	}
	shape.box, shape.radius, shape.conv = false, r, conv
	return true
}

// geoMembersInShape walks the cells around the shape's centre (see
// geoSearchAreas) and collects the members inside the shape, in the order
// found; limit > 0 stops at that many (ANY).
func geoMembersInShape(z *crdt.ZSet, shape *geoShape, limit int64) []geoPoint {
	cells := geoSearchAreas(shape)
	var out []geoPoint
	last := 0
	for i, cell := range cells {
		if cell.zero() {
			continue
		}
		if last != 0 && cell == cells[last] {
			continue // huge radius: neighbours can be the same cell
		}
		if len(out) > 0 && limit > 0 && int64(len(out)) >= limit {
			break
		}
		lo, hi := cell.scoreRange()
		a, b := z.ScoreRanks(crdt.ScoreBound{Score: lo}, crdt.ScoreBound{Score: hi, Exclusive: true})
		if a < b {
			z.Range(a, b-1, false, func(m string, s float64) bool {
				lon, lat, ok := geoScoreToLonLat(s)
				if ok {
					if d, in := shape.within(lon, lat); in {
						out = append(out, geoPoint{member: m, lon: lon, lat: lat, dist: d, score: s})
					}
				}
				return limit <= 0 || int64(len(out)) < limit
			})
		}
		last = i
	}
	return out
}
