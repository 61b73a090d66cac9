package diff

import "strings"

func init() { generators["sets"] = genSets }

// setMember returns a set member: mostly small integers (so sets are often
// intsets), wide integers (intset widths), non-canonical integers (which
// are strings), and the shared field pool.
func setMember(g *Gen) string {
	switch g.R.IntN(10) {
	case 0, 1, 2, 3:
		return g.IntArg(-3, 15)
	case 4:
		return g.Pick("70000", "-40000", "5000000000", "-9223372036854775808", "9223372036854775807", "32767", "-32768")
	case 5:
		return g.Pick("007", "+1", "-0", " 1", "1.0", "9223372036854775808")
	default:
		return g.Field()
	}
}

func setMembers(g *Gen, lo, hi int) []string {
	ms := make([]string, g.Int(lo, hi))
	for i := range ms {
		ms[i] = setMember(g)
	}
	return ms
}

// genSets exercises the set commands. Random picks (SPOP, SRANDMEMBER)
// either take the whole set (a count beyond any set here), which is
// deterministic, or do not change anything and are not compared.
func genSets(g *Gen) Op {
	switch g.R.IntN(30) {
	case 0, 1, 2, 3, 4, 5:
		return Op{Args: append([]string{"SADD", g.Key()}, setMembers(g, 1, 6)...)}
	case 6, 7:
		return Op{Args: append([]string{"SREM", g.Key()}, setMembers(g, 1, 4)...)}
	case 8, 9:
		return Op{Args: []string{"SMEMBERS", g.Key()}, Sort: true}
	case 10:
		return Op{Args: []string{"SISMEMBER", g.Key(), setMember(g)}}
	case 11:
		return Op{Args: append([]string{"SMISMEMBER", g.Key()}, setMembers(g, 1, 4)...)}
	case 12:
		return Op{Args: []string{"SCARD", g.Key()}}
	case 13:
		switch g.R.IntN(4) {
		case 0:
			return Op{Args: []string{"SPOP", g.Key(), g.Pick("100000", "9223372036854775807")}, Sort: true}
		case 1:
			return Op{Args: []string{"SPOP", g.Key(), g.Pick("0", "-1", "x", "1.5", "")}}
		case 2:
			return Op{Args: []string{"SPOP", g.Key(), "1", "2"}}
		default:
			return Op{Args: []string{"SPOP"}}
		}
	case 14:
		switch g.R.IntN(4) {
		case 0:
			return Op{Args: []string{"SRANDMEMBER", g.Key()}, NoCompare: true}
		case 1:
			return Op{Args: []string{"SRANDMEMBER", g.Key(), g.Pick("-1", "-5", "2", "3")}, NoCompare: true}
		case 2:
			return Op{Args: []string{"SRANDMEMBER", g.Key(), g.Pick("100000", "0", "x", "-9223372036854775808")}, Sort: true}
		default:
			return Op{Args: []string{"SRANDMEMBER", g.Key(), "1", "2"}}
		}
	case 15, 16:
		return Op{Args: []string{"SMOVE", g.Key(), g.Key(), setMember(g)}}
	case 17, 18:
		cmd := g.Pick("SINTER", "SUNION", "SDIFF")
		return Op{Args: append([]string{cmd}, g.Keys(g.Int(1, 4))...), Sort: true}
	case 19, 20:
		cmd := g.Pick("SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE")
		return Op{Args: append([]string{cmd, g.Key()}, g.Keys(g.Int(1, 3))...)}
	case 21:
		n := g.Int(1, 3)
		args := append([]string{"SINTERCARD", g.IntArg(0, n+1)}, g.Keys(n)...)
		if g.Chance(0.5) {
			args = append(args, "LIMIT", g.Pick("0", "1", "2", "5", "-1", "x"))
		}
		return Op{Args: args}
	case 22, 23:
		return Op{Args: []string{"OBJECT", "ENCODING", g.Key()}}
	case 24:
		return Op{Args: []string{"TYPE", g.Key()}}
	case 25:
		return Op{Args: []string{g.Pick("EXPIRE", "PEXPIRE"), g.Key(), g.Pick("1000", "100000")}}
	case 26:
		return Op{Args: []string{"TTL", g.Key()}}
	case 27:
		// large adds: intset to hashtable past 512 members
		if g.Chance(0.2) {
			ms := make([]string, g.Int(100, 600))
			base := g.Int(-100, 1000)
			for i := range ms {
				ms[i] = g.IntArg(base, base+700)
			}
			return Op{Args: append([]string{"SADD", g.Key()}, ms...)}
		}
		return Op{Args: append([]string{"SADD", g.Key()}, setMembers(g, 1, 3)...)}
	case 28:
		// one call covers a whole set here (sets stay below 100000
		// members); an exact pattern matches at
		// most one member, so the reply's order cannot differ
		m := setMember(g)
		if strings.ContainsAny(m, "*?[\\") {
			m = "f1"
		}
		return Op{Args: []string{"SSCAN", g.Key(), "0", "COUNT", "100000", "MATCH", m}}
	default:
		// arity errors
		return Op{Args: [][]string{{"SADD", g.Key()}, {"SREM", g.Key()}, {"SMEMBERS"}, {"SISMEMBER", g.Key()},
			{"SCARD"}, {"SMOVE", g.Key(), g.Key()}, {"SINTER"}, {"SUNIONSTORE", g.Key()}, {"SINTERCARD", "1"},
			{"SSCAN", g.Key()}, {"SMISMEMBER", g.Key()}}[g.R.IntN(11)]}
	}
}
