package server

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/lightconedb/lightcone/internal/commands"
	"github.com/lightconedb/lightcone/internal/resp"
)

// CONFIG GET/SET/RESETSTAT/REWRITE/HELP over the parameters of config.go.
//
// CONFIG SET works like Redis 7.0's: every name is checked first (unknown,
// immutable or protected, duplicate), then every value is validated and
// stored, then the runtime effects are applied; if a value or an effect
// fails, all the parameters go back to their previous values. Runtime
// effects: port and bind re-listen (Redis' errors when they cannot),
// the reader limits apply to every client's next input, loglevel changes
// Settings.Level; requirepass, maxclients, timeout and hz are read where
// they are used.

func init() { serverFamilies = append(serverFamilies, registerConfig) }

// applyHooks are this file's runtime effects, run after a parameter's own
// Param.OnSet.
var applyHooks = map[string]func(s *Server, value string) error{
	"port":                      func(s *Server, _ string) error { return s.relisten("Unable to listen on this port") },
	"bind":                      func(s *Server, _ string) error { return s.relisten("Failed to bind to specified addresses.") },
	"proto-max-bulk-len":        func(s *Server, _ string) error { s.admin.limitsGen.Add(1); return nil },
	"client-query-buffer-limit": func(s *Server, _ string) error { s.admin.limitsGen.Add(1); return nil },
}

func readerLimits(set *Settings) resp.Limits {
	return resp.Limits{MaxBulkLen: set.Int("proto-max-bulk-len"), MaxQueryBuf: set.Int("client-query-buffer-limit")}
}

func registerConfig(s *Server, t *commands.Table) {
	admin := []string{"admin", "noscript", "loading", "stale"}
	cats := []string{"admin", "slow", "dangerous"}
	sub := func(name string, arity int, since, complexity, syntax, summary string, h commands.Handler) *commands.Command {
		return &commands.Command{Name: name, Arity: arity, Flags: admin, Categories: cats, Since: since,
			Group: "server", Complexity: complexity, Syntax: syntax, Summary: summary, Handler: h}
	}
	help := sub("help", 2, "5.0.0", "O(1)", "", "Returns helpful text about the different subcommands.", func(c *commands.Ctx) {
		writeHelp(c, "CONFIG",
			"GET <pattern>",
			"    Return parameters matching the glob-like <pattern> and their values.",
			"SET <directive> <value>",
			"    Set the configuration <directive> to <value>.",
			"RESETSTAT",
			"    Reset statistics reported by the INFO command.",
			"REWRITE",
			"    Rewrite the configuration file.")
	})
	help.Flags, help.Categories = []string{"loading", "stale"}, []string{"slow"}
	t.Register(&commands.Command{
		Name: "config", Arity: -2, Categories: []string{"slow"},
		Summary: "A container for server configuration commands.", Since: "2.0.0", Group: "server",
		Complexity: "Depends on subcommand.", Handler: func(c *commands.Ctx) { c.WrongArgs() },
		Subs: map[string]*commands.Command{
			"get": sub("get", -3, "2.0.0", "O(N) when N is the number of configuration parameters provided",
				"parameter [parameter ...]", "Returns the effective values of configuration parameters.", cmdConfigGet),
			"set": sub("set", -4, "2.0.0", "O(N) when N is the number of configuration parameters provided",
				"parameter value [parameter value ...]", "Sets configuration parameters in-flight.", cmdConfigSet),
			"resetstat": sub("resetstat", 2, "2.0.0", "O(1)", "", "Resets the server's statistics.", func(c *commands.Ctx) {
				if cl, ok := c.Client.(*client); ok {
					cl.flushStats() // counted before the reset, so zeroed by it
				}
				srv(c).resetStats()
				c.OK()
			}),
			"rewrite": sub("rewrite", 2, "2.8.0", "O(1)", "",
				"Persists the effective configuration to file.", cmdConfigRewrite),
			"help": help,
		},
	})
}

func isGlob(p string) bool { return strings.ContainsAny(p, "*?[") }

