package server

import (
	"strings"
	"testing"
)

// MODULE LOAD/LOADEX/UNLOAD: refused by default (enable-module-command no,
// as Redis); allowed, they fail as Redis does for a module it cannot load
// or does not know. LIST and HELP answer either way.
func TestModuleCommandEnabled(t *testing.T) {
	for _, mode := range []string{"yes", "local"} {
		_, addr := adminTestServer(t, "enable-module-command", mode)
		c := dialTest(t, addr)
		c.want(kErr, "ERR Error loading the extension. Please check the server logs.", "MODULE", "LOAD", "/nonexistent.so")
		c.want(kErr, "ERR Error loading the extension. Please check the server logs.", "MODULE", "LOADEX", "/nonexistent.so", "CONFIG", "a", "b", "ARGS", "x")
		c.want(kErr, "ERR Error unloading module: no such module with that name", "MODULE", "UNLOAD", "foo")
		if v := c.do("MODULE", "LIST"); v.Kind != '*' || len(v.Elems) != 0 {
			t.Fatalf("MODULE LIST: %v", v)
		}
	}
	_, addr := adminTestServer(t)
	c := dialTest(t, addr)
	c.want(kErr, moduleNotAllowed, "MODULE", "LOAD", "/nonexistent.so")
	c.want(kErr, moduleNotAllowed, "MODULE", "UNLOAD", "foo")
}

// REPLICAOF/SLAVEOF host port, SYNC and PSYNC refuse with the alternative.
func TestReplicationRefused(t *testing.T) {
	_, addr := adminTestServer(t)
	c := dialTest(t, addr)
	c.want(kSimple, "OK", "REPLICAOF", "NO", "ONE")
	c.want(kErr, "ERR REPLICAOF is not supported: "+noReplicationHint, "REPLICAOF", "127.0.0.1", "6379")
	c.want(kErr, "ERR SLAVEOF is not supported: "+noReplicationHint, "SLAVEOF", "127.0.0.1", "0")
	c.want(kErr, "ERR Invalid master port", "SLAVEOF", "127.0.0.1", "65536")
	c.want(kErr, "ERR SYNC is not supported: Lightcone does not speak Redis' replication protocol; "+noReplicationHint, "SYNC")
	c.want(kErr, "ERR PSYNC is not supported: Lightcone does not speak Redis' replication protocol; "+noReplicationHint, "PSYNC", "?", "-1")
	if v := c.do("ROLE"); len(v.Elems) != 3 || string(v.Elems[0].Str) != "master" || v.Elems[1].Int != 0 || len(v.Elems[2].Elems) != 0 {
		t.Fatalf("ROLE: %v", v)
	}
	info := string(c.do("INFO", "replication").Str)
	if !strings.Contains(info, "master_repl_offset:0\r\n") || !strings.Contains(info, "role:master\r\n") {
		t.Fatalf("INFO replication does not agree with ROLE:\n%s", info)
	}
}

// The art of LOLWUT VERSION 5 and 6 has the asked size (clamped as Redis
// clamps) and ends with Redis' version line.
func TestLightConeArt(t *testing.T) {
	for _, tc := range []struct{ cols, rows int }{{1, 1}, {2, 2}, {80, 20}, {66, 24}, {7, 5}, {1000, 3}} {
		art := string(lightConeArt(tc.cols, tc.rows))
		if !strings.HasSuffix(art, " Redis ver. "+RedisVersion+"\n") {
			t.Fatalf("%dx%d: no version line: %q", tc.cols, tc.rows, art)
		}
		lines := strings.Split(art, "\n")
		body := lines[:tc.rows]
		for i, l := range body {
			if len(l) != tc.cols {
				t.Fatalf("%dx%d: line %d is %d wide: %q", tc.cols, tc.rows, i, len(l), l)
			}
			if strings.Trim(l, " ") == "" {
				t.Fatalf("%dx%d: line %d is blank", tc.cols, tc.rows, i)
			}
		}
		if lines[tc.rows] != "" {
			t.Fatalf("%dx%d: %d lines of art, want %d", tc.cols, tc.rows, len(lines)-2, tc.rows)
		}
	}
	_, addr := adminTestServer(t)
	c := dialTest(t, addr)
	v := c.do("LOLWUT", "VERSION", "6", "5000", "0")
	if lines := strings.Split(string(v.Str), "\n"); len(lines[0]) != 1000 || len(lines) != 1+3 {
		t.Fatalf("LOLWUT VERSION 6 5000 0: not 1000 columns by 1 row: %q", v.Str)
	}
	v = c.do("LOLWUT", "VERSION", "5", "10", "1", "3")
	if lines := strings.Split(string(v.Str), "\n"); len(lines[0]) != 10 || len(lines) != 6+3 {
		t.Fatalf("LOLWUT VERSION 5 10 1 3: not 10 columns by 6 rows: %q", v.Str)
	}
}
