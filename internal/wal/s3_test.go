package wal

import (
	"context"
	"math/rand/v2"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/lightconedb/lightcone/internal/engine"
	"github.com/lightconedb/lightcone/internal/hlc"
)

// TestS3Archive archives to an S3-compatible server (an in-process fake) and
// restores points in time from the bucket alone, after the data directory
// pruned its old history.
func TestS3Archive(t *testing.T) {
	srv := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	t.Setenv("AWS_ACCESS_KEY_ID", "lightcone")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "lightcone-secret")
	mc, err := minio.New(u.Host, &minio.Options{Creds: credentials.NewStaticV4("lightcone", "lightcone-secret", ""), BucketLookup: minio.BucketLookupPath})
	if err != nil {
		t.Fatal(err)
	}
	if err := mc.MakeBucket(context.Background(), "history", minio.MakeBucketOptions{}); err != nil {
		t.Fatal(err)
	}
	spec := "s3://history/nodes?endpoint=" + u.Host + "&insecure=1"

	dir := t.TempDir()
	n := openNode(t, dir, func(o *Options) { o.Archive = spec; o.SegmentSize = 16 << 10 })
	r := rand.New(rand.NewPCG(41, 42))
	type point struct {
		at     hlc.Timestamp
		digest string
	}
	var points []point
	for step := 0; step < 4; step++ {
		for i := 0; i < 10; i++ {
			writeSome(n, r, 60)
			n.st.Log().Write(n.st.Appended())
		}
		if _, err := n.st.Snapshot(); err != nil { // prunes the data directory (no retention)
			t.Fatal(err)
		}
		points = append(points, point{noteTime(n), digest(n.en)})
	}
	writeSome(n, r, 200)
	n.close(t)

	objs, err := (&s3Archive{c: mc, bucket: "history", prefix: "nodes/"}).List("")
	if err != nil || len(objs) == 0 {
		t.Fatalf("bucket holds %d objects (%v)", len(objs), err)
	}
	segs, snaps := 0, 0
	for _, o := range objs {
		switch {
		case strings.Contains(o.Name, "/log/"):
			segs++
		case strings.Contains(o.Name, "/snapshots/"):
			snaps++
		}
	}
	if segs == 0 || snaps != 4 {
		t.Fatalf("bucket: %d segments, %d snapshots", segs, snaps)
	}
	for i, p := range points {
		out := filepath.Join(t.TempDir(), "restored")
		res, err := Restore(RestoreOptions{Archive: spec, Node: testNode, To: p.at, Out: out})
		if err != nil {
			t.Fatalf("point %d: %v", i, err)
		}
		st, err := Open(Options{Dir: out, Node: res.Node})
		if err != nil {
			t.Fatal(err)
		}
		en := engine.New(engine.Config{Node: res.Node, Sink: st})
		if err := st.Recover(en); err != nil {
			t.Fatal(err)
		}
		if digest(en) != p.digest {
			t.Fatalf("point %d restored from the bucket differs", i)
		}
		st.Close(false)
	}
	t.Logf("%d segments and %d snapshots in the bucket; %d points restored from it", segs, snaps, len(points))
}
