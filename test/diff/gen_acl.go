package diff

func init() { generators["acl"] = genACL }

var aclRules = []string{"on", "off", ">pw", ">pw2", "<pw2", "nopass", "resetpass", "~k*", "~key:*", "%R~a*",
	"%W~b*", "%RW~c*", "allkeys", "resetkeys", "&ch*", "allchannels", "resetchannels", "+@all", "-@all",
	"+get", "-get", "+@string", "-@string", "+@read", "-@write", "+set", "+incr", "+acl|whoami", "+acl",
	"+@keyspace", "-del", "reset", "(+set ~x*)", "clearselectors"}

// genACL changes two users' rules, switches the connection between them
// and the default user (so that the other families' commands meet NOPERM),
// and asks ACL DRYRUN / WHOAMI / USERS. It never touches the default user;
// GETUSER/LIST stay out because Redis orders several +command rules by
// command ids that change from one start to the next.
func genACL(g *Gen) Op {
	user := g.Pick("u1", "u2")
	switch g.R.IntN(16) {
	case 0, 1, 2, 3:
		args := []string{"ACL", "SETUSER", user}
		for n := g.Int(1, 4); n > 0; n-- {
			args = append(args, aclRules[g.R.IntN(len(aclRules))])
		}
		return Op{Args: args}
	case 4, 5:
		return Op{Args: []string{"AUTH", user, g.Pick("pw", "pw2", "bad")}}
	case 6, 7, 8:
		return Op{Args: []string{"AUTH", "default", "any"}}
	case 9, 10:
		return Op{Args: []string{"ACL", "DRYRUN", user, g.Pick("get", "set", "incr", "del", "acl"), g.Key(), "1"}}
	case 11:
		return Op{Args: []string{"ACL", "WHOAMI"}}
	case 12:
		return Op{Args: []string{"ACL", "USERS"}}
	case 13:
		// deleting the user the connection is logged in as closes it, which
		// a random sequence cannot follow: delete a user nobody logs in as
		if g.Chance(0.5) {
			return Op{Args: []string{"ACL", "SETUSER", "u3", aclRules[g.R.IntN(len(aclRules))]}}
		}
		return Op{Args: []string{"ACL", "DELUSER", "u3", "nosuch"}}
	case 14:
		return Op{Args: []string{"ACL", "CAT", "nosuch"}} // a category's command list differs while commands are missing
	default:
		return Op{Args: []string{g.Pick("GET", "SET", "INCR", "DEL"), g.Key(), "1"}[:2+g.R.IntN(2)]}
	}
}
