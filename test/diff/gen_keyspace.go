package diff

import (
	"strconv"

	"github.com/lightconedb/lightcone/internal/rdb"
)

func init() { generators["keyspace"] = genKeyspace }

// genKeyspace exercises the generic key commands (DEL, UNLINK, EXISTS,
// TYPE, TOUCH, KEYS, SCAN, RANDOMKEY, RENAME, RENAMENX, COPY, MOVE, OBJECT,
// DUMP, RESTORE), the TTL commands (EXPIRE & co., TTL, EXPIRETIME,
// PERSIST) and DBSIZE, FLUSHDB, SWAPDB, now and then with invalid arguments
// or the wrong arity.
//
// Replies that depend on the clock are avoided: relative TTLs are whole
// seconds (>= 100 s) read back with TTL (rounded to seconds), PTTL and
// PEXPIRETIME are not compared, absolute times are far in the future (year
// 2100 and later) or in the past (the key is deleted). SCAN replies come in
// no particular order and RANDOMKEY's is random: those are not compared
// (the case files check SCAN iterations with !scan), only their errors.
//
// Left out until the engine can express them (see keyspace.go): OBJECT
// REFCOUNT (Redis' COPY makes an unshared small integer) and OBJECT ENCODING
// (RENAME/COPY/MOVE of an integral INCRBYFLOAT result stays "embstr" in
// Redis).
func genKeyspace(g *Gen) Op {
	k := g.Key()
	switch g.R.IntN(40) {
	case 0, 1:
		return Op{Args: append([]string{g.Pick("DEL", "UNLINK")}, g.Keys(g.Int(1, 4))...)}
	case 2, 3:
		return Op{Args: append([]string{g.Pick("EXISTS", "TOUCH")}, g.Keys(g.Int(1, 4))...)}
	case 4:
		return Op{Args: []string{"TYPE", k}}
	case 5, 6:
		return Op{Args: []string{"KEYS", ksPattern(g)}, Sort: true}
	case 7:
		return ksScan(g)
	case 8:
		return Op{Args: []string{"RANDOMKEY"}, NoCompare: true}
	case 9, 10:
		return Op{Args: []string{g.Pick("RENAME", "RENAMENX"), k, g.Key()}}
	case 11, 12:
		return Op{Args: ksCopyArgs(g, k)}
	case 13:
		return Op{Args: []string{"MOVE", k, ksDB(g)}}
	case 14:
		// FREQ errors (no LFU policy) or replies null, like Redis
		return Op{Args: []string{"OBJECT", g.Pick("FREQ", "freq", "HELP", "NOPE"), k}}
	case 15:
		return Op{Args: []string{"OBJECT", "IDLETIME", k}, NoCompare: true}
	case 16, 17:
		return Op{Args: []string{"DUMP", k}, Dump: true}
	case 18, 19, 20:
		return Op{Args: ksRestoreArgs(g, k)}
	case 21, 22, 23, 24:
		return Op{Args: ksExpireArgs(g, k)}
	case 25, 26:
		return Op{Args: []string{"TTL", k}}
	case 27:
		return Op{Args: []string{"EXPIRETIME", k}}
	case 28:
		return Op{Args: []string{g.Pick("PTTL", "PEXPIRETIME"), k}, NoCompare: true}
	case 29:
		return Op{Args: []string{"PERSIST", k}}
	case 30:
		return Op{Args: []string{"DBSIZE"}}
	case 31:
		if g.Chance(0.3) {
			return Op{Args: []string{"FLUSHDB", g.Pick("ASYNC", "SYNC", "sync")}}
		}
		return Op{Args: []string{"FLUSHDB", g.Pick("FOO", "ASYNC SYNC")}}
	case 32:
		return Op{Args: []string{"SWAPDB", ksDB(g), ksDB(g)}}
	case 33, 34:
		// something to rename, copy, dump and expire
		return Op{Args: []string{"SET", k, g.Value()}}
	case 35:
		return Op{Args: []string{"SET", k, g.Value(), "EX", ksSeconds(g)}}
	default:
		return Op{Args: ksBadArity(g, k)}
	}
}

// ksPattern returns a KEYS / SCAN MATCH pattern that hits the key pool.
func ksPattern(g *Gen) string {
	return g.Pick("*", "**", "a", "?", "key:*", "key:?", "key:[12]", "key:[^1]", "[ab]", "[a-c]", "[c-a]",
		"*e*", "{t}*", "\\{t}x", "k\xc3*", "sp*", "sp ace", "[^a]*", "*:[12]", "*[\x00]", "k??\x00",
		"", "[", "\\", "*x", "?*?", "[abc", "[]a]", "[\\]]*")
}

// ksDB returns a database index for COPY/MOVE/SWAPDB: mostly 0-3 (the
// databases the random test SELECTs), sometimes an invalid one.
func ksDB(g *Gen) string {
	if g.Chance(0.85) {
		return g.IntArg(0, 3)
	}
	return g.Pick("16", "-1", "x", "1.5", "99999999999", "99999999999999999999", "")
}

func ksSeconds(g *Gen) string { return g.IntArg(100, 1000000) }

