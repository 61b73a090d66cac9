package server

import (
	"bufio"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/lightconedb/lightcone/internal/commands"
)

// ACL: users with passwords and permission selectors (commands and
// categories, key patterns with read/write access, channel patterns), the
// checks every command passes, ACL LOG, and the --aclfile.

func init() {
	Params = append(Params,
		&Param{Name: "aclfile", Kind: KindString, Default: "", Help: "file of ACL users (ACL LOAD / ACL SAVE); empty: users live in memory"},
		&Param{Name: "acllog-max-len", Kind: KindInt, Default: "128", Min: 0, Max: 1<<31 - 1, Mutable: true, Help: "entries ACL LOG keeps"},
	)
}

type keyPattern struct {
	pat         string
	read, write bool
}

type aclSelector struct {
	allCmds  bool // +@all: also commands added in the future
	allowed  map[*commands.Command]bool
	rules    []string // +cmd, -cmd, +@cat, -@cat in the order given (ACL GETUSER)
	keys     []keyPattern
	allKeys  bool
	chans    []string
	allChans bool
}

type aclUser struct {
	name      string
	enabled   bool
	nopass    bool
	passwords []string // SHA-256, hex
	root      *aclSelector
	selectors []*aclSelector
	sanitize  string // "", "sanitize-payload", "skip-sanitize-payload"
}

type aclLogEntry struct {
	count                             int64
	reason, context, object, username string
	created, updated                  time.Time
	clientInfo                        string
}

type aclState struct {
	mu    sync.RWMutex
	users map[string]*aclUser
	log   []*aclLogEntry // newest first
}

func newSelector() *aclSelector { return &aclSelector{allowed: map[*commands.Command]bool{}} }

func (s *Server) initACL() error {
	s.acl.users = map[string]*aclUser{}
	def := &aclUser{name: "default", enabled: true, nopass: true, root: newSelector()}
	for _, r := range []string{"~*", "&*", "+@all"} {
		if err := s.applyRule(def, r); err != nil {
			return err
		}
	}
	s.acl.users["default"] = def
	if p := s.Settings.Get("requirepass"); p != "" {
		s.setRequirepass(p)
	}
	if f := s.Settings.Get("aclfile"); f != "" {
		if err := s.loadACLFile(f); err != nil {
			return err
		}
	}
	return nil
}

// setRequirepass makes p the default user's only password ("" = nopass).
func (s *Server) setRequirepass(p string) {
	s.acl.mu.Lock()
	old := s.acl.users["default"]
	if old == nil {
		s.acl.mu.Unlock()
		return
	}
	def := old.clone() // published users never change
	if p == "" {
		def.nopass, def.passwords = true, nil
	} else {
		def.nopass, def.passwords = false, []string{hashPass(p)}
	}
	s.acl.users["default"] = def
	s.acl.mu.Unlock()
	s.rebindUser(def)
}

func init() {
	for _, p := range Params {
		if p.Name == "requirepass" {
			p.OnSet = func(s *Server, v string) error { s.setRequirepass(v); return nil }
		}
	}
}

// defaultOpen reports whether a new connection is authenticated as the
// default user without AUTH (it has nopass and is enabled).
func (s *Server) defaultOpen() bool {
	u := s.aclUser("default")
	return u != nil && u.enabled && u.nopass
}

func hashPass(p string) string {
	h := sha256.Sum256([]byte(p))
	return hex.EncodeToString(h[:])
}

// unrestricted reports whether the user may run anything on anything (the
// check can be skipped).
func (u *aclUser) unrestricted() bool {
	return u.root.allCmds && u.root.allKeys && u.root.allChans && len(u.root.allowed) == 0 && len(u.selectors) == 0
}

// user looks a user up.
func (s *Server) aclUser(name string) *aclUser {
	s.acl.mu.RLock()
	defer s.acl.mu.RUnlock()
	return s.acl.users[name]
}

// checkPassword reports whether pass opens user's account.
func (s *Server) checkPassword(user, pass string) bool {
	u := s.aclUser(user)
	if u == nil || !u.enabled {
		return false
	}
	if u.nopass {
		return true
	}
	h := hashPass(pass)
	for _, p := range u.passwords {
		if p == h {
			return true
		}
	}
	return false
}

