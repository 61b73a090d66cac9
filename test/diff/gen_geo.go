package diff

import (
	"strconv"
)

func init() { generators["geo"] = genGeo }

// genGeo exercises the GEO commands: GEOADD (NX XX CH) of points clustered
// in a few places (so searches find several) and scattered over the globe
// (poles, the date line), GEOPOS, GEODIST, GEOHASH, and GEOSEARCH,
// GEOSEARCHSTORE, GEORADIUS(_RO), GEORADIUSBYMEMBER(_RO) with every option,
// now and then with invalid arguments. Unsorted search results come in the
// order Redis walks its geohash cells, which is compared too.
//
// Left out: STOREDIST. Its scores are full-precision distances, and glibc's
// sin/cos/asin (which Redis uses) misround about one distance in 300 in the
// last bit, where Lightcone rounds correctly; the case file checks
// STOREDIST on fixed points.
func genGeo(g *Gen) Op {
	k := g.Key()
	switch g.R.IntN(24) {
	case 0, 1, 2, 3, 4, 5:
		args := []string{"GEOADD", k}
		if g.Chance(0.2) {
			args = append(args, g.Pick("NX", "XX", "CH", "CH"))
		}
		for i := g.Int(1, 4); i > 0; i-- {
			lon, lat := geoPoint(g)
			args = append(args, lon, lat, geoMember(g))
		}
		if g.Chance(0.03) {
			args = append(args, "1")
		}
		return Op{Args: args}
	case 6:
		args := []string{"GEOPOS", k}
		for i := g.Int(0, 3); i > 0; i-- {
			args = append(args, geoMember(g))
		}
		return Op{Args: args}
	case 7:
		args := []string{"GEODIST", k, geoMember(g), geoMember(g)}
		if g.Chance(0.5) {
			args = append(args, geoUnitArg(g))
		}
		return Op{Args: args}
	case 8:
		args := []string{"GEOHASH", k}
		for i := g.Int(0, 3); i > 0; i-- {
			args = append(args, geoMember(g))
		}
		return Op{Args: args}
	case 9, 10, 11, 12:
		args := []string{"GEOSEARCH", k}
		args = append(args, geoFrom(g)...)
		args = append(args, geoBy(g)...)
		args = append(args, geoOpts(g, true)...)
		return Op{Args: args}
	case 13, 14:
		args := []string{"GEOSEARCHSTORE", g.Key(), k}
		args = append(args, geoFrom(g)...)
		args = append(args, geoBy(g)...)
		args = append(args, geoOpts(g, false)...)
		return Op{Args: args}
	case 15, 16, 17:
		lon, lat := geoPoint(g)
		cmd := g.Pick("GEORADIUS", "GEORADIUS_RO")
		args := []string{cmd, k, lon, lat, geoRadius(g), geoUnitArg(g)}
		args = append(args, geoOpts(g, true)...)
		if cmd == "GEORADIUS" && g.Chance(0.2) {
			args = append(args, "STORE", g.Key())
		}
		return Op{Args: args}
	case 18, 19:
		cmd := g.Pick("GEORADIUSBYMEMBER", "GEORADIUSBYMEMBER_RO")
		args := []string{cmd, k, geoMember(g), geoRadius(g), geoUnitArg(g)}
		args = append(args, geoOpts(g, true)...)
		if cmd == "GEORADIUSBYMEMBER" && g.Chance(0.2) {
			args = append(args, "STORE", g.Key())
		}
		return Op{Args: args}
	case 20:
		return Op{Args: []string{"ZRANGE", k, "0", "-1", "WITHSCORES"}}
	case 21:
		return Op{Args: []string{"ZREM", k, geoMember(g)}}
	case 22:
		return Op{Args: []string{"DEL", k}}
	default:
		return Op{Args: []string{"GEOPOS", k, geoMember(g), geoMember(g)}}
	}
}

