package server

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lightconedb/lightcone/internal/resp"
)

// testPKI writes a CA, a server certificate for 127.0.0.1 and a client
// certificate into dir and returns their paths.
type testPKI struct{ ca, serverCert, serverKey, clientCert, clientKey string }

func makePKI(t *testing.T, dir string) testPKI {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "lightcone test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	issue := func(name string, serial int64, usage x509.ExtKeyUsage) (certPath, keyPath string) {
		key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage},
			IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		kb, _ := x509.MarshalECPrivateKey(key)
		certPath, keyPath = filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
		os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
		os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
		return
	}
	p := testPKI{ca: filepath.Join(dir, "ca.crt")}
	os.WriteFile(p.ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o600)
	p.serverCert, p.serverKey = issue("server", 2, x509.ExtKeyUsageServerAuth)
	p.clientCert, p.clientKey = issue("client", 3, x509.ExtKeyUsageClientAuth)
	return p
}

func tlsServer(t *testing.T, auth string) (testPKI, string, string) {
	pki := makePKI(t, t.TempDir())
	tport := strconv.Itoa(freeTestPort(t))
	s, plain := adminTestServer(t, "tls-port", tport, "tls-cert-file", pki.serverCert, "tls-key-file", pki.serverKey,
		"tls-ca-cert-file", pki.ca, "tls-auth-clients", auth)
	_ = s
	return pki, plain, "127.0.0.1:" + tport
}

func tlsDial(t *testing.T, pki testPKI, addr string, withCert bool) (*tls.Conn, error) {
	pool := x509.NewCertPool()
	caPEM, _ := os.ReadFile(pki.ca)
	pool.AppendCertsFromPEM(caPEM)
	cfg := &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}
	if withCert {
		cert, err := tls.LoadX509KeyPair(pki.clientCert, pki.clientKey)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	conn, err := tls.Dial("tcp", addr, cfg)
	if err != nil {
		return nil, err
	}
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := conn.Write([]byte("PING\r\n")); err != nil {
		conn.Close()
		return nil, err
	}
	buf := make([]byte, 64)
	n, err := conn.Read(buf)
	if err != nil {
		conn.Close()
		return nil, err
	}
	if got := string(buf[:n]); got != "+PONG\r\n" {
		t.Fatalf("PING over TLS = %q", got)
	}
	return conn, nil
}

func TestTLSClientCertificates(t *testing.T) {
	pki, plain, tlsAddr := tlsServer(t, "yes")
	c, err := tlsDial(t, pki, tlsAddr, true)
	if err != nil {
		t.Fatalf("client with a certificate: %v", err)
	}
	c.Close()
	if c, err := tlsDial(t, pki, tlsAddr, false); err == nil {
		c.Close()
		t.Fatal("a client without a certificate was served with tls-auth-clients yes")
	}
	// the plain port keeps working next to TLS
	dialTest(t, plain).want(resp.KindSimple, "PONG", "PING")

	pki2, _, opt := tlsServer(t, "optional")
	c, err = tlsDial(t, pki2, opt, false)
	if err != nil {
		t.Fatalf("tls-auth-clients optional refused a client without a certificate: %v", err)
	}
	c.Close()
}

// redis-cli --tls with the test CA (skipped when redis-cli is missing).
func TestTLSRedisCLI(t *testing.T) {
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		t.Skip("redis-cli not installed (Debian package redis-tools)")
	}
	pki, _, addr := tlsServer(t, "yes")
	host, port, _ := net.SplitHostPort(addr)
	out, err := exec.Command(cli, "--tls", "--cacert", pki.ca, "--cert", pki.clientCert, "--key", pki.clientKey,
		"-h", host, "-p", port, "PING").CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "PONG" {
		t.Fatalf("redis-cli --tls: %v: %s", err, out)
	}
	out, _ = exec.Command(cli, "--tls", "--cacert", pki.ca, "-h", host, "-p", port, "PING").CombinedOutput()
	if strings.TrimSpace(string(out)) == "PONG" {
		t.Fatal("redis-cli without a client certificate was served")
	}
}