// applyRule applies one ACL SETUSER rule to u.
func (s *Server) applyRule(u *aclUser, rule string) error {
	if strings.HasPrefix(rule, "(") {
		if !strings.HasSuffix(rule, ")") {
			return fmt.Errorf("Unmatched parenthesis in acl selector starting at '%s'.", rule)
		}
		sel := newSelector()
		for _, r := range strings.Fields(rule[1 : len(rule)-1]) {
			if err := s.applySelectorRule(sel, r); err != nil {
				return err
			}
		}
		u.selectors = append(u.selectors, sel)
		return nil
	}
	switch strings.ToLower(rule) {
	case "on":
		u.enabled = true
	case "off":
		u.enabled = false
	case "nopass":
		u.nopass, u.passwords = true, nil
	case "resetpass":
		u.nopass, u.passwords = false, nil
	case "clearselectors":
		u.selectors = nil
	case "sanitize-payload", "skip-sanitize-payload":
		u.sanitize = strings.ToLower(rule)
	case "reset":
		for _, r := range []string{"resetpass", "resetkeys", "resetchannels", "-@all", "off", "sanitize-payload", "clearselectors"} {
			if err := s.applyRule(u, r); err != nil {
				return err
			}
		}
	default:
		switch rule[0] {
		case '>':
			h := hashPass(rule[1:])
			u.nopass = false
			for _, p := range u.passwords {
				if p == h {
					return nil
				}
			}
			u.passwords = append(u.passwords, h)
			return nil
		case '#':
			h := strings.ToLower(rule[1:])
			if len(h) != 64 || strings.Trim(h, "0123456789abcdef") != "" {
				return fmt.Errorf("The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters")
			}
			u.nopass = false
			for _, p := range u.passwords {
				if p == h {
					return nil
				}
			}
			u.passwords = append(u.passwords, h)
			return nil
		case '<', '!':
			h := hashPass(rule[1:])
			if rule[0] == '!' {
				h = strings.ToLower(rule[1:])
			}
			for i, p := range u.passwords {
				if p == h {
					u.passwords = append(u.passwords[:i:i], u.passwords[i+1:]...)
					return nil
				}
			}
			return fmt.Errorf("The password you are trying to remove from the user does not exist")
		}
		return s.applySelectorRule(u.root, rule)
	}
	return nil
}

// categoryCommands lists the commands (and subcommands) of an ACL category.
func (s *Server) categoryCommands(cat string) ([]*commands.Command, bool) {
	known := false
	for _, c := range aclCategories {
		if c == cat {
			known = true
		}
	}
	if !known {
		return nil, false
	}
	var out []*commands.Command
	for _, c := range allCommands(s.Table) {
		for _, x := range c.Categories {
			if x == cat {
				out = append(out, c)
				break
			}
		}
	}
	return out, true
}

// aclCategories are Redis 7.0's, in ACL CAT order.
var aclCategories = []string{"keyspace", "read", "write", "set", "sortedset", "list", "hash", "string", "bitmap",
	"hyperloglog", "geo", "stream", "pubsub", "admin", "fast", "slow", "blocking", "dangerous", "connection",
	"transaction", "scripting"}

func (s *Server) applySelectorRule(sel *aclSelector, rule string) error {
	low := strings.ToLower(rule)
	switch low {
	case "allkeys":
		low, rule = "~*", "~*"
	case "allchannels":
		low, rule = "&*", "&*"
	case "allcommands":
		low, rule = "+@all", "+@all"
	case "nocommands":
		low, rule = "-@all", "-@all"
	}
	switch {
	case low == "resetkeys":
		sel.keys, sel.allKeys = nil, false
		return nil
	case low == "resetchannels":
		sel.chans, sel.allChans = nil, false
		return nil
	case strings.HasPrefix(rule, "~") || strings.HasPrefix(rule, "%"):
		kp := keyPattern{read: true, write: true}
		pat := rule
		if rule[0] == '%' {
			i := strings.IndexByte(rule, '~')
			if i < 0 {
				return fmt.Errorf("Syntax error")
			}
			kp.read, kp.write = false, false
			for _, f := range strings.ToUpper(rule[1:i]) {
				switch f {
				case 'R':
					kp.read = true
				case 'W':
					kp.write = true
				default:
					return fmt.Errorf("Syntax error")
				}
			}
			if !kp.read && !kp.write {
				return fmt.Errorf("Syntax error")
			}
			pat = rule[i:]
		}
		kp.pat = pat[1:]
		if kp.pat == "*" && kp.read && kp.write {
			sel.allKeys = true
			sel.keys = nil
			return nil
		}
		if sel.allKeys {
			return fmt.Errorf("Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns")
		}
		for _, k := range sel.keys {
			if k == kp {
				return nil
			}
		}
		sel.keys = append(sel.keys, kp)
		return nil
	case strings.HasPrefix(rule, "&"):
		if rule == "&*" {
			sel.allChans, sel.chans = true, nil
			return nil
		}
		if sel.allChans {
			return fmt.Errorf("Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels")
		}
		for _, c := range sel.chans {
			if c == rule[1:] {
				return nil
			}
		}
		sel.chans = append(sel.chans, rule[1:])
		return nil
	case low == "+@all" || low == "-@all":
		sel.allCmds = low == "+@all"
		sel.allowed = map[*commands.Command]bool{}
		sel.rules = nil
		return nil
	case strings.HasPrefix(low, "+@") || strings.HasPrefix(low, "-@"):
		cmds, ok := s.categoryCommands(low[2:])
		if !ok {
			return fmt.Errorf("Unknown command or category name in ACL")
		}
		on, changed := low[0] == '+', false
		for _, c := range cmds {
			changed = changed || sel.cmdAllowed(c) != on
			sel.allowed[c] = on
		}
		if changed { // as Redis 7.0: a rule that changes nothing is not kept
			sel.addRule(low)
		}
		return nil
	case strings.HasPrefix(low, "+") || strings.HasPrefix(low, "-"):
		name := low[1:]
		var cmd *commands.Command
		if i := strings.IndexByte(name, '|'); i >= 0 {
			if parent := s.Table.Lookup([]byte(name[:i])); parent != nil {
				cmd = parent.LookupSub([]byte(name[i+1:]))
			}
		} else {
			cmd = s.Table.Lookup([]byte(name))
		}
		if cmd == nil {
			return fmt.Errorf("Unknown command or category name in ACL")
		}
		on := low[0] == '+'
		changed := sel.cmdAllowed(cmd) != on
		sel.allowed[cmd] = on
		for _, sub := range cmd.Subs {
			changed = changed || sel.cmdAllowed(sub) != on
			sel.allowed[sub] = on
		}
		if changed { // as Redis 7.0: a rule that changes nothing is not kept
			sel.addRule(low)
		}
		return nil
	}
	return fmt.Errorf("Syntax error")
}

