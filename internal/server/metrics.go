package server

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/lightconedb/lightcone/internal/metrics"
)

// The Prometheus endpoint (internal/metrics): HTTP, GET /metrics, off unless
// metrics-addr is set. It has no authentication, so it is bound to the
// address given and nothing else.
func init() {
	Params = append(Params,
		&Param{Name: "metrics-addr", Kind: KindString, Default: "",
			Help: "host:port of a Prometheus endpoint (HTTP GET /metrics, no authentication: bind it to a private address); empty = none"})
}

// listenMetrics opens the metrics listener, if one is configured.
func (s *Server) listenMetrics() error {
	addr := s.Settings.Get("metrics-addr")
	if addr == "" {
		return nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("metrics-addr %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", metrics.Handler(func() string {
		return s.infoString([][]byte{[]byte("everything")})
	}))
	s.metricsLn = ln
	s.metricsSrv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	return nil
}

// serveMetrics serves the endpoint until closeMetrics.
func (s *Server) serveMetrics() {
	if s.metricsSrv == nil {
		return
	}
	go func() {
		if err := s.metricsSrv.Serve(s.metricsLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.Log.Error("metrics endpoint stopped", "err", err)
		}
	}()
}

func (s *Server) closeMetrics() {
	if s.metricsSrv != nil {
		s.metricsSrv.Close()
	} else if s.metricsLn != nil {
		s.metricsLn.Close()
	}
}

// MetricsAddr is the address of the Prometheus endpoint, nil without one.
func (s *Server) MetricsAddr() net.Addr {
	if s.metricsLn == nil {
		return nil
	}
	return s.metricsLn.Addr()
}
