package wal

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// An Archive keeps copies of a node's closed log segments and snapshots off
// the node, under names "<node-id>/log/<file>" and "<node-id>/snapshots/<file>":
// a directory (laid out like a data directory per node), or an
// S3-compatible bucket.
type Archive interface {
	// Put stores the local file src as name, unless an object of that
	// name and size is there already. It returns once the copy is durable.
	Put(name, src string) error
	// List lists the objects whose names start with prefix.
	List(prefix string) ([]ArchivedFile, error)
	// Fetch copies the object name to the local file dst.
	Fetch(name, dst string) error
	String() string
}

// ArchivedFile is one object of an archive.
type ArchivedFile struct {
	Name string
	Size int64
}

// OpenArchive opens an archive from its --archive value: a directory, or
//
//	s3://BUCKET[/PREFIX]?endpoint=HOST[:PORT][&region=REGION][&insecure=1]
//
// with the credentials in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or
// MINIO_ACCESS_KEY and MINIO_SECRET_KEY). The endpoint defaults to AWS S3.
func OpenArchive(spec string) (Archive, error) {
	if !strings.HasPrefix(spec, "s3://") {
		return dirArchive(spec), nil
	}
	return openS3(spec)
}

// dirArchive is an archive in a local directory.
type dirArchive string

func (d dirArchive) String() string { return string(d) }

func (d dirArchive) Put(name, src string) error {
	dst := filepath.Join(string(d), filepath.FromSlash(name))
	si, err := os.Stat(src)
	if err != nil {
		return err
	}
	if fi, err := os.Stat(dst); err == nil && fi.Size() == si.Size() {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	return copyFileAtomic(src, dst)
}

func (d dirArchive) List(prefix string) ([]ArchivedFile, error) {
	root := filepath.Join(string(d), filepath.FromSlash(prefix))
	var out []ArchivedFile
	err := filepath.WalkDir(root, func(p string, de fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if de.IsDir() || strings.HasSuffix(p, ".tmp") {
			return nil
		}
		info, err := de.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(string(d), p)
		out = append(out, ArchivedFile{Name: filepath.ToSlash(rel), Size: info.Size()})
		return nil
	})
	return out, err
}

func (d dirArchive) Fetch(name, dst string) error {
	return copyFileAtomic(filepath.Join(string(d), filepath.FromSlash(name)), dst)
}

// local is where a directory archive keeps an object (no copy needed).
func (d dirArchive) local(name string) string {
	return filepath.Join(string(d), filepath.FromSlash(name))
}

// s3Archive is an archive in an S3-compatible bucket (minio-go).
type s3Archive struct {
	c      *minio.Client
	bucket string
	prefix string // "" or ending in "/"
	spec   string
}

func openS3(spec string) (*s3Archive, error) {
	u, err := url.Parse(spec)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("archive %q: want s3://BUCKET[/PREFIX]?endpoint=HOST:PORT", spec)
	}
	q := u.Query()
	endpoint := q.Get("endpoint")
	if endpoint == "" {
		endpoint = "s3.amazonaws.com"
	}
	creds := credentials.NewChainCredentials([]credentials.Provider{&credentials.EnvAWS{}, &credentials.EnvMinio{}})
	c, err := minio.New(endpoint, &minio.Options{
		Creds:        creds,
		Secure:       q.Get("insecure") == "",
		Region:       q.Get("region"),
		BucketLookup: minio.BucketLookupPath,
	})
	if err != nil {
		return nil, fmt.Errorf("archive %q: %w", spec, err)
	}
	prefix := strings.Trim(u.Path, "/")
	if prefix != "" {
		prefix += "/"
	}
	return &s3Archive{c: c, bucket: u.Host, prefix: prefix, spec: spec}, nil
}

func (a *s3Archive) String() string { return a.spec }

func s3ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 10*time.Minute)
}

func (a *s3Archive) Put(name, src string) error {
	ctx, cancel := s3ctx()
	defer cancel()
	si, err := os.Stat(src)
	if err != nil {
		return err
	}
	key := a.prefix + name
	if oi, err := a.c.StatObject(ctx, a.bucket, key, minio.StatObjectOptions{}); err == nil && oi.Size == si.Size() {
		return nil
	}
	_, err = a.c.FPutObject(ctx, a.bucket, key, src, minio.PutObjectOptions{ContentType: "application/octet-stream"})
	return err
}

func (a *s3Archive) List(prefix string) ([]ArchivedFile, error) {
	ctx, cancel := s3ctx()
	defer cancel()
	var out []ArchivedFile
	for oi := range a.c.ListObjects(ctx, a.bucket, minio.ListObjectsOptions{Prefix: a.prefix + prefix, Recursive: true}) {
		if oi.Err != nil {
			return nil, oi.Err
		}
		out = append(out, ArchivedFile{Name: strings.TrimPrefix(oi.Key, a.prefix), Size: oi.Size})
	}
	return out, nil
}

func (a *s3Archive) Fetch(name, dst string) error {
	ctx, cancel := s3ctx()
	defer cancel()
	return a.c.FGetObject(ctx, a.bucket, a.prefix+name, dst, minio.GetObjectOptions{})
}

// archiveName is the archive name of a node's log segment or snapshot.
func archiveName(node uint64, file string) string {
	sub := "log"
	if strings.HasSuffix(file, snapExt) {
		sub = "snapshots"
	}
	return path.Join(fmt.Sprintf("%016x", node), sub, filepath.Base(file))
}