// addRule records a command rule, replacing an earlier one for the same
// command or category.
func (sel *aclSelector) addRule(r string) {
	out := sel.rules[:0]
	for _, x := range sel.rules {
		if x[1:] != r[1:] {
			out = append(out, x)
		}
	}
	sel.rules = append(out, r)
}

// cmdAllowed reports whether the selector lets cmd run.
func (sel *aclSelector) cmdAllowed(cmd *commands.Command) bool {
	if v, ok := sel.allowed[cmd]; ok {
		return v
	}
	return sel.allCmds
}

func (sel *aclSelector) keyAllowed(key []byte, read, write bool) bool {
	if sel.allKeys {
		return true
	}
	for _, k := range sel.keys {
		if (!read || k.read) && (!write || k.write) && globMatch(k.pat, string(key), false) {
			return true
		}
	}
	return false
}

func (sel *aclSelector) chanAllowed(ch []byte, literal bool) bool {
	if sel.allChans {
		return true
	}
	for _, p := range sel.chans {
		if literal {
			if p == string(ch) {
				return true
			}
		} else if globMatch(p, string(ch), false) {
			return true
		}
	}
	return false
}

// keySpec is one of a command's Redis key specifications: where its keys
// begin (an index, or after a keyword) and how they run (a range, or a
// count argument), and what the command does to them.
type keySpec struct {
	bs        string // "index", "keyword", "unknown"
	index     int
	keyword   string
	startFrom int
	fk        string // "range", "keynum", "unknown"
	a, b, c   int    // range: lastkey, keystep, limit; keynum: keynumidx, firstkey, keystep
	read      bool   // ACCESS
	write     bool   // INSERT, DELETE or UPDATE
}

// covers calls fn with every argument index the spec names as a key.
func (ks keySpec) covers(args [][]byte, fn func(i int)) {
	argc := len(args)
	start := 0
	switch ks.bs {
	case "index":
		start = ks.index
	case "keyword":
		found := -1
		if ks.startFrom >= 0 {
			for i := ks.startFrom; i < argc; i++ {
				if commands.EqualFold(args[i], ks.keyword) {
					found = i
					break
				}
			}
		} else {
			for i := argc + ks.startFrom; i > 0; i-- {
				if commands.EqualFold(args[i], ks.keyword) {
					found = i
					break
				}
			}
		}
		if found < 0 {
			return
		}
		start = found + 1
	default:
		return
	}
	if start >= argc {
		return
	}
	switch ks.fk {
	case "range":
		last := 0
		switch {
		case ks.a >= 0:
			last = start + ks.a
		case ks.c == 0:
			last = argc + ks.a
		default:
			last = start + (argc-start)/ks.c + ks.a
		}
		step := max(ks.b, 1)
		for i := start; i <= last && i < argc; i += step {
			fn(i)
		}
	case "keynum":
		if start+ks.a >= argc {
			return
		}
		n, ok := commands.ParseInt(args[start+ks.a])
		if !ok || n <= 0 {
			return
		}
		first := start + ks.b
		step := max(ks.c, 1)
		for k, i := int64(0), first; k < n && i < argc; k, i = k+1, i+step {
			fn(i)
		}
	}
}

// keyAccess says, for the key at argument i, whether cmd reads its value (a
// %R~ pattern is needed) and whether it changes it (%W~), from Redis' key
// specifications; SET and BITFIELD decide from their arguments.
func keyAccess(cmd *commands.Command, args [][]byte, i int) (read, write bool) {
	switch cmd.Name {
	case "set":
		for _, a := range args[3:] {
			if commands.EqualFold(a, "get") {
				return true, true
			}
		}
		return false, true
	case "bitfield":
		// read-only when made of well-formed GETs (and OVERFLOWs) only;
		// anything else, even a syntax error, counts as a write
		for j := 2; j < len(args); j++ {
			rem := len(args) - j - 1
			switch a := args[j]; {
			case commands.EqualFold(a, "get") && rem >= 2:
				j += 2
			case commands.EqualFold(a, "overflow") && rem >= 1:
				j++
			default:
				return true, true
			}
		}
		return true, false
	}
	specs, ok := keySpecTable[cmd.Name]
	if !ok {
		return true, cmd.IsWrite() // a command Redis 7.0 lacks: assume it reads, and writes if flagged so
	}
	covered := false
	for _, ks := range specs {
		ks.covers(args, func(j int) {
			if j == i {
				covered = true
				read = read || ks.read
				write = write || ks.write
			}
		})
	}
	if covered {
		return read, write
	}
	for _, ks := range specs { // found by the command's own key finder
		if ks.bs == "unknown" {
			read, write = read || ks.read, write || ks.write
		}
	}
	return read, write
}

