package commands

import (
	"math"
	"strconv"
)

// Geohash arithmetic for the GEO commands, following the documented
// behaviour of Redis' geo index (a sorted set scored by a 52-bit
// interleaved geohash) so that scores, positions, distances and search
// results come out the same.
//
// A position is encoded at 26 bits per axis over longitude [-180, 180] and
// latitude [-85.05112878, 85.05112878] (the Web Mercator limits): each
// coordinate's offset in its range is scaled to 2^26 and truncated, then
// the two are interleaved, latitude in the even bits and longitude in the
// odd ones. Decoding gives the centre of the cell. Distances are
// great-circle (haversine) on a sphere of radius 6372797.560856 m.

const (
	geoLongMin   = -180.0
	geoLongMax   = 180.0
	geoLatMin    = -85.05112878
	geoLatMax    = 85.05112878
	geoStepMax   = 26
	earthRadiusM = 6372797.560856
	mercatorMax  = 20037726.37
)

type geoRange struct{ min, max float64 }

// geoBits is a geohash of step bits per axis.
type geoBits struct {
	bits uint64
	step uint8
}

func (h geoBits) zero() bool { return h.bits == 0 && h.step == 0 }

type geoArea struct {
	lon, lat geoRange
}

var (
	geoLonRange = geoRange{geoLongMin, geoLongMax}
	geoLatRange = geoRange{geoLatMin, geoLatMax}
)

// spread32 moves the 32 bits of v to the even bit positions of a uint64.
func spread32(v uint32) uint64 {
	x := uint64(v)
	x = (x | x<<16) & 0x0000FFFF0000FFFF
	x = (x | x<<8) & 0x00FF00FF00FF00FF
	x = (x | x<<4) & 0x0F0F0F0F0F0F0F0F
	x = (x | x<<2) & 0x3333333333333333
	x = (x | x<<1) & 0x5555555555555555
	return x
}

// squash32 gathers the even bits of x into a uint32 (spread32's inverse).
func squash32(x uint64) uint32 {
	x &= 0x5555555555555555
	x = (x | x>>1) & 0x3333333333333333
	x = (x | x>>2) & 0x0F0F0F0F0F0F0F0F
	x = (x | x>>4) & 0x00FF00FF00FF00FF
	x = (x | x>>8) & 0x0000FFFF0000FFFF
	x = (x | x>>16) & 0x00000000FFFFFFFF
	return uint32(x)
}

func interleave(lat, lon uint32) uint64 { return spread32(lat) | spread32(lon)<<1 }

// geoEncode encodes a position at step bits per axis over the given
// ranges; ok is false outside the ranges or the Mercator limits.
func geoEncode(lonR, latR geoRange, lon, lat float64, step uint8) (geoBits, bool) {
	if lon > geoLongMax || lon < geoLongMin || lat > geoLatMax || lat < geoLatMin {
		return geoBits{}, false
	}
	if lat < latR.min || lat > latR.max || lon < lonR.min || lon > lonR.max {
		return geoBits{}, false
	}
	latOff := (lat - latR.min) / (latR.max - latR.min)
	lonOff := (lon - lonR.min) / (lonR.max - lonR.min)
	latOff *= float64(uint64(1) << step)
	lonOff *= float64(uint64(1) << step)
	return geoBits{bits: interleave(uint32(latOff), uint32(lonOff)), step: step}, true
}

// geoDecode returns the cell of hash h.
func geoDecode(lonR, latR geoRange, h geoBits) (geoArea, bool) {
	if h.zero() {
		return geoArea{}, false
	}
	ilat := squash32(h.bits)
	ilon := squash32(h.bits >> 1)
	div := float64(uint64(1) << h.step)
	latScale := latR.max - latR.min
	lonScale := lonR.max - lonR.min
	var a geoArea
	a.lat.min = latR.min + (float64(ilat)*1.0/div)*latScale
	a.lat.max = latR.min + (float64(ilat+1)*1.0/div)*latScale
	a.lon.min = lonR.min + (float64(ilon)*1.0/div)*lonScale
	a.lon.max = lonR.min + (float64(ilon+1)*1.0/div)*lonScale
	return a, true
}

// center is the cell's middle, clamped to the valid limits.
func (a geoArea) center() (lon, lat float64) {
	lon = (a.lon.min + a.lon.max) / 2
	lon = math.Min(math.Max(lon, geoLongMin), geoLongMax)
	lat = (a.lat.min + a.lat.max) / 2
	lat = math.Min(math.Max(lat, geoLatMin), geoLatMax)
	return lon, lat
}

// cUint64 converts a double to uint64 as C does on x86-64 (what gcc emits
// for (uint64_t)d): below 2^63 a signed truncation reinterpreted, from
// 2^63 on a truncation of d-2^63 with the top bit flipped; NaN, infinities
// and values out of range give the CPU's "integer indefinite".
func cUint64(d float64) uint64 {
	const two63 = 9223372036854775808.0
	cvt := func(x float64) uint64 {
		if x != x || x >= two63 || x < -two63 {
			return 1 << 63
		}
		return uint64(int64(x))
	}
	if d >= two63 {
		return cvt(d-two63) ^ 1<<63
	}
	return cvt(d)
}

