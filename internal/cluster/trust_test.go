package cluster

import (
	"bytes"
	"crypto/tls"
	"errors"
	"net"
	"testing"
	"time"
)

const testPass = "test-passphrase-0123456789"

func TestGenPassphrase(t *testing.T) {
	a, b := GenPassphrase(), GenPassphrase()
	if a == b || len(a) < MinPassphraseLen {
		t.Fatalf("passphrases %q %q", a, b)
	}
	if _, err := DeriveCA(a); err != nil {
		t.Fatal(err)
	}
}

func TestSamePassphraseSameCA(t *testing.T) {
	a, err := DeriveCA(testPass)
	if err != nil {
		t.Fatal(err)
	}
	b, err := DeriveCA(testPass)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.DER, b.DER) {
		t.Fatal("same passphrase derived different CA certificates")
	}
	c, err := DeriveCA(testPass + "x")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(a.DER, c.DER) || a.Fingerprint() == c.Fingerprint() {
		t.Fatal("different passphrases derived the same CA")
	}
	if _, err := DeriveCA("short"); err == nil {
		t.Fatal("short passphrase accepted")
	}
}

func TestLeafVerify(t *testing.T) {
	ca, _ := DeriveCA(testPass)
	other, _ := DeriveCA(testPass + "-other")
	leaf, err := ca.IssueLeaf(42, time.Now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	id, err := ca.VerifyChain(leaf.Certificate, time.Now())
	if err != nil || id != 42 {
		t.Fatalf("verify: %v %v", id, err)
	}
	if _, err := other.VerifyChain(leaf.Certificate, time.Now()); !errors.Is(err, ErrUntrusted) {
		t.Fatalf("other CA accepted leaf: %v", err)
	}
	if _, err := ca.VerifyChain(leaf.Certificate, time.Now().Add(2*time.Hour)); !errors.Is(err, ErrUntrusted) {
		t.Fatalf("expired leaf accepted: %v", err)
	}
}

func TestLeafRenewal(t *testing.T) {
	now := time.Now()
	id, err := NewIdentity(testPass, 7)
	if err != nil {
		t.Fatal(err)
	}
	id.Now = func() time.Time { return now }
	id.Validity = time.Hour
	id.leaf = nil
	l1, _ := id.Leaf()
	now = now.Add(30 * time.Minute)
	if l2, _ := id.Leaf(); l2 != l1 {
		t.Fatal("renewed too early")
	}
	now = now.Add(15 * time.Minute) // 15 min left < 20 min
	l3, _ := id.Leaf()
	if l3 == l1 || !l3.Leaf.NotAfter.After(l1.Leaf.NotAfter) {
		t.Fatal("not renewed with a third of its life left")
	}
}

// handshake runs a TLS 1.3 handshake between two identities over a pipe.
func handshake(t *testing.T, srv, cli *Identity) (tls.ConnectionState, tls.ConnectionState, error, error) {
	t.Helper()
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	s := tls.Server(a, srv.ServerTLS())
	c := tls.Client(b, cli.ClientTLS())
	errc := make(chan error, 1)
	go func() {
		errc <- s.Handshake()
		a.Close()
	}()
	cerr := c.Handshake()
	b.Close()
	serr := <-errc
	return s.ConnectionState(), c.ConnectionState(), serr, cerr
}

func TestTLSSamePassphrase(t *testing.T) {
	s, _ := NewIdentity(testPass, 1)
	c, _ := NewIdentity(testPass, 2)
	ss, cs, serr, cerr := handshake(t, s, c)
	if serr != nil || cerr != nil {
		t.Fatalf("handshake: %v / %v", serr, cerr)
	}
	if err := CheckClaim(ss, 2); err != nil {
		t.Fatal(err)
	}
	if err := CheckClaim(cs, 1); err != nil {
		t.Fatal(err)
	}
	if err := CheckClaim(ss, 1); !errors.Is(err, ErrNodeMismatch) {
		t.Fatalf("NodeID mismatch accepted: %v", err)
	}
}

func TestTLSOtherPassphraseRefused(t *testing.T) {
	s, _ := NewIdentity(testPass, 1)
	c, _ := NewIdentity(testPass+"-wrong", 2)
	var logged []string
	s.OnReject = func(err error) { logged = append(logged, err.Error()) }
	_, _, serr, cerr := handshake(t, s, c)
	if serr == nil && cerr == nil {
		t.Fatal("handshake between different passphrases succeeded")
	}
	c.OnReject = func(err error) { logged = append(logged, err.Error()) }
	handshake(t, s, c)
	if len(logged) == 0 {
		t.Fatal("refusal not reported")
	}
}