// denial says why a selector refuses a command: "" when it allows it,
// else the reason ("command", "key", "channel") and the object.
func (s *Server) denial(sel *aclSelector, cmd *commands.Command, args [][]byte) (reason, object string) {
	if !sel.cmdAllowed(cmd) {
		return "command", cmd.Name
	}
	if !sel.allKeys {
		for _, i := range cmd.KeyPositions(args) {
			if i >= len(args) {
				continue
			}
			read, write := keyAccess(cmd, args, i)
			if !sel.keyAllowed(args[i], read, write) {
				return "key", string(args[i])
			}
		}
	}
	if !sel.allChans {
		for _, ch := range channelArgs(cmd, args) {
			if !sel.chanAllowed(ch.name, ch.pattern) {
				return "channel", string(ch.name)
			}
		}
	}
	return "", ""
}

// userDenial is denial over the user's root and every selector: allowed if
// any allows; otherwise the most telling refusal (a key or channel refused
// by a selector that allows the command beats "command").
func (s *Server) userDenial(u *aclUser, cmd *commands.Command, args [][]byte) (reason, object string) {
	reason, object = s.denial(u.root, cmd, args)
	if reason == "" {
		return "", ""
	}
	for _, sel := range u.selectors {
		r, o := s.denial(sel, cmd, args)
		if r == "" {
			return "", ""
		}
		if reason == "command" && r != "command" {
			reason, object = r, o
		}
	}
	return reason, object
}

type chanArg struct {
	name    []byte
	pattern bool
}

// channelArgs lists the channels a pub/sub command names.
func channelArgs(cmd *commands.Command, args [][]byte) []chanArg {
	var out []chanArg
	switch cmd.Name {
	case "publish", "spublish":
		if len(args) > 1 {
			out = append(out, chanArg{name: args[1]})
		}
	case "subscribe", "ssubscribe":
		for _, a := range args[1:] {
			out = append(out, chanArg{name: a})
		}
	case "psubscribe":
		for _, a := range args[1:] {
			out = append(out, chanArg{name: a, pattern: true})
		}
	}
	return out
}

// aclCheck returns "" when u may run cmd with args, else the NOPERM error;
// refusals go to ACL LOG.
func (s *Server) aclCheck(c *client, u *aclUser, cmd *commands.Command, args [][]byte, context string) string {
	reason := s.aclDenied(c, u, cmd, args, context)
	if reason == "" {
		return ""
	}
	if context == "multi" {
		why := "no permission to execute the command or subcommand"
		switch reason {
		case "key":
			why = "no permission to touch the specified keys"
		case "channel":
			why = "no permission to access one of the channels used as arguments"
		}
		return "NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: " + why
	}
	switch reason {
	case "command":
		return "NOPERM this user has no permissions to run the '" + cmd.Name + "' command"
	case "key":
		return "NOPERM this user has no permissions to access one of the keys used as arguments"
	}
	return "NOPERM this user has no permissions to access one of the channels used as arguments"
}

// aclDenied is "" when u may run cmd with args, else why not ("command",
// "key", "channel"), logged in ACL LOG under context.
func (s *Server) aclDenied(c *client, u *aclUser, cmd *commands.Command, args [][]byte, context string) string {
	s.acl.mu.RLock()
	reason, object := s.userDenial(u, cmd, args)
	s.acl.mu.RUnlock()
	if reason != "" {
		s.aclLog(c, reason, context, object, u.name)
	}
	return reason
}

// aclLog records a refusal; a repeat within 60 s of the same refusal adds to
// its count.
func (s *Server) aclLog(c *client, reason, context, object, user string) {
	info := ""
	if c != nil {
		info = c.infoLine(&c.ctx)
	}
	now := time.Now()
	max := int(s.Settings.Int("acllog-max-len"))
	s.acl.mu.Lock()
	defer s.acl.mu.Unlock()
	for i, e := range s.acl.log {
		if e.reason == reason && e.context == context && e.object == object && e.username == user && now.Sub(e.updated) < 60*time.Second {
			e.count++
			e.updated = now
			e.clientInfo = info
			copy(s.acl.log[1:i+1], s.acl.log[:i])
			s.acl.log[0] = e
			return
		}
	}
	e := &aclLogEntry{count: 1, reason: reason, context: context, object: object, username: user, created: now, updated: now, clientInfo: info}
	s.acl.log = append([]*aclLogEntry{e}, s.acl.log...)
	if len(s.acl.log) > max {
		s.acl.log = s.acl.log[:max]
	}
}