// geoScoreToLonLat decodes a sorted-set score as a position.
func geoScoreToLonLat(score float64) (lon, lat float64, ok bool) {
	a, ok := geoDecode(geoLonRange, geoLatRange, geoBits{bits: cUint64(score), step: geoStepMax})
	if !ok {
		return 0, 0, false
	}
	lon, lat = a.center()
	return lon, lat, true
}

// geoLonLatToScore encodes a valid position as its score.
func geoLonLatToScore(lon, lat float64) float64 {
	h, _ := geoEncode(geoLonRange, geoLatRange, lon, lat, geoStepMax)
	return float64(h.bits << (52 - 2*geoStepMax))
}

// The C constants M_PI/180 and 180/M_PI, computed in double arithmetic.
var (
	geoPi = math.Pi
	geoDR = geoPi / 180.0
	geoRD = 180.0 / geoPi
)

func degRad(d float64) float64 { return d * geoDR }
func radDeg(r float64) float64 { return r * geoRD }

// geoLatDistance is the distance between two latitudes on one meridian.
func geoLatDistance(lat1, lat2 float64) float64 {
	return earthRadiusM * math.Abs(degRad(lat2)-degRad(lat1))
}

// geoDistance is the haversine great-circle distance in meters.
func geoDistance(lon1, lat1, lon2, lat2 float64) float64 {
	lon1r := degRad(lon1)
	lon2r := degRad(lon2)
	v := crSin((lon2r - lon1r) / 2)
	if v == 0 {
		return geoLatDistance(lat1, lat2)
	}
	lat1r := degRad(lat1)
	lat2r := degRad(lat2)
	u := crSin((lat2r - lat1r) / 2)
	a := u*u + crCos(lat1r)*crCos(lat2r)*v*v
	return 2.0 * earthRadiusM * crAsin(math.Sqrt(a))
}

// geoShape is a search area: a circle of radius, or a width x height box,
// around (lon, lat); sizes in the unit given by conv (meters per unit).
type geoShape struct {
	box           bool
	lon, lat      float64
	conv          float64
	radius        float64
	width, height float64
}

// boundingBox is [min lon, min lat, max lon, max lat] around the shape.
func (s *geoShape) boundingBox() [4]float64 {
	var h, w float64
	if s.box {
		h, w = s.conv*s.height/2, s.conv*s.width/2
	} else {
		h, w = s.conv*s.radius, s.conv*s.radius
	}
	latDelta := radDeg(h / earthRadiusM)
	lonDeltaTop := radDeg(w / earthRadiusM / crCos(degRad(s.lat+latDelta)))
	lonDeltaBottom := radDeg(w / earthRadiusM / crCos(degRad(s.lat-latDelta)))
	var b [4]float64
	if s.lat < 0 {
		b[0], b[2] = s.lon-lonDeltaBottom, s.lon+lonDeltaBottom
	} else {
		b[0], b[2] = s.lon-lonDeltaTop, s.lon+lonDeltaTop
	}
	b[1], b[3] = s.lat-latDelta, s.lat+latDelta
	return b
}

// geoEstimateSteps picks the geohash precision for a search of radius
// meters around latitude lat.
func geoEstimateSteps(rangeM, lat float64) uint8 {
	if rangeM == 0 {
		return 26
	}
	step := 1
	for rangeM < mercatorMax {
		rangeM *= 2
		step++
	}
	step -= 2
	if lat > 66 || lat < -66 {
		step--
		if lat > 80 || lat < -80 {
			step--
		}
	}
	if step < 1 {
		step = 1
	}
	if step > 26 {
		step = 26
	}
	return uint8(step)
}

// move moves a hash dlon cells east (or west) and dlat cells north (or
// south), wrapping around within its step; an axis that does not move is
// left exactly as it was.
func (h geoBits) move(dlon, dlat int) geoBits {
	mask := uint32(1)<<h.step - 1
	lat := squash32(h.bits)
	lon := squash32(h.bits >> 1)
	if dlon != 0 {
		lon = (lon + uint32(int32(dlon))) & mask
	}
	if dlat != 0 {
		lat = (lat + uint32(int32(dlat))) & mask
	}
	return geoBits{bits: interleave(lat, lon), step: h.step}
}