func cmdConfigGet(c *commands.Ctx) {
	set := srv(c).Settings
	var pairs []string
	seen := map[string]bool{}
	for _, a := range c.Args[2:] {
		pat := string(a)
		if !isGlob(pat) {
			// an exact name is echoed as given, like Redis
			if p := ParamByName(pat); p != nil && !seen[p.Name] {
				seen[p.Name] = true
				pairs = append(pairs, pat, set.Get(p.Name))
			}
			continue
		}
		for _, p := range Params {
			if !seen[p.Name] && globMatch(pat, p.Name, true) {
				seen[p.Name] = true
				pairs = append(pairs, p.Name, set.Get(p.Name))
			}
		}
	}
	c.W.MapLen(len(pairs) / 2)
	for _, s := range pairs {
		c.W.BulkString(s)
	}
}

func cmdConfigSet(c *commands.Ctx) {
	s := srv(c)
	if len(c.Args)%2 != 0 {
		c.Syntax()
		return
	}
	n := (len(c.Args) - 2) / 2
	params := make([]*Param, n)
	values := make([]string, n)
	failed := func(arg string, msg string) {
		c.Errorf("ERR CONFIG SET failed (possibly related to argument '%s') - %s", arg, msg)
	}
	// names first: the first problem wins
	for i := 0; i < n; i++ {
		name := string(c.Args[2+2*i])
		p := ParamByName(name)
		switch {
		case p == nil:
			c.Errorf("ERR Unknown option or number of arguments for CONFIG SET - '%s'", name)
			return
		case !p.Mutable:
			failed(name, "can't set immutable config")
			return
		case p.Protected:
			failed(name, "can't set protected config")
			return
		}
		for j := 0; j < i; j++ {
			if params[j] == p {
				failed(name, "duplicate parameter")
				return
			}
		}
		params[i], values[i] = p, string(c.Args[3+2*i])
	}
	old := make([]string, n)
	for i, p := range params {
		old[i] = s.Settings.Get(p.Name)
	}
	restore := func(upto int) {
		for i := 0; i < upto; i++ {
			s.Settings.Set(params[i].Name, old[i])
		}
	}
	cur := make([]string, n)
	for i, p := range params {
		if err := s.Settings.Set(p.Name, values[i]); err != nil {
			restore(i)
			failed(string(c.Args[2+2*i]), err.Error())
			return
		}
		cur[i] = s.Settings.Get(p.Name)
	}
	for i, p := range params {
		if cur[i] == old[i] {
			continue // unchanged: nothing to apply (re-listening on the same port would fail)
		}
		if err := s.applyParam(p); err != nil {
			restore(n)
			for j := 0; j < i; j++ {
				if cur[j] != old[j] {
					s.applyParam(params[j]) // best effort back to the old values
				}
			}
			failed(string(c.Args[2+2*i]), err.Error())
			return
		}
	}
	c.OK()
}

// applyParam runs a parameter's runtime effects for its current value.
func (s *Server) applyParam(p *Param) error {
	v := s.Settings.Get(p.Name)
	if p.OnSet != nil {
		if err := p.OnSet(s, v); err != nil {
			return err
		}
	}
	if h := applyHooks[p.Name]; h != nil {
		return h(s, v)
	}
	return nil
}

// relisten replaces the TCP listeners by ones for the current port and
// bind, keeping the Unix socket. Like Redis it closes the old listeners
// first; when the new ones cannot be opened it reopens the old addresses
// and returns errMsg.
func (s *Server) relisten(errMsg string) error {
	if s.closing.Load() {
		return errors.New(errMsg)
	}
	s.mu.Lock()
	var keep []net.Listener
	var oldAddrs []string
	for _, ln := range s.listeners {
		if ln.Addr().Network() == "tcp" {
			oldAddrs = append(oldAddrs, ln.Addr().String())
			ln.Close()
		} else {
			keep = append(keep, ln)
		}
	}
	s.listeners = keep
	s.mu.Unlock()

	fresh, err := s.openTCP()
	if err != nil {
		fresh = nil
		for _, a := range oldAddrs {
			if ln, lerr := net.Listen("tcp", a); lerr == nil {
				fresh = append(fresh, ln)
			}
		}
	}
	s.mu.Lock()
	s.listeners = append(s.listeners, fresh...)
	s.mu.Unlock()
	for _, ln := range fresh {
		s.wg.Add(1)
		go func(ln net.Listener) {
			defer s.wg.Done()
			s.acceptLoop(ln)
		}(ln)
	}
	if err != nil {
		s.Log.Warn("CONFIG SET: cannot listen", "err", err)
		return errors.New(errMsg)
	}
	return nil
}