// describe renders a user as ACL LIST does.
func (u *aclUser) describe() string {
	var b strings.Builder
	b.WriteString("user " + u.name)
	if u.enabled {
		b.WriteString(" on")
	} else {
		b.WriteString(" off")
	}
	if u.nopass {
		b.WriteString(" nopass")
	}
	if u.sanitize != "" {
		b.WriteString(" " + u.sanitize)
	}
	for _, p := range u.passwords {
		b.WriteString(" #" + p)
	}
	b.WriteString(" " + u.root.describe())
	for _, sel := range u.selectors {
		b.WriteString(" (" + sel.describe() + ")")
	}
	return b.String()
}

func (sel *aclSelector) keysString() string {
	if sel.allKeys {
		return "~*"
	}
	var parts []string
	for _, k := range sel.keys {
		switch {
		case k.read && k.write:
			parts = append(parts, "~"+k.pat)
		case k.read:
			parts = append(parts, "%R~"+k.pat)
		default:
			parts = append(parts, "%W~"+k.pat)
		}
	}
	return strings.Join(parts, " ")
}

func (sel *aclSelector) chansString() string {
	if sel.allChans {
		return "&*"
	}
	var parts []string
	for _, c := range sel.chans {
		parts = append(parts, "&"+c)
	}
	return strings.Join(parts, " ")
}

func (sel *aclSelector) cmdString() string {
	var parts []string
	if sel.allCmds {
		parts = append(parts, "+@all")
	} else {
		parts = append(parts, "-@all")
	}
	return strings.Join(append(parts, sel.rules...), " ")
}

func (sel *aclSelector) describe() string {
	var parts []string
	if k := sel.keysString(); k != "" {
		parts = append(parts, k)
	}
	if !sel.allChans {
		parts = append(parts, "resetchannels")
	}
	if c := sel.chansString(); c != "" {
		parts = append(parts, c)
	}
	parts = append(parts, sel.cmdString())
	return strings.Join(parts, " ")
}

func (s *Server) registerACL(t *commands.Table) {
	admin := []string{"admin", "noscript", "loading", "stale"}
	adminCats := []string{"admin", "slow", "dangerous"}
	sub := func(name string, arity int, flags, cats []string, since, syntax, summary string, h commands.Handler) *commands.Command {
		return &commands.Command{Name: name, Arity: arity, Flags: flags, Categories: cats, Since: since, Group: "server",
			Complexity: "O(1)", Syntax: syntax, Summary: summary, Handler: h}
	}
	t.Register(&commands.Command{
		Name: "acl", Arity: -2, Categories: []string{"slow"}, Summary: "A container for Access List Control commands.",
		Since: "6.0.0", Group: "server", Complexity: "Depends on subcommand.", Handler: func(c *commands.Ctx) { c.WrongArgs() },
		Subs: map[string]*commands.Command{
			"cat":     sub("cat", -2, []string{"noscript", "loading", "stale"}, []string{"slow"}, "6.0.0", "[category]", "Lists the ACL categories, or the commands inside a category.", cmdACLCat),
			"deluser": sub("deluser", -3, admin, adminCats, "6.0.0", "username [username ...]", "Deletes ACL users, and terminates their connections.", cmdACLDelUser),
			"dryrun":  sub("dryrun", -4, admin, adminCats, "7.0.0", "username command [arg [arg ...]]", "Simulates the execution of a command by a user, without executing the command.", cmdACLDryRun),
			"genpass": sub("genpass", -2, []string{"noscript", "loading", "stale"}, []string{"slow"}, "6.0.0", "[bits]", "Generates a pseudorandom, secure password that can be used to identify ACL users.", cmdACLGenPass),
			"getuser": sub("getuser", 3, admin, adminCats, "6.0.0", "username", "Lists the ACL rules of a user.", cmdACLGetUser),
			"list":    sub("list", 2, admin, adminCats, "6.0.0", "", "Dumps the effective rules in ACL file format.", cmdACLList),
			"load":    sub("load", 2, admin, adminCats, "6.0.0", "", "Reloads the rules from the configured ACL file.", cmdACLLoad),
			"log":     sub("log", -2, admin, adminCats, "6.0.0", "[count | RESET]", "Lists recent security events generated due to ACL rules.", cmdACLLog),
			"save":    sub("save", 2, admin, adminCats, "6.0.0", "", "Saves the effective ACL rules in the configured ACL file.", cmdACLSave),
			"setuser": sub("setuser", -3, admin, adminCats, "6.0.0", "username [rule [rule ...]]", "Creates and modifies an ACL user and its rules.", cmdACLSetUser),
			"users":   sub("users", 2, admin, adminCats, "6.0.0", "", "Lists all ACL users.", cmdACLUsers),
			"whoami":  sub("whoami", 2, []string{"noscript", "loading", "stale"}, []string{"slow"}, "6.0.0", "", "Returns the authenticated username of the current connection.", func(c *commands.Ctx) { c.W.BulkString(cli(c).userName()) }),
			"help":    sub("help", 2, []string{"loading", "stale"}, []string{"slow"}, "6.0.0", "", "Returns helpful text about the different subcommands.", cmdACLHelp),
		},
	})
}