func ksScan(g *Gen) Op {
	if g.Chance(0.5) {
		// errors are deterministic
		bad := [][]string{
			{"SCAN", g.Pick("abc", " 0", "0x1", "1e3", "-", "18446744073709551616")},
			{"SCAN", "0", "COUNT", g.Pick("0", "-1", "x", "")},
			{"SCAN", "0", g.Pick("MATCH", "COUNT", "TYPE", "FOO")},
			{"SCAN", "0", "FOO", "bar"},
		}
		return Op{Args: bad[g.R.IntN(len(bad))]}
	}
	args := []string{"SCAN", g.Pick("0", "0", "1", "255", "256", "18446744073709551615")}
	if g.Chance(0.5) {
		args = append(args, "MATCH", ksPattern(g))
	}
	if g.Chance(0.5) {
		args = append(args, "COUNT", g.IntArg(1, 1000))
	}
	if g.Chance(0.3) {
		args = append(args, "TYPE", g.Pick("string", "STRING", "list", "none", "foo"))
	}
	return Op{Args: args, NoCompare: true}
}

func ksCopyArgs(g *Gen, k string) []string {
	args := []string{"COPY", k, g.Key()}
	if g.Chance(0.4) {
		args = append(args, "DB", ksDB(g))
	}
	if g.Chance(0.4) {
		args = append(args, "REPLACE")
	}
	if g.Chance(0.05) {
		args = append(args, g.Pick("FOO", "DB"))
	}
	return args
}

// ksPayload returns a DUMP payload: a valid one (as redis-server 7.0 would
// make it) or a broken one.
func ksPayload(g *Gen) string {
	p := rdb.DumpString([]byte(g.Value()))
	switch g.R.IntN(12) {
	case 0: // bad checksum
		p[len(p)-1] ^= 0xff
	case 1: // truncated
		p = p[:g.Int(0, len(p)-1)]
	case 2: // newer RDB version
		p[len(p)-10] = 11
	case 3:
		return g.Pick("", "garbage", "\x00")
	}
	return string(p)
}

func ksRestoreArgs(g *Gen, k string) []string {
	ttl := "0"
	abs := false
	switch g.R.IntN(6) {
	case 0:
		ttl = strconv.Itoa(g.Int(100, 1000000) * 1000)
	case 1:
		ttl, abs = g.Pick("4102444800000", "33177600000000", "1000", "1"), true
	case 2:
		ttl = g.Pick("-1", "x", "9223372036854775807")
	}
	args := []string{"RESTORE", k, ttl, ksPayload(g)}
	opts := [][]string{{"REPLACE"}, {"IDLETIME", g.Pick("0", "10", "-1", "x")}, {"FREQ", g.Pick("0", "255", "256", "-1")}}
	g.R.Shuffle(len(opts), func(i, j int) { opts[i], opts[j] = opts[j], opts[i] })
	for _, o := range opts[:g.Int(0, 2)] {
		args = append(args, o...)
	}
	if abs || g.Chance(0.05) {
		args = append(args, "ABSTTL")
	}
	if g.Chance(0.5) {
		args = append(args, "REPLACE")
	}
	if g.Chance(0.03) {
		args = append(args, g.Pick("FOO", "IDLETIME", "FREQ"))
	}
	return args
}

// ksExpireArgs builds an EXPIRE-family command. Relative times are whole
// seconds drawn from a wide range, so that GT/LT never compare two equal
// relative TTLs (their answer would depend on the millisecond); absolute
// ones are in the far future or in the past.
func ksExpireArgs(g *Gen, k string) []string {
	var cmd, when string
	switch g.R.IntN(7) {
	case 0, 1:
		cmd, when = "EXPIRE", ksSeconds(g)
	case 2:
		cmd, when = "PEXPIRE", ksSeconds(g)+"000"
	case 3:
		cmd, when = "EXPIREAT", strconv.Itoa(4102444800+g.Int(0, 1000000))
	case 4:
		cmd, when = "PEXPIREAT", strconv.Itoa(4102444800+g.Int(0, 1000000))+g.Pick("000", "500", "999")
	case 5:
		// in the past: the key is deleted
		cmd = g.Pick("EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT")
		when = g.Pick("0", "-1", "-100000", "1")
		if cmd == "EXPIRE" || cmd == "PEXPIRE" {
			when = g.Pick("0", "-1", "-100000")
		}
	default:
		// invalid: not an integer or overflowing
		cmd = g.Pick("EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT")
		when = g.Pick("abc", "1.5", "", "9223372036854775807", "-9223372036854775808", "9223372036854775808")
	}
	args := []string{cmd, k, when}
	for n := g.Int(0, 2); n > 0; n-- {
		args = append(args, g.Pick("NX", "XX", "GT", "LT", "nx", "gt"))
	}
	if g.Chance(0.03) {
		args = append(args, "FOO")
	}
	return args
}

// ksBadArity returns a key command with too few or too many arguments.
func ksBadArity(g *Gen, k string) []string {
	cands := [][]string{
		{"DEL"}, {"UNLINK"}, {"EXISTS"}, {"TOUCH"}, {"TYPE"}, {"TYPE", k, k}, {"KEYS"}, {"KEYS", "*", "*"},
		{"SCAN"}, {"RANDOMKEY", k}, {"RENAME", k}, {"RENAMENX", k, k, k}, {"COPY", k}, {"MOVE", k},
		{"OBJECT"}, {"OBJECT", "ENCODING"}, {"OBJECT", "REFCOUNT", k, k}, {"OBJECT", "HELP", k}, {"DUMP"},
		{"RESTORE", k, "0"}, {"EXPIRE", k}, {"PEXPIREAT", k}, {"TTL"}, {"PTTL", k, k}, {"EXPIRETIME"},
		{"PERSIST"}, {"DBSIZE", k}, {"SWAPDB", "0"}, {"FLUSHDB", "ASYNC", "SYNC"}, {"FLUSHALL", "FOO"},
		{"TIME", k},
	}
	return cands[g.R.IntN(len(cands))]
}
