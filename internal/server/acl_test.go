package server

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lightconedb/lightcone/internal/resp"
)

func TestACLLogAndFile(t *testing.T) {
	dir := t.TempDir()
	aclfile := filepath.Join(dir, "users.acl")
	os.WriteFile(aclfile, []byte("user default on nopass ~* &* +@all\nuser ro on >pw ~* -@all +get\n"), 0o600)
	_, addr := adminTestServer(t, "aclfile", aclfile)
	a := dialTest(t, addr)
	a.want(resp.KindError, "WRONGPASS invalid username-password pair or user is disabled.", "AUTH", "ro", "bad")
	a.want(resp.KindSimple, "OK", "AUTH", "ro", "pw")
	a.want(resp.KindError, "NOPERM this user has no permissions to run the 'set' command", "SET", "k", "v")
	a.do("SET", "k", "v")
	w := dialTest(t, addr)
	log := w.do("ACL", "LOG")
	if len(log.Elems) != 2 {
		t.Fatalf("ACL LOG = %v", log)
	}
	first := log.Elems[0].Elems // newest: the repeated SET refusal
	if first[1].Int != 2 {
		t.Fatalf("count of a repeated refusal = %v", first[1])
	}
	if string(first[3].Str) != "command" || string(first[7].Str) != "set" || string(first[9].Str) != "ro" {
		t.Fatalf("entry = %v", log.Elems[0])
	}
	if !strings.Contains(string(first[13].Str), "user=ro") {
		t.Fatalf("client-info = %q", first[13].Str)
	}
	if auth := log.Elems[1].Elems; string(auth[3].Str) != "auth" {
		t.Fatalf("auth entry = %v", log.Elems[1])
	}
	w.want(resp.KindSimple, "OK", "ACL", "LOG", "RESET")
	if v := w.do("ACL", "LOG"); len(v.Elems) != 0 {
		t.Fatalf("ACL LOG after RESET = %v", v)
	}
	// SAVE then LOAD round-trips; DELUSER disconnects the user's clients
	w.want(resp.KindSimple, "OK", "ACL", "SETUSER", "extra", "on", ">x", "~e*", "+get")
	w.want(resp.KindSimple, "OK", "ACL", "SAVE")
	data, _ := os.ReadFile(aclfile)
	if !strings.Contains(string(data), "user extra on #") {
		t.Fatalf("saved file:\n%s", data)
	}
	w.want(resp.KindSimple, "OK", "ACL", "LOAD")
	w.wantInt(1, "ACL", "DELUSER", "ro")
	if !a.closed() {
		t.Fatal("a client of a deleted user stays connected")
	}
}

func TestRequirepassIsDefaultUserPassword(t *testing.T) {
	_, addr := adminTestServer(t)
	c := dialTest(t, addr)
	c.want(resp.KindSimple, "OK", "CONFIG", "SET", "requirepass", "s3cret")
	n := dialTest(t, addr)
	n.want(resp.KindError, "NOAUTH Authentication required.", "GET", "k")
	n.want(resp.KindSimple, "OK", "AUTH", "s3cret")
	n.want(resp.KindSimple, "OK", "AUTH", "default", "s3cret")
	if !strings.Contains(string(c.do("ACL", "LIST").Elems[0].Str), "user default on #") {
		t.Fatal("requirepass is not the default user's password")
	}
	c.want(resp.KindSimple, "OK", "CONFIG", "SET", "requirepass", "")
	dialTest(t, addr).want(resp.KindBulk, "", "GET", "k")
}