func init() {
	serverFamilies = append(serverFamilies, func(s *Server, t *commands.Table) { s.registerACL(t) })
}

func (c *client) userName() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.user
}

func cmdACLHelp(c *commands.Ctx) {
	writeHelp(c, "ACL",
		"CAT [<category>]",
		"    List all commands that belong to <category>, or all command categories",
		"    when no category is specified.",
		"DELUSER <username> [<username> ...]",
		"    Delete a list of users.",
		"DRYRUN <username> <command> [<arg> ...]",
		"    Returns whether the user can execute the given command without executing the command.",
		"GETUSER <username>",
		"    Get the user's details.",
		"GENPASS [<bits>]",
		"    Generate a secure 256-bit user password. The optional `bits` argument can",
		"    be used to specify a different size.",
		"LIST",
		"    Show users details in config file format.",
		"LOAD",
		"    Reload users from the ACL file.",
		"LOG [<count> | RESET]",
		"    Show the ACL log entries.",
		"SAVE",
		"    Save the current config to the ACL file.",
		"SETUSER <username> <attribute> [<attribute> ...]",
		"    Create or modify a user with the specified attributes.",
		"USERS",
		"    List all the registered usernames.",
		"WHOAMI",
		"    Return the current connection username.")
}

func cmdACLCat(c *commands.Ctx) {
	s := srv(c)
	if len(c.Args) == 2 {
		c.W.ArrayLen(len(aclCategories))
		for _, cat := range aclCategories {
			c.W.BulkString(cat)
		}
		return
	}
	if len(c.Args) > 3 {
		subSyntaxError(c, "ACL")
		return
	}
	cmds, ok := s.categoryCommands(strings.ToLower(string(c.Args[2])))
	if !ok {
		c.Errorf("ERR Unknown category '%s'", c.Args[2])
		return
	}
	c.W.ArrayLen(len(cmds))
	for _, cmd := range cmds {
		c.W.BulkString(cmd.Name)
	}
}

// splitSelectorArgs joins "(...)" selector rules that arrive split over
// several arguments.
func splitSelectorArgs(args [][]byte) ([]string, error) {
	var out []string
	for i := 0; i < len(args); i++ {
		a := string(args[i])
		if strings.HasPrefix(a, "(") && !strings.HasSuffix(a, ")") {
			j := i + 1
			for ; j < len(args) && !strings.HasSuffix(string(args[j]), ")"); j++ {
			}
			if j == len(args) {
				return nil, fmt.Errorf("Unmatched parenthesis in acl selector starting at '%s'.", a)
			}
			parts := make([]string, 0, j-i+1)
			for k := i; k <= j; k++ {
				parts = append(parts, string(args[k]))
			}
			a = strings.Join(parts, " ")
			i = j
		}
		out = append(out, a)
	}
	return out, nil
}

func cmdACLSetUser(c *commands.Ctx) {
	s := srv(c)
	name := string(c.Args[2])
	rules, err := splitSelectorArgs(c.Args[3:])
	if err != nil {
		c.Error("ERR " + err.Error())
		return
	}
	if err := s.setUser(name, rules); err != nil {
		c.Error(err.Error())
		return
	}
	c.OK()
}

// setUser creates or changes a user atomically: on an invalid rule nothing
// changes.
func (s *Server) setUser(name string, rules []string) error {
	s.acl.mu.RLock()
	old := s.acl.users[name]
	s.acl.mu.RUnlock()
	u := &aclUser{name: name, root: newSelector()}
	if old != nil {
		u = old.clone()
	} else {
		s.applyRule(u, "resetchannels")
	}
	for _, r := range rules {
		if err := s.applyRule(u, r); err != nil {
			return fmt.Errorf("ERR Error in ACL SETUSER modifier '%s': %s", r, err)
		}
	}
	s.acl.mu.Lock()
	s.acl.users[name] = u
	s.acl.mu.Unlock()
	s.rebindUser(u)
	return nil
}

func (u *aclUser) clone() *aclUser {
	n := *u
	n.passwords = append([]string(nil), u.passwords...)
	n.root = u.root.clone()
	n.selectors = nil
	for _, sel := range u.selectors {
		n.selectors = append(n.selectors, sel.clone())
	}
	return &n
}

func (sel *aclSelector) clone() *aclSelector {
	n := *sel
	n.allowed = make(map[*commands.Command]bool, len(sel.allowed))
	for k, v := range sel.allowed {
		n.allowed[k] = v
	}
	n.rules = append([]string(nil), sel.rules...)
	n.keys = append([]keyPattern(nil), sel.keys...)
	n.chans = append([]string(nil), sel.chans...)
	return &n
}

