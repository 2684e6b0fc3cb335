package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
)

// errRedisTLS marks a TLS file of the Redis listener that cannot be used.
var errRedisTLS = errors.New("node: redis TLS")

// listenRedis opens the RESP listener: plain TCP, or TLS when
// -redis-tls-cert is set (what redis-cli --tls --cacert ca.crt speaks).
func listenRedis(cfg config) (net.Listener, error) {
	var tc *tls.Config
	if cfg.RedisTLSCert != "" {
		var err error
		if tc, err = redisTLSConfig(cfg); err != nil {
			return nil, err
		}
	}
	ln, err := net.Listen("tcp", cfg.Redis)
	if err != nil {
		return nil, fmt.Errorf("node: redis listener: %w", err)
	}
	if tc != nil {
		ln = tls.NewListener(ln, tc)
	}
	return ln, nil
}

// redisTLSConfig loads the listener's certificate and, with -redis-tls-ca,
// requires and verifies client certificates against that CA. TLS 1.2 is
// the floor: redis-cli built against older OpenSSL speaks no 1.3.
func redisTLSConfig(cfg config) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(cfg.RedisTLSCert, cfg.RedisTLSKey)
	if err != nil {
		return nil, fmt.Errorf("%w: -redis-tls-cert/-redis-tls-key: %w", errRedisTLS, err)
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
	if cfg.RedisTLSCA == "" {
		return tc, nil
	}
	pem, err := os.ReadFile(cfg.RedisTLSCA)
	if err != nil {
		return nil, fmt.Errorf("%w: -redis-tls-ca: %w", errRedisTLS, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%w: -redis-tls-ca %s: no PEM certificate in it", errRedisTLS, cfg.RedisTLSCA)
	}
	tc.ClientCAs = pool
	tc.ClientAuth = tls.RequireAndVerifyClientCert
	return tc, nil
}
