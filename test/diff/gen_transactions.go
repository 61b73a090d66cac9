package diff

func init() { generators["transactions"] = genTransactions }

// genTransactions opens, runs and discards transactions and watches keys;
// the other families' commands fall inside them (TestRandom compares an
// EXEC's reply element by element, see txTracker). Misuse (nested MULTI,
// EXEC without MULTI, WATCH inside MULTI, wrong arity) is included.
func genTransactions(g *Gen) Op {
	switch g.R.IntN(20) {
	case 0, 1, 2, 3:
		return Op{Args: []string{"MULTI"}}
	case 4, 5, 6, 7:
		return Op{Args: []string{"EXEC"}}
	case 8:
		return Op{Args: []string{"DISCARD"}}
	case 9, 10, 11:
		return Op{Args: append([]string{"WATCH"}, g.Keys(g.Int(1, 3))...)}
	case 12:
		return Op{Args: []string{"UNWATCH"}}
	case 13:
		return Op{Args: []string{g.Pick("MULTI", "EXEC", "DISCARD", "UNWATCH"), "extra"}}
	case 14:
		return Op{Args: []string{"WATCH"}}
	case 15:
		return Op{Args: []string{"NOSUCHCMD", g.Key()}}
	case 16:
		return Op{Args: []string{"GET"}} // arity error: inside MULTI it aborts the transaction
	default:
		return Op{Args: []string{g.Pick("SET", "APPEND"), g.Key(), g.Value()}}
	}
}