// rebindUser points the clients authenticated as u's name at its new rules.
func (s *Server) rebindUser(u *aclUser) {
	for _, cl := range s.clientList() {
		if cl.userName() == u.name && cl.acl.Load() != nil {
			cl.acl.Store(u)
		}
	}
}

func cmdACLGetUser(c *commands.Ctx) {
	s := srv(c)
	u := s.aclUser(string(c.Args[2]))
	if u == nil {
		c.W.Null()
		return
	}
	s.acl.mu.RLock()
	defer s.acl.mu.RUnlock()
	c.W.MapLen(6)
	c.W.BulkString("flags")
	var flags []string
	if u.enabled {
		flags = append(flags, "on")
	} else {
		flags = append(flags, "off")
	}
	if u.nopass {
		flags = append(flags, "nopass")
	}
	if u.sanitize != "" {
		flags = append(flags, u.sanitize)
	}
	c.W.ArrayLen(len(flags))
	for _, f := range flags {
		c.W.BulkString(f)
	}
	c.W.BulkString("passwords")
	c.W.ArrayLen(len(u.passwords))
	for _, p := range u.passwords {
		c.W.BulkString(p)
	}
	c.W.BulkString("commands")
	c.W.BulkString(u.root.cmdString())
	c.W.BulkString("keys")
	c.W.BulkString(u.root.keysString())
	c.W.BulkString("channels")
	c.W.BulkString(u.root.chansString())
	c.W.BulkString("selectors")
	c.W.ArrayLen(len(u.selectors))
	for _, sel := range u.selectors {
		c.W.MapLen(3)
		c.W.BulkString("commands")
		c.W.BulkString(sel.cmdString())
		c.W.BulkString("keys")
		c.W.BulkString(sel.keysString())
		c.W.BulkString("channels")
		c.W.BulkString(sel.chansString())
	}
}

