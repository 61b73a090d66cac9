package server

import (
	"strings"
	"testing"

	"github.com/lightconedb/lightcone/internal/resp"
)

// While a state transfer is installed, commands without the "loading" flag
// get Redis' LOADING error, INFO (flagged "loading") answers and says
// loading:1, and afterwards everything is served again.
func TestLoadingWhileStateTransferInstalls(t *testing.T) {
	s, addr := adminTestServer(t)
	c := dialTest(t, addr)
	c.str("SET", "k", "v")
	s.transferLoading(true)
	for _, cmd := range [][]string{{"GET", "k"}, {"SET", "k", "w"}, {"PING"}, {"DBSIZE"}} {
		c.want(resp.KindError, errLoading, cmd...)
	}
	if info := c.str("INFO", "persistence"); !strings.Contains(info, "\r\nloading:1\r\n") {
		t.Fatalf("INFO while loading:\n%s", info)
	}
	s.transferLoading(false)
	if got := c.str("GET", "k"); got != "v" {
		t.Fatalf("GET after loading: %q", got)
	}
	if info := c.str("INFO", "persistence"); !strings.Contains(info, "\r\nloading:0\r\n") {
		t.Fatalf("INFO after loading:\n%s", info)
	}
}