// openTCP opens a listener for every bind address on the configured port
// (none when port is 0).
func (s *Server) openTCP() ([]net.Listener, error) {
	port := s.Settings.Int("port")
	if port == 0 {
		return nil, nil
	}
	binds := strings.Fields(s.Settings.Get("bind"))
	if len(binds) == 0 {
		binds = []string{"*"}
	}
	var out []net.Listener
	for _, b := range binds {
		optional := strings.HasPrefix(b, "-")
		host := strings.TrimPrefix(b, "-")
		if host == "*" {
			host = ""
		}
		ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.FormatInt(port, 10)))
		if err != nil {
			if optional {
				continue
			}
			for _, l := range out {
				l.Close()
			}
			return nil, err
		}
		out = append(out, ln)
	}
	return out, nil
}

func cmdConfigRewrite(c *commands.Ctx) {
	set := srv(c).Settings
	if set.File == "" {
		c.Error("ERR The server is running without a config file")
		return
	}
	if err := rewriteConfig(set); err != nil {
		c.Errorf("ERR Rewriting config file: %s", err)
		return
	}
	c.OK()
}

// rewriteConfig writes the current settings back to their config file:
// lines setting a known parameter get its current value (a repeated one is
// dropped), everything else is kept; parameters that differ from their
// default and were not in the file are appended. The file is replaced
// atomically.
func rewriteConfig(set *Settings) error {
	var lines []string
	if b, err := os.ReadFile(set.File); err == nil {
		sc := bufio.NewScanner(strings.NewReader(string(b)))
		sc.Buffer(make([]byte, 64*1024), 1<<20)
		for sc.Scan() {
			lines = append(lines, sc.Text())
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	const marker = "# Generated by CONFIG REWRITE"
	done := map[string]bool{}
	var out []string
	for _, l := range lines {
		t := strings.TrimSpace(l)
		if t == marker {
			continue
		}
		if t != "" && !strings.HasPrefix(t, "#") {
			if words, ok := SplitConfigLine(t); ok && len(words) > 0 {
				if p := ParamByName(words[0]); p != nil {
					if done[p.Name] {
						continue
					}
					done[p.Name] = true
					out = append(out, p.Name+" "+configValue(set.Get(p.Name)))
					continue
				}
			}
		}
		out = append(out, l)
	}
	var extra []string
	for _, p := range Params {
		if !done[p.Name] && set.Get(p.Name) != p.Default {
			extra = append(extra, p.Name+" "+configValue(set.Get(p.Name)))
		}
	}
	if len(extra) > 0 {
		out = append(out, marker)
		out = append(out, extra...)
	}
	data := strings.Join(out, "\n") + "\n"
	tmp := filepath.Join(filepath.Dir(set.File), fmt.Sprintf(".%s.rewrite-%d", filepath.Base(set.File), os.Getpid()))
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(data); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	f.Close()
	if err := os.Rename(tmp, set.File); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// configValue quotes a value for a config file when SplitConfigLine would
// not give it back as one word (empty, blanks, quotes, control bytes).
// Multi-word list values (bind) stay unquoted: the loader joins the words.
func configValue(v string) string {
	if v == "" {
		return `""`
	}
	plain := true
	for i := 0; i < len(v); i++ {
		if c := v[i]; c == '"' || c == '\'' || c == '\\' || c < ' ' || c == 0x7f {
			plain = false
		}
	}
	if plain && !strings.Contains(v, "  ") && v == strings.TrimSpace(v) {
		return v
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(v); i++ {
		switch c := v[i]; c {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}
