package server

import (
	"context"
	"testing"
	"time"

	"github.com/redis/rueidis"
)

// TestRueidisClientSideCaching: rueidis' client-side caching (RESP3,
// CLIENT TRACKING OPTIN, CLIENT CACHING YES before each cached read) sees
// its cached value invalidated when another client writes the key.
func TestRueidisClientSideCaching(t *testing.T) {
	for _, mode := range []string{"eventloop", "goroutine"} {
		t.Run(mode, func(t *testing.T) {
			if mode == "goroutine" {
				t.Setenv("LIGHTCONE_NO_EVENT_LOOP", "1")
			}
			_, addr := adminTestServer(t)
			client, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{addr}, DisableRetry: true})
			if err != nil {
				t.Fatal(err)
			}
			defer client.Close()
			ctx := context.Background()
			if err := client.Do(ctx, client.B().Set().Key("k").Value("v1").Build()).Error(); err != nil {
				t.Fatal(err)
			}
			get := func() (string, bool) {
				t.Helper()
				r := client.DoCache(ctx, client.B().Get().Key("k").Cache(), time.Minute)
				v, err := r.ToString()
				if err != nil {
					t.Fatal(err)
				}
				return v, r.IsCacheHit()
			}
			if v, hit := get(); v != "v1" || hit {
				t.Fatalf("first read = %q (cache hit %v), want v1 from the server", v, hit)
			}
			if v, hit := get(); v != "v1" || !hit {
				t.Fatalf("second read = %q (cache hit %v), want v1 from the cache", v, hit)
			}
			// another client writes the key
			other := dialTest(t, addr)
			other.want('+', "OK", "SET", "k", "v2")
			deadline := time.Now().Add(5 * time.Second)
			for {
				v, hit := get()
				if v == "v2" && !hit {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("after another client's SET the cached read still gives %q (cache hit %v)", v, hit)
				}
				time.Sleep(5 * time.Millisecond)
			}
			if v, hit := get(); v != "v2" || !hit {
				t.Fatalf("read after refetch = %q (cache hit %v), want v2 from the cache", v, hit)
			}
			// a delete invalidates too, and FLUSHALL everything
			other.wantInt(1, "DEL", "k")
			for deadline := time.Now().Add(5 * time.Second); ; {
				r := client.DoCache(ctx, client.B().Get().Key("k").Cache(), time.Minute)
				if rueidis.IsRedisNil(r.Error()) && !r.IsCacheHit() {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("after DEL the cached read gives %v (cache hit %v)", r.Error(), r.IsCacheHit())
				}
				time.Sleep(5 * time.Millisecond)
			}
		})
	}
}
