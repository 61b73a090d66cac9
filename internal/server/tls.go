package server

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
)

// TLS: a second set of listeners on --tls-port, next to the plain ones,
// with Redis' settings (tls-cert-file, tls-key-file, tls-ca-cert-file,
// tls-auth-clients, tls-protocols). TLS connections are served by a
// goroutine each (the event loops speak to raw sockets only).

func init() {
	Params = append(Params,
		&Param{Name: "tls-port", Kind: KindInt, Default: "0", Min: 0, Max: 65535, Help: "TLS port; 0 disables TLS"},
		&Param{Name: "tls-cert-file", Kind: KindString, Default: "", Help: "server certificate (PEM) for TLS"},
		&Param{Name: "tls-key-file", Kind: KindString, Default: "", Help: "private key (PEM) of the server certificate"},
		&Param{Name: "tls-ca-cert-file", Kind: KindString, Default: "", Help: "CA certificates (PEM) that client certificates must chain to"},
		&Param{Name: "tls-auth-clients", Kind: KindEnum, Default: "yes", Enum: []string{"yes", "no", "optional"}, Help: "client certificates: required (yes), ignored (no) or verified when given (optional)"},
		&Param{Name: "tls-protocols", Kind: KindString, Default: "", Help: `TLS versions to accept, e.g. "TLSv1.2 TLSv1.3" (default: both)`},
	)
}

// tlsConfig builds the server's TLS configuration from its settings.
func (s *Server) tlsConfig() (*tls.Config, error) {
	certFile, keyFile := s.Settings.Get("tls-cert-file"), s.Settings.Get("tls-key-file")
	if certFile == "" || keyFile == "" {
		return nil, errors.New("tls-port needs tls-cert-file and tls-key-file")
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("loading the TLS certificate: %w", err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12, MaxVersion: tls.VersionTLS13}
	if protos := strings.Fields(s.Settings.Get("tls-protocols")); len(protos) > 0 {
		var lo, hi uint16
		for _, p := range protos {
			var v uint16
			switch strings.ToLower(p) {
			case "tlsv1":
				v = tls.VersionTLS10
			case "tlsv1.1":
				v = tls.VersionTLS11
			case "tlsv1.2":
				v = tls.VersionTLS12
			case "tlsv1.3":
				v = tls.VersionTLS13
			default:
				return nil, fmt.Errorf("tls-protocols: unknown protocol %q", p)
			}
			if lo == 0 || v < lo {
				lo = v
			}
			if v > hi {
				hi = v
			}
		}
		cfg.MinVersion, cfg.MaxVersion = lo, hi
	}
	auth := s.Settings.Get("tls-auth-clients")
	if ca := s.Settings.Get("tls-ca-cert-file"); ca != "" {
		pem, err := os.ReadFile(ca)
		if err != nil {
			return nil, fmt.Errorf("reading tls-ca-cert-file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("tls-ca-cert-file %s holds no PEM certificate", ca)
		}
		cfg.ClientCAs = pool
	} else if auth != "no" {
		return nil, errors.New("tls-auth-clients needs tls-ca-cert-file (or set tls-auth-clients no)")
	}
	switch auth {
	case "yes":
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	case "optional":
		cfg.ClientAuth = tls.VerifyClientCertIfGiven
	default:
		cfg.ClientAuth = tls.NoClientCert
	}
	return cfg, nil
}

// listenTLS opens the TLS listeners on every bind address.
func (s *Server) listenTLS(binds []string) error {
	port := s.Settings.Int("tls-port")
	if port == 0 {
		return nil
	}
	cfg, err := s.tlsConfig()
	if err != nil {
		return err
	}
	for _, b := range binds {
		optional := strings.HasPrefix(b, "-")
		b = strings.TrimPrefix(b, "-")
		host := b
		if b == "*" {
			host = ""
		}
		ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.FormatInt(port, 10)))
		if err != nil {
			if optional {
				continue
			}
			return fmt.Errorf("listen on %s TLS port %d: %w", b, port, err)
		}
		s.listeners = append(s.listeners, tls.NewListener(ln, cfg))
	}
	return nil
}
