package main

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/rafter-go/rafter"
	"github.com/rafter-go/rafter/observe"
)

// The -http listener serves package observe's handler: /metrics and
// /status. Its rule is the peer port's, so one node has one security
// decision: plain HTTP on a loopback address; beyond loopback only with
// the node's mutual TLS (-tls-cert, -tls-key, -tls-ca: HTTPS, and the
// scraper must present a certificate of that CA, on -tls-allow if given)
// or with -insecure. The endpoints are read-only, but they tell anyone who
// reaches them the cluster's members, addresses and load.

// errHTTP marks a -http address the node refuses.
var errHTTP = errors.New("node: -http")

// checkHTTP applies the rule above to the parsed command line.
func checkHTTP(c config) error {
	if c.HTTP == "" {
		return nil
	}
	host, _, err := net.SplitHostPort(c.HTTP)
	if err != nil {
		return fmt.Errorf("%w: %q: %w", errHTTP, c.HTTP, err)
	}
	if c.TLSCert != "" || c.Insecure || isLoopbackHost(host) {
		return nil
	}
	return fmt.Errorf("%w: %q is beyond loopback: give the node's TLS files (-tls-cert, -tls-key, -tls-ca; the endpoint is then HTTPS with client certificates) or -insecure",
		errHTTP, c.HTTP)
}

func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// httpTimeouts bound a slow or idle HTTP client.
const (
	httpHeaderTimeout = 5 * time.Second
	httpIdleTimeout   = time.Minute
	httpWriteTimeout  = 30 * time.Second
	httpMaxHeader     = 8 << 10
)

// startHTTP listens on -http and serves the observe handler for sys and
// reg (the node's process and Go runtime collectors are added to reg). It
// returns the server (to Close on shutdown) and the address it listens on.
func startHTTP(cfg config, sys *rafter.System, reg *prometheus.Registry, logger *slog.Logger) (*http.Server, net.Addr, error) {
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	var tc *tls.Config
	if cfg.TLSCert != "" {
		var err error
		if tc, err = rafter.TLSFromFiles(cfg.TLSCert, cfg.TLSKey, cfg.TLSCA, cfg.TLSAllow...); err != nil {
			return nil, nil, fmt.Errorf("%w: %w", errHTTP, err)
		}
	}
	ln, err := net.Listen("tcp", cfg.HTTP)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", errHTTP, err)
	}
	if tc != nil {
		ln = tls.NewListener(ln, tc)
	} else if !isLoopbackHost(hostOf(cfg.HTTP)) {
		logger.Warn("node: INSECURE: -http serves plain HTTP beyond loopback", "http", cfg.HTTP)
	}
	srv := &http.Server{
		Handler:           observe.Handler(sys, reg),
		ReadHeaderTimeout: httpHeaderTimeout,
		IdleTimeout:       httpIdleTimeout,
		WriteTimeout:      httpWriteTimeout,
		MaxHeaderBytes:    httpMaxHeader,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("node: http server", "err", err)
		}
	}()
	return srv, ln.Addr(), nil
}

func hostOf(addr string) string {
	host, _, _ := net.SplitHostPort(addr)
	return host
}