// geoSearchAreas is the cell around the centre and its eight neighbours,
// in the order searched: centre, N, S, E, W, NE, NW, SE, SW; a zero hash is
// a neighbour that need not be searched.
func geoSearchAreas(s *geoShape) [9]geoBits {
	bounds := s.boundingBox()
	minLon, minLat, maxLon, maxLat := bounds[0], bounds[1], bounds[2], bounds[3]
	radius := s.radius
	if s.box {
		radius = math.Sqrt((s.width/2)*(s.width/2) + (s.height/2)*(s.height/2))
	}
	radius *= s.conv
	steps := geoEstimateSteps(radius, s.lat)
	hash, _ := geoEncode(geoLonRange, geoLatRange, s.lon, s.lat, steps)
	nb := neighbours(hash)
	area, _ := geoDecode(geoLonRange, geoLatRange, hash)

	// a neighbour too close to the search area to cover it: one step
	// coarser
	decrease := false
	{
		north, _ := geoDecode(geoLonRange, geoLatRange, nb[1])
		south, _ := geoDecode(geoLonRange, geoLatRange, nb[2])
		east, _ := geoDecode(geoLonRange, geoLatRange, nb[3])
		west, _ := geoDecode(geoLonRange, geoLatRange, nb[4])
		if north.lat.max < maxLat || south.lat.min > minLat || east.lon.max < maxLon || west.lon.min > minLon {
			decrease = true
		}
	}
	if steps > 1 && decrease {
		steps--
		hash, _ = geoEncode(geoLonRange, geoLatRange, s.lon, s.lat, steps)
		nb = neighbours(hash)
		area, _ = geoDecode(geoLonRange, geoLatRange, hash)
	}
	// drop the neighbours the search area cannot reach
	if steps >= 2 {
		if area.lat.min < minLat {
			nb[2], nb[8], nb[7] = geoBits{}, geoBits{}, geoBits{} // S, SW, SE
		}
		if area.lat.max > maxLat {
			nb[1], nb[5], nb[6] = geoBits{}, geoBits{}, geoBits{} // N, NE, NW
		}
		if area.lon.min < minLon {
			nb[4], nb[8], nb[6] = geoBits{}, geoBits{}, geoBits{} // W, SW, NW
		}
		if area.lon.max > maxLon {
			nb[3], nb[7], nb[5] = geoBits{}, geoBits{}, geoBits{} // E, SE, NE
		}
	}
	return nb
}

// neighbours is h and its eight neighbours in search order.
func neighbours(h geoBits) [9]geoBits {
	return [9]geoBits{
		h,
		h.move(0, 1),   // north
		h.move(0, -1),  // south
		h.move(1, 0),   // east
		h.move(-1, 0),  // west
		h.move(1, 1),   // north-east
		h.move(-1, 1),  // north-west
		h.move(1, -1),  // south-east
		h.move(-1, -1), // south-west
	}
}

// scoreRange is the [min, max) score range of the members in cell h.
func (h geoBits) scoreRange() (float64, float64) {
	shift := 52 - 2*uint(h.step)
	return float64(h.bits << shift), float64((h.bits + 1) << shift)
}

// within reports whether (lon, lat) lies in the shape, and its distance
// from the centre.
func (s *geoShape) within(lon, lat float64) (float64, bool) {
	if !s.box {
		d := geoDistance(s.lon, s.lat, lon, lat)
		return d, d <= s.radius*s.conv
	}
	w, h := s.width*s.conv, s.height*s.conv
	if geoLatDistance(lat, s.lat) > h/2 {
		return 0, false
	}
	if geoDistance(lon, lat, s.lon, lat) > w/2 {
		return 0, false
	}
	return geoDistance(s.lon, s.lat, lon, lat), true
}

// geoHashString is the standard 11-character geohash of a score's
// position (re-encoded over latitude [-90, 90]; the 11th character is
// always '0').
func geoHashString(dst []byte, score float64) ([]byte, bool) {
	lon, lat, ok := geoScoreToLonLat(score)
	if !ok {
		return dst, false
	}
	h, _ := geoEncode(geoRange{-180, 180}, geoRange{-90, 90}, lon, lat, geoStepMax)
	const alphabet = "0123456789bcdefghjkmnpqrstuvwxyz"
	for i := 0; i < 11; i++ {
		idx := 0
		if i < 10 {
			idx = int(h.bits>>(52-(uint(i)+1)*5)) & 0x1f
		}
		dst = append(dst, alphabet[idx])
	}
	return dst, true
}

// appendHumanDouble formats a coordinate as Redis' "human" long double
// text: %.17Lf of the exact value, trailing zeros (and a trailing point)
// removed, "-0" written "0".
func appendHumanDouble(b []byte, f float64) []byte {
	start := len(b)
	if math.IsInf(f, 0) {
		if f > 0 {
			return append(b, "inf"...)
		}
		return append(b, "-inf"...)
	}
	b = strconv.AppendFloat(b, f, 'f', 17, 64)
	for len(b) > start && b[len(b)-1] == '0' {
		b = b[:len(b)-1]
	}
	if len(b) > start && b[len(b)-1] == '.' {
		b = b[:len(b)-1]
	}
	if string(b[start:]) == "-0" {
		b = append(b[:start], '0')
	}
	return b
}

// appendCFixed formats like printf's %.<prec>f ("inf", "-inf", "nan").
func appendCFixed(b []byte, f float64, prec int) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(b, "inf"...)
	case math.IsInf(f, -1):
		return append(b, "-inf"...)
	case math.IsNaN(f):
		return append(b, "nan"...)
	}
	return strconv.AppendFloat(b, f, 'f', prec, 64)
}
