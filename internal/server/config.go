package server

import (
	"bufio"

	"fmt"
	"github.com/lightconedb/lightcone/internal/commands"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// ParamKind says how a configuration value is parsed and printed.
type ParamKind int

const (
	KindString ParamKind = iota
	KindInt
	KindBool   // yes|no
	KindEnum   // one of Enum
	KindList   // space-separated words (bind)
	KindOctal  // unixsocketperm
	KindMemory // bytes, with k/kb/m/mb/g/gb suffixes
)

// Param is one configuration parameter: a command-line flag (--name), a
// config-file directive and a CONFIG GET/SET name at once.
type Param struct {
	Name    string
	Kind    ParamKind
	Default string
	Enum    []string
	Min     int64
	Max     int64
	Mutable bool // CONFIG SET may change it at runtime
	// Protected parameters are refused by CONFIG SET even though Mutable
	// ("can't set protected config"), as Redis' enable-protected-configs no.
	Protected bool
	// Fixed parameters accept only their default: they report an honest
	// value to tools that read them (redis-benchmark reads save and
	// appendonly) for a feature Lightcone provides differently.
	Fixed bool
	Help  string
	// OnSet, when set, is called with the server after a runtime change.
	OnSet func(s *Server, value string) error
	// Norm, when set, validates a value and returns the form CONFIG GET
	// prints, instead of the rules of Kind; cur is the current value (a
	// value may update part of it, as client-output-buffer-limit does).
	Norm func(cur, value string) (string, error)
}

// Params is the registry, in the order --help lists them.
var Params = []*Param{
	{Name: "bind", Kind: KindList, Default: "127.0.0.1 -::1", Mutable: true, Help: "addresses to listen on (space separated; a leading '-' means the address is optional)"},
	{Name: "port", Kind: KindInt, Default: "6379", Min: 0, Max: 65535, Mutable: true, Help: "TCP port; 0 disables TCP"},
	{Name: "unixsocket", Kind: KindString, Default: "", Help: "path of a Unix socket to listen on as well"},
	{Name: "unixsocketperm", Kind: KindOctal, Default: "0", Help: "permissions of the Unix socket, octal (e.g. 700)"},
	{Name: "dir", Kind: KindString, Default: "./lightcone-data", Mutable: true, Protected: true, Help: "data directory: node identity, effect log and snapshots"},
	{Name: "requirepass", Kind: KindString, Default: "", Mutable: true, Help: "password of the default user (AUTH)"},
	{Name: "maxclients", Kind: KindInt, Default: "10000", Min: 1, Max: 1 << 30, Mutable: true, Help: "maximum number of connected clients"},
	{Name: "timeout", Kind: KindInt, Default: "0", Min: 0, Max: 1<<31 - 1, Mutable: true, Help: "close a client idle for this many seconds (0 = never)"},
	{Name: "databases", Kind: KindInt, Default: "16", Min: 1, Max: 1 << 20, Help: "number of logical databases (SELECT)"},
	{Name: "loglevel", Kind: KindEnum, Default: "notice", Enum: []string{"debug", "verbose", "notice", "warning", "nothing"}, Mutable: true, Help: "log verbosity"},
	{Name: "log-format", Kind: KindEnum, Default: "text", Enum: []string{"text", "json"}, Help: "log line format"},
	{Name: "logfile", Kind: KindString, Default: "", Help: "log file path (empty = standard error)"},
	{Name: "proto-max-bulk-len", Kind: KindMemory, Default: "536870912", Min: 1024 * 1024, Max: 1<<63 - 1, Mutable: true, Help: "largest bulk string a client may send (and largest string value)",
		OnSet: func(s *Server, v string) error {
			n, _ := strconv.ParseInt(v, 10, 64)
			commands.SetProtoMaxBulkLen(n)
			return nil
		}},
	{Name: "client-query-buffer-limit", Kind: KindMemory, Default: "1073741824", Min: 1024 * 1024, Max: 1<<63 - 1, Mutable: true, Help: "largest unprocessed input of one client"},
	{Name: "enable-debug-command", Kind: KindEnum, Default: "local", Enum: []string{"no", "yes", "local"}, Help: "allow DEBUG: yes, no, or local (from loopback and Unix socket connections only)"},
	{Name: "save", Kind: KindString, Default: "", Mutable: true, Fixed: true, Help: `RDB snapshot schedule: only "" (none); Lightcone persists through its effect log`},
	{Name: "appendonly", Kind: KindBool, Default: "no", Mutable: true, Fixed: true, Help: "AOF persistence: only no; Lightcone persists through its effect log"},
	{Name: "hz", Kind: KindInt, Default: "10", Min: 1, Max: 500, Mutable: true, Help: "background task frequency (active expiry) per second"},
}

// ParamByName finds a parameter.
func ParamByName(name string) *Param {
	name = strings.ToLower(name)
	for _, p := range Params {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// Settings holds the current value of every parameter.
type Settings struct {
	mu   sync.RWMutex
	vals map[string]string
	// File is the --config file the settings came from, if any.
	File string
	// Level follows loglevel (give it to the logger's handler so that
	// CONFIG SET loglevel takes effect).
	Level slog.LevelVar
}

// LogLevel maps a loglevel value to a slog level.
func LogLevel(name string) slog.Level {
	switch name {
	case "debug":
		return slog.LevelDebug
	case "verbose":
		return slog.LevelDebug + 2
	case "warning":
		return slog.LevelWarn
	case "nothing":
		return slog.LevelError + 100
	}
	return slog.LevelInfo
}

// NewSettings returns settings at their defaults.
func NewSettings() *Settings {
	s := &Settings{vals: map[string]string{}}
	for _, p := range Params {
		s.vals[p.Name] = p.Default
	}
	return s
}

// Get returns a parameter's value as CONFIG GET prints it.
func (s *Settings) Get(name string) string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.vals[name]
}

// Int returns an integer parameter.
func (s *Settings) Int(name string) int64 {
	v, _ := strconv.ParseInt(s.Get(name), 10, 64)
	return v
}

// Set validates and stores a value (no runtime side effects).
func (s *Settings) Set(name, value string) error {
	p := ParamByName(name)
	if p == nil {
		return fmt.Errorf("unknown option '%s'", name)
	}
	var norm string
	var err error
	if p.Norm != nil {
		norm, err = p.Norm(s.Get(p.Name), value)
	} else {
		norm, err = p.Normalize(value)
	}
	if err != nil {
		return err
	}
	if p.Fixed && norm != p.Default {
		return fmt.Errorf("only '%s' is supported by Lightcone", p.Default)
	}
	s.mu.Lock()
	s.vals[p.Name] = norm
	s.mu.Unlock()
	if p.Name == "loglevel" {
		s.Level.Set(LogLevel(norm))
	}
	return nil
}

// Normalize checks value and returns it in the form CONFIG GET prints.
func (p *Param) Normalize(value string) (string, error) {
	if p.Norm != nil {
		return p.Norm(p.Default, value)
	}
	switch p.Kind {
	case KindInt:
		n, err := strconv.ParseInt(strings.TrimSpace(value), 10, 64)
		if err != nil {
			return "", fmt.Errorf("argument couldn't be parsed into an integer")
		}
		if n < p.Min || n > p.Max {
			return "", fmt.Errorf("argument must be between %d and %d inclusive", p.Min, p.Max)
		}
		return strconv.FormatInt(n, 10), nil
	case KindMemory:
		n, ok := ParseMemory(value)
		if !ok {
			return "", fmt.Errorf("argument must be a memory value")
		}
		if n < p.Min || n > p.Max {
			return "", fmt.Errorf("argument must be between %d and %d inclusive", p.Min, p.Max)
		}
		return strconv.FormatInt(n, 10), nil
	case KindBool:
		switch strings.ToLower(value) {
		case "yes":
			return "yes", nil
		case "no":
			return "no", nil
		}
		return "", fmt.Errorf("argument must be 'yes' or 'no'")
	case KindEnum:
		v := strings.ToLower(value)
		for _, e := range p.Enum {
			if e == v {
				return v, nil
			}
		}
		return "", fmt.Errorf("argument(s) must be one of the following: %s", strings.Join(p.Enum, ", "))
	case KindOctal:
		n, err := strconv.ParseInt(value, 8, 64)
		if err != nil || n < 0 || n > 0777 {
			return "", fmt.Errorf("argument must be an octal permission like 700")
		}
		return strconv.FormatInt(n, 8), nil
	case KindList:
		return strings.Join(strings.Fields(value), " "), nil
	}
	return value, nil
}

// ParseMemory parses "1gb", "100mb", "64k", "1024" as Redis' memtoull.
func ParseMemory(s string) (int64, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	mul := int64(1)
	for _, u := range []struct {
		suf string
		m   int64
	}{{"gb", 1 << 30}, {"mb", 1 << 20}, {"kb", 1 << 10}, {"g", 1000 * 1000 * 1000}, {"m", 1000 * 1000}, {"k", 1000}, {"b", 1}} {
		if strings.HasSuffix(s, u.suf) {
			mul = u.m
			s = strings.TrimSuffix(s, u.suf)
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, false
	}
	return n * mul, true
}

// LoadFile reads a redis.conf-style file: one "name value..." per line, '#'
// comments, quoted values.
func (s *Settings) LoadFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if abs, err := filepath.Abs(path); err == nil {
		s.File = abs
	}
	return s.load(f, path)
}

func (s *Settings) load(r io.Reader, name string) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		words, ok := SplitConfigLine(text)
		if !ok {
			return fmt.Errorf("%s:%d: unbalanced quotes in configuration line", name, line)
		}
		if len(words) < 2 {
			return fmt.Errorf("%s:%d: '%s' needs a value", name, line, text)
		}
		if err := s.Set(words[0], strings.Join(words[1:], " ")); err != nil {
			return fmt.Errorf("%s:%d: %v", name, line, err)
		}
	}
	return sc.Err()
}

// SplitConfigLine splits a line into words, honouring "double" and 'single'
// quotes.
func SplitConfigLine(line string) ([]string, bool) {
	var out []string
	var cur strings.Builder
	inWord := false
	var quote byte
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quote != 0:
			if c == '\\' && quote == '"' && i+1 < len(line) {
				i++
				switch line[i] {
				case 'n':
					cur.WriteByte('\n')
				case 't':
					cur.WriteByte('\t')
				case 'r':
					cur.WriteByte('\r')
				default:
					cur.WriteByte(line[i])
				}
			} else if c == quote {
				quote = 0
			} else {
				cur.WriteByte(c)
			}
		case c == '"' || c == '\'':
			quote = c
			inWord = true
		case c == ' ' || c == '\t':
			if inWord {
				out = append(out, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, false
	}
	if inWord {
		out = append(out, cur.String())
	}
	return out, true
}

// Names returns every parameter name, sorted.
func Names() []string {
	out := make([]string, 0, len(Params))
	for _, p := range Params {
		out = append(out, p.Name)
	}
	sort.Strings(out)
	return out
}