var geoMembers = []string{"p0", "p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8", "p9", "a", "b", "c", "1", ""}

func geoMember(g *Gen) string { return geoMembers[g.R.IntN(len(geoMembers))] }

func geoFmt(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// geoPoint is a longitude and latitude: mostly near one of a few places,
// sometimes anywhere, at the limits, or invalid.
func geoPoint(g *Gen) (string, string) {
	switch g.R.IntN(12) {
	case 0:
		return geoFmt(g.R.Float64()*360 - 180), geoFmt(g.R.Float64()*170.1 - 85.05)
	case 1:
		return g.Pick("180", "-180", "179.9999", "-179.9999", "0"), g.Pick("85.05112878", "-85.05112878", "85", "-85", "0")
	case 2:
		if g.Chance(0.3) {
			return g.Pick("181", "abc", "nan", "1e400"), g.Pick("90", "-86", "10")
		}
		fallthrough
	default:
		centers := [][2]float64{{13.36, 38.11}, {-0.12, 51.5}, {139.69, 35.68}, {-179.5, 0.5}, {0.5, 84.5}}
		c := centers[g.R.IntN(len(centers))]
		spread := []float64{0.01, 0.5, 3}[g.R.IntN(3)]
		lat := c[1] + (g.R.Float64()*2-1)*spread
		if lat > 85.05 {
			lat = 85.05
		}
		return geoFmt(c[0] + (g.R.Float64()*2-1)*spread), geoFmt(lat)
	}
}

func geoRadius(g *Gen) string {
	switch g.R.IntN(8) {
	case 0:
		return g.Pick("0", "-1", "abc", "20000")
	case 1:
		return g.IntArg(1000, 20000)
	default:
		return geoFmt(float64(g.Int(1, 500)) + g.R.Float64())
	}
}

func geoUnitArg(g *Gen) string {
	if g.Chance(0.03) {
		return "parsec"
	}
	return g.Pick("m", "km", "km", "km", "mi", "ft", "KM")
}

func geoFrom(g *Gen) []string {
	if g.Chance(0.5) {
		return []string{"FROMMEMBER", geoMember(g)}
	}
	lon, lat := geoPoint(g)
	return []string{"FROMLONLAT", lon, lat}
}

func geoBy(g *Gen) []string {
	if g.Chance(0.5) {
		return []string{"BYRADIUS", geoRadius(g), geoUnitArg(g)}
	}
	return []string{"BYBOX", geoRadius(g), geoRadius(g), geoUnitArg(g)}
}

// geoOpts are search options; with is false for the STORE forms.
func geoOpts(g *Gen, with bool) []string {
	var out []string
	if g.Chance(0.5) {
		out = append(out, g.Pick("ASC", "DESC"))
	}
	if g.Chance(0.4) {
		out = append(out, "COUNT", g.Pick("1", "2", "3", "10", "0"))
		if g.Chance(0.3) {
			out = append(out, "ANY")
		}
	}
	if with || g.Chance(0.05) {
		for _, o := range []string{"WITHDIST", "WITHCOORD", "WITHHASH"} {
			if g.Chance(0.3) {
				out = append(out, o)
			}
		}
	}
	g.Shuffle(out)
	// COUNT must stay before its number and ANY after it: re-pair them
	return geoFixCount(out)
}

// geoFixCount moves "COUNT n [ANY]" back together after a shuffle.
func geoFixCount(in []string) []string {
	var out, count []string
	anyOpt := false
	for i := 0; i < len(in); i++ {
		switch in[i] {
		case "COUNT":
		case "ANY":
			anyOpt = true
		case "1", "2", "3", "10", "0":
			count = []string{"COUNT", in[i]}
		default:
			out = append(out, in[i])
		}
	}
	if count != nil {
		out = append(out, count...)
		if anyOpt {
			out = append(out, "ANY")
		}
	} else if anyOpt {
		out = append(out, "ANY")
	}
	return out
}