func (s *Server) sortedUsers() []*aclUser {
	s.acl.mu.RLock()
	defer s.acl.mu.RUnlock()
	out := make([]*aclUser, 0, len(s.acl.users))
	for _, u := range s.acl.users {
		out = append(out, u)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

func cmdACLList(c *commands.Ctx) {
	us := srv(c).sortedUsers()
	c.W.ArrayLen(len(us))
	for _, u := range us {
		c.W.BulkString(u.describe())
	}
}

func cmdACLUsers(c *commands.Ctx) {
	us := srv(c).sortedUsers()
	c.W.ArrayLen(len(us))
	for _, u := range us {
		c.W.BulkString(u.name)
	}
}

func cmdACLDelUser(c *commands.Ctx) {
	s := srv(c)
	n := int64(0)
	for _, a := range c.Args[2:] {
		if string(a) == "default" {
			c.Error("ERR The 'default' user cannot be removed")
			return
		}
	}
	for _, a := range c.Args[2:] {
		name := string(a)
		s.acl.mu.Lock()
		_, ok := s.acl.users[name]
		delete(s.acl.users, name)
		s.acl.mu.Unlock()
		if !ok {
			continue
		}
		n++
		for _, cl := range s.clientList() {
			if cl.userName() == name {
				if cl == cli(c) {
					cl.closeAfterReply = true
				} else {
					cl.kill()
				}
			}
		}
	}
	c.W.Int(n)
}

func cmdACLDryRun(c *commands.Ctx) {
	s := srv(c)
	u := s.aclUser(string(c.Args[2]))
	if u == nil {
		c.Errorf("ERR User '%s' not found", c.Args[2])
		return
	}
	cmd := s.Table.Lookup(c.Args[3])
	if cmd == nil {
		c.Errorf("ERR Command '%s' not found", c.Args[3])
		return
	}
	args := c.Args[3:]
	if cmd.Subs != nil {
		var sub *commands.Command
		if len(args) >= 2 {
			sub = cmd.LookupSub(args[1])
		}
		if sub == nil {
			c.Errorf("ERR Command '%s' not found", c.Args[3])
			return
		}
		cmd = sub
	}
	if (cmd.Arity > 0 && len(args) != cmd.Arity) || len(args) < -cmd.Arity {
		c.Errorf("ERR wrong number of arguments for '%s' command", cmd.Name)
		return
	}
	s.acl.mu.RLock()
	reason, object := s.userDenial(u, cmd, args)
	s.acl.mu.RUnlock()
	switch reason {
	case "":
		c.OK()
	case "command":
		c.W.BulkString("This user has no permissions to run the '" + cmd.Name + "' command")
	case "key": // the object is printed as a C string: up to a NUL
		c.W.BulkString("This user has no permissions to access the '" + trunc(object, len(object)) + "' key")
	default:
		c.W.BulkString("This user has no permissions to access the '" + trunc(object, len(object)) + "' channel")
	}
}

func cmdACLGenPass(c *commands.Ctx) {
	bits := int64(256)
	if len(c.Args) == 3 {
		n, ok := commands.ParseInt(c.Args[2])
		if !ok {
			c.Error(commands.ErrNotInt)
			return
		}
		if n <= 0 || n > 4096 {
			c.Error("ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096")
			return
		}
		bits = n
	} else if len(c.Args) > 3 {
		subSyntaxError(c, "ACL")
		return
	}
	chars := int((bits + 3) / 4)
	b := make([]byte, (chars+1)/2)
	rand.Read(b)
	c.W.BulkString(hex.EncodeToString(b)[:chars])
}

func cmdACLLog(c *commands.Ctx) {
	s := srv(c)
	count := int64(10)
	if len(c.Args) == 3 {
		if c.Is(2, "reset") {
			s.acl.mu.Lock()
			s.acl.log = nil
			s.acl.mu.Unlock()
			c.OK()
			return
		}
		n, ok := commands.ParseInt(c.Args[2])
		if !ok {
			c.Error(commands.ErrNotInt)
			return
		}
		count = max(n, 0)
	} else if len(c.Args) > 3 {
		subSyntaxError(c, "ACL")
		return
	}
	s.acl.mu.RLock()
	entries := s.acl.log
	if int64(len(entries)) > count {
		entries = entries[:count]
	}
	entries = append([]*aclLogEntry(nil), entries...)
	s.acl.mu.RUnlock()
	now := time.Now()
	c.W.ArrayLen(len(entries))
	for _, e := range entries {
		c.W.MapLen(7)
		c.W.BulkString("count")
		c.W.Int(e.count)
		c.W.BulkString("reason")
		c.W.BulkString(e.reason)
		c.W.BulkString("context")
		c.W.BulkString(e.context)
		c.W.BulkString("object")
		c.W.BulkString(e.object)
		c.W.BulkString("username")
		c.W.BulkString(e.username)
		c.W.BulkString("age-seconds")
		c.W.Double(now.Sub(e.created).Seconds())
		c.W.BulkString("client-info")
		c.W.BulkString(e.clientInfo)
	}
}

const errNoACLFile = "ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration."

func cmdACLSave(c *commands.Ctx) {
	s := srv(c)
	f := s.Settings.Get("aclfile")
	if f == "" {
		c.Error(errNoACLFile)
		return
	}
	var b strings.Builder
	for _, u := range s.sortedUsers() {
		b.WriteString(u.describe() + "\n")
	}
	tmp := f + ".tmp"
	if err := os.WriteFile(tmp, []byte(b.String()), 0o600); err != nil {
		c.Error("ERR There was an error trying to save the ACLs. Please check the server logs for more information")
		return
	}
	if err := os.Rename(tmp, f); err != nil {
		c.Error("ERR There was an error trying to save the ACLs. Please check the server logs for more information")
		return
	}
	c.OK()
}

func cmdACLLoad(c *commands.Ctx) {
	s := srv(c)
	f := s.Settings.Get("aclfile")
	if f == "" {
		c.Error(errNoACLFile)
		return
	}
	if err := s.loadACLFile(f); err != nil {
		c.Error("ERR " + err.Error())
		return
	}
	c.OK()
}

// loadACLFile replaces the users by the file's (all or nothing); the
// default user exists even when the file does not name it.
func (s *Server) loadACLFile(path string) error {
	fh, err := os.Open(path)
	if err != nil {
		return err
	}
	defer fh.Close()
	users := map[string]*aclUser{}
	sc := bufio.NewScanner(fh)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		fields := strings.Fields(text)
		if fields[0] != "user" || len(fields) < 2 {
			return fmt.Errorf("%s:%d: line should start with user keyword", path, line)
		}
		var args [][]byte
		for _, f := range fields[2:] {
			args = append(args, []byte(f))
		}
		rules, err := splitSelectorArgs(args)
		if err != nil {
			return fmt.Errorf("%s:%d: %v", path, line, err)
		}
		u := &aclUser{name: fields[1], root: newSelector()}
		s.applyRule(u, "resetchannels")
		for _, r := range rules {
			if err := s.applyRule(u, r); err != nil {
				return fmt.Errorf("%s:%d: %s. Error in user declaration '%s'", path, line, err, fields[1])
			}
		}
		users[u.name] = u
	}
	if err := sc.Err(); err != nil {
		return err
	}
	if users["default"] == nil {
		def := &aclUser{name: "default", enabled: true, nopass: true, root: newSelector()}
		for _, r := range []string{"~*", "&*", "+@all"} {
			s.applyRule(def, r)
		}
		users["default"] = def
	}
	s.acl.mu.Lock()
	s.acl.users = users
	s.acl.mu.Unlock()
	for _, cl := range s.clientList() {
		name := cl.userName()
		if u := users[name]; u != nil {
			s.rebindUser(u)
		} else {
			cl.kill()
		}
	}
	return nil
}

// subSyntaxError is Redis' reply to a subcommand with the wrong arguments
// that its own parser (not the arity check) caught.
func subSyntaxError(c *commands.Ctx, container string) {
	c.Errorf("ERR unknown subcommand or wrong number of arguments for '%s'. Try %s HELP.", c.Args[1], container)
}
