// Package cluster carries effects between Lightcone nodes: the passphrase
// trust (a CA every node derives alike, leaf certificates naming NodeIDs),
// the QUIC transport (one FIFO effect stream per peer direction, a control
// stream, fetch streams), retained effects for catch-up, and membership.
package cluster

import (
	"crypto"
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/lightconedb/lightcone/internal/effect"
)

// ALPN is the application protocol cluster connections negotiate.
const ALPN = "lightcone-cluster/1"

// MinPassphraseLen is the shortest passphrase accepted: a passphrase is the
// cluster's only secret.
const MinPassphraseLen = 16

// GenPassphrase returns a new random passphrase: 160 bits, base32 in
// dash-separated groups of four (easy to copy, no ambiguous punctuation).
func GenPassphrase() string {
	var b [20]byte
	rand.Read(b[:])
	s := strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))
	var parts []string
	for len(s) > 0 {
		n := min(4, len(s))
		parts = append(parts, s[:n])
		s = s[n:]
	}
	return strings.Join(parts, "-")
}

// caValidity is the CA's fixed validity: part of the derived bytes, so it
// must never depend on when or where a node derives it.
var (
	caNotBefore = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	caNotAfter  = time.Date(2124, 1, 1, 0, 0, 0, 0, time.UTC)
)

// CA is the cluster's certificate authority, derived from the passphrase.
type CA struct {
	Cert *x509.Certificate
	DER  []byte
	key  ed25519.PrivateKey
	pool *x509.CertPool
}

// Fingerprint is a short, non-secret name of the CA (for logs): the first 8
// bytes of the SHA-256 of its certificate.
func (ca *CA) Fingerprint() string {
	h := sha256.Sum256(ca.DER)
	return hex.EncodeToString(h[:8])
}

func derive(pass, info string, n int) []byte {
	b, err := hkdf.Key(sha256.New, []byte(pass), []byte("lightcone cluster trust v1"), info, n)
	if err != nil {
		panic(err) // only for n too large
	}
	return b
}

// DeriveCA derives the cluster CA from the passphrase: the same passphrase
// gives byte-identical certificates on every node (Ed25519 signatures are
// deterministic; every field is fixed or derived).
func DeriveCA(passphrase string) (*CA, error) {
	if len(passphrase) < MinPassphraseLen {
		return nil, fmt.Errorf("cluster passphrase too short (%d characters, want at least %d; use lightcone gen-passphrase)", len(passphrase), MinPassphraseLen)
	}
	key := ed25519.NewKeyFromSeed(derive(passphrase, "ca ed25519 seed", ed25519.SeedSize))
	serial := new(big.Int).SetBytes(derive(passphrase, "ca serial", 16))
	skid := derive(passphrase, "ca subject key id", 20)
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "Lightcone cluster CA", Organization: []string{"Lightcone"}},
		NotBefore:             caNotBefore,
		NotAfter:              caNotAfter,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
		SubjectKeyId:          skid,
	}
	der, err := x509.CreateCertificate(zeroReader{}, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &CA{Cert: cert, DER: der, key: key, pool: pool}, nil
}

// zeroReader makes certificate creation independent of randomness (Ed25519
// does not use it; this guarantees nothing else does either).
type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// nodeURI is how a leaf certificate names its node.
func nodeURI(id effect.NodeID) *url.URL {
	return &url.URL{Scheme: "lightcone", Host: "node", Path: "/" + fmt.Sprintf("%016x", uint64(id))}
}

// IssueLeaf makes a leaf certificate for node, valid from now for validity.
func (ca *CA) IssueLeaf(node effect.NodeID, now time.Time, validity time.Duration) (*tls.Certificate, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	var sn [16]byte
	rand.Read(sn[:])
	tmpl := &x509.Certificate{
		SerialNumber:   new(big.Int).SetBytes(sn[:]),
		Subject:        pkix.Name{CommonName: fmt.Sprintf("lightcone node %016x", uint64(node)), Organization: []string{"Lightcone"}},
		NotBefore:      now.Add(-time.Minute), // tolerate small clock differences
		NotAfter:       now.Add(validity),
		KeyUsage:       x509.KeyUsageDigitalSignature,
		ExtKeyUsage:    []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		URIs:           []*url.URL{nodeURI(node)},
		DNSNames:       []string{"lightcone-node"},
		AuthorityKeyId: ca.Cert.SubjectKeyId,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, pub, ca.key)
	if err != nil {
		return nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: crypto.Signer(priv), Leaf: leaf}, nil
}

// Errors of peer verification.
var (
	ErrUntrusted    = errors.New("peer certificate not issued by this cluster's CA (different passphrase?)")
	ErrNoNodeID     = errors.New("peer certificate names no node")
	ErrNodeMismatch = errors.New("peer claims a NodeID other than its certificate's")
)

// VerifyChain checks a peer's certificate chain (leaf first) against the CA
// and returns the NodeID the leaf names.
func (ca *CA) VerifyChain(rawCerts [][]byte, now time.Time) (effect.NodeID, error) {
	if len(rawCerts) == 0 {
		return 0, ErrUntrusted
	}
	leaf, err := x509.ParseCertificate(rawCerts[0])
	if err != nil {
		return 0, fmt.Errorf("%w: %v", ErrUntrusted, err)
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: ca.pool, CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		return 0, fmt.Errorf("%w: %v", ErrUntrusted, err)
	}
	return LeafNodeID(leaf)
}

// LeafNodeID extracts the NodeID a leaf certificate names.
func LeafNodeID(leaf *x509.Certificate) (effect.NodeID, error) {
	for _, u := range leaf.URIs {
		if u.Scheme == "lightcone" && u.Host == "node" {
			v, err := strconv.ParseUint(strings.TrimPrefix(u.Path, "/"), 16, 64)
			if err == nil && v != 0 {
				return effect.NodeID(v), nil
			}
		}
	}
	return 0, ErrNoNodeID
}

// Identity is a node's TLS identity: the CA and its current leaf, renewed
// before expiry. Connections pick the current leaf at each handshake, so
// renewal never drops a connection.
type Identity struct {
	CA       *CA
	Node     effect.NodeID
	Validity time.Duration // leaf lifetime (default 24h); renewed at 1/3 left
	Now      func() time.Time
	// OnReject, when set, is told about every refused peer certificate.
	OnReject func(err error)

	mu   sync.Mutex
	leaf *tls.Certificate
}

// NewIdentity derives the CA from the passphrase and issues the first leaf.
func NewIdentity(passphrase string, node effect.NodeID) (*Identity, error) {
	ca, err := DeriveCA(passphrase)
	if err != nil {
		return nil, err
	}
	id := &Identity{CA: ca, Node: node, Validity: 24 * time.Hour, Now: time.Now}
	if _, err := id.Leaf(); err != nil {
		return nil, err
	}
	return id, nil
}

// Leaf returns the current leaf, issuing a new one when a third or less of
// its lifetime is left.
func (id *Identity) Leaf() (*tls.Certificate, error) {
	id.mu.Lock()
	defer id.mu.Unlock()
	now := id.Now()
	if id.leaf != nil {
		l := id.leaf.Leaf
		if now.Before(l.NotAfter.Add(-id.Validity / 3)) {
			return id.leaf, nil
		}
	}
	leaf, err := id.CA.IssueLeaf(id.Node, now, id.Validity)
	if err != nil {
		return nil, err
	}
	id.leaf = leaf
	return leaf, nil
}

func (id *Identity) verify(rawCerts [][]byte, _ [][]*x509.Certificate) error {
	if _, err := id.CA.VerifyChain(rawCerts, id.Now()); err != nil {
		if id.OnReject != nil {
			id.OnReject(err)
		}
		return err
	}
	return nil
}

// ServerTLS is the TLS configuration for accepting cluster connections:
// mutual TLS against the derived CA.
func (id *Identity) ServerTLS() *tls.Config {
	return &tls.Config{
		MinVersion:            tls.VersionTLS13,
		NextProtos:            []string{ALPN},
		ClientAuth:            tls.RequireAnyClientCert, // verified against the cluster CA below
		GetCertificate:        func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return id.Leaf() },
		VerifyPeerCertificate: id.verify,
	}
}

// ClientTLS is the TLS configuration for dialing a peer.
func (id *Identity) ClientTLS() *tls.Config {
	return &tls.Config{
		MinVersion:            tls.VersionTLS13,
		NextProtos:            []string{ALPN},
		ServerName:            "lightcone-node",
		InsecureSkipVerify:    true, // the chain is verified against the cluster CA below
		GetClientCertificate:  func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return id.Leaf() },
		VerifyPeerCertificate: id.verify,
	}
}

// PeerNodeID returns the NodeID named by the certificate a peer presented
// on an established connection.
func PeerNodeID(st tls.ConnectionState) (effect.NodeID, error) {
	if len(st.PeerCertificates) == 0 {
		return 0, ErrUntrusted
	}
	return LeafNodeID(st.PeerCertificates[0])
}

// CheckClaim refuses a peer whose claimed NodeID differs from its certificate's.
func CheckClaim(st tls.ConnectionState, claimed effect.NodeID) error {
	got, err := PeerNodeID(st)
	if err != nil {
		return err
	}
	if got != claimed {
		return fmt.Errorf("%w: claims %016x, certificate names %016x", ErrNodeMismatch, uint64(claimed), uint64(got))
	}
	return nil
}
