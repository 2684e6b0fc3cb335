package actor

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"
	"time"
)

// TLSFromFiles builds the mutual-TLS configuration of a System from PEM
// files: certFile and keyFile are this System's certificate (chain) and
// key, caFile the CA certificates that sign every member's certificate.
//
// The configuration serves both sides of every connection: it is the
// gRPC server's (it requires a client certificate signed by the CA) and
// the dialer's (it presents the certificate and verifies the server's
// against the CA and the dialled host). TLS 1.3 is the minimum.
//
// allowedNames, when not empty, is an allowlist checked on both sides: a
// peer certificate is accepted only if one of its names (DNS SANs or the
// subject's common name) is in it. Without it any certificate of the CA
// is accepted.
//
// Rotation needs no restart: every handshake checks the three files'
// modification time and size and reloads them when one changed. A reload
// that fails (a key that does not match the new certificate, a file half
// written) keeps the previous certificates and is retried at the next
// handshake, so replacing the files one by one is safe.
//
// Certificates must allow both client and server use (extended key usage
// serverAuth and clientAuth, or none), since every System dials and is
// dialled. A server certificate must name the host other Systems dial (its
// advertised host, as an IP or DNS SAN).
func TLSFromFiles(certFile, keyFile, caFile string, allowedNames ...string) (*tls.Config, error) {
	f := &tlsFiles{paths: [3]string{certFile, keyFile, caFile}, allowed: slices.Clone(allowedNames)}
	if _, _, err := f.current(); err != nil {
		return nil, err
	}
	return &tls.Config{
		MinVersion: tls.VersionTLS13,
		ClientAuth: tls.RequireAndVerifyClientCert,
		// Server side: a fresh config per handshake carries the current
		// certificate and CA pool (ClientCAs cannot change otherwise).
		GetConfigForClient: f.serverConfig,
		// Client side: the standard verification would use a fixed
		// RootCAs; verifyServer does the same checks with the current pool.
		InsecureSkipVerify:   true,
		VerifyConnection:     f.verifyServer,
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return f.certificate() },
	}, nil
}

// tlsFiles holds the files of TLSFromFiles and their last good contents.
type tlsFiles struct {
	paths   [3]string // cert, key, CA
	allowed []string

	mu    sync.Mutex
	stamp [3]fileStamp
	pair  *tls.Certificate
	pool  *x509.CertPool
}

// fileStamp is what tells a changed file from an unchanged one.
type fileStamp struct {
	mod  time.Time
	size int64
}

// current returns the certificate and CA pool, reloading them when a file
// changed. A failed reload keeps the previous ones; the error is returned
// only when there are none.
func (f *tlsFiles) current() (*tls.Certificate, *x509.CertPool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var now [3]fileStamp
	for i, p := range f.paths {
		fi, err := os.Stat(p)
		if err != nil {
			return f.keep(fmt.Errorf("%w: %w", ErrTLS, err))
		}
		now[i] = fileStamp{fi.ModTime(), fi.Size()}
	}
	if f.pair != nil && now == f.stamp {
		return f.pair, f.pool, nil
	}
	pair, pool, err := loadTLSFiles(f.paths)
	if err != nil {
		return f.keep(err)
	}
	f.pair, f.pool, f.stamp = pair, pool, now
	return pair, pool, nil
}

// keep answers with the last good certificates after a failed reload.
func (f *tlsFiles) keep(err error) (*tls.Certificate, *x509.CertPool, error) {
	if f.pair == nil {
		return nil, nil, err
	}
	return f.pair, f.pool, nil
}

func loadTLSFiles(paths [3]string) (*tls.Certificate, *x509.CertPool, error) {
	pair, err := tls.LoadX509KeyPair(paths[0], paths[1])
	if err != nil {
		return nil, nil, fmt.Errorf("%w: certificate %s, key %s: %w", ErrTLS, paths[0], paths[1], err)
	}
	caPEM, err := os.ReadFile(paths[2])
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrTLS, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, nil, fmt.Errorf("%w: no PEM certificate in CA file %s", ErrTLS, paths[2])
	}
	return &pair, pool, nil
}

func (f *tlsFiles) certificate() (*tls.Certificate, error) {
	pair, _, err := f.current()
	return pair, err
}

// serverConfig is the server's configuration for one handshake.
func (f *tlsFiles) serverConfig(*tls.ClientHelloInfo) (*tls.Config, error) {
	pair, pool, err := f.current()
	if err != nil {
		return nil, err
	}
	return &tls.Config{
		MinVersion:       tls.VersionTLS13,
		ClientAuth:       tls.RequireAndVerifyClientCert,
		ClientCAs:        pool,
		Certificates:     []tls.Certificate{*pair},
		VerifyConnection: func(cs tls.ConnectionState) error { return f.checkNames(cs) },
		// A resumed session would skip the chain check against the
		// current CA pool; connections are long-lived, so full handshakes
		// cost little and a removed CA takes effect at once.
		SessionTicketsDisabled: true,
	}, nil
}

// verifyServer is the dialer's verification: the chain against the
// current CA pool, the dialled host against the certificate, then the
// allowlist.
func (f *tlsFiles) verifyServer(cs tls.ConnectionState) error {
	if len(cs.PeerCertificates) == 0 {
		return fmt.Errorf("%w: server sent no certificate", ErrTLS)
	}
	_, pool, err := f.current()
	if err != nil {
		return err
	}
	inter := x509.NewCertPool()
	for _, c := range cs.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	_, err = cs.PeerCertificates[0].Verify(x509.VerifyOptions{
		Roots:         pool,
		Intermediates: inter,
		DNSName:       cs.ServerName,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
	if err != nil {
		return fmt.Errorf("%w: server certificate: %w", ErrTLS, err)
	}
	return f.checkNames(cs)
}

// checkNames applies the allowlist to the verified peer certificate.
func (f *tlsFiles) checkNames(cs tls.ConnectionState) error {
	if len(f.allowed) == 0 {
		return nil
	}
	if len(cs.PeerCertificates) == 0 {
		return fmt.Errorf("%w: no peer certificate", ErrTLS)
	}
	names := CertificateNames(cs.PeerCertificates[0])
	for _, n := range names {
		if slices.Contains(f.allowed, n) {
			return nil
		}
	}
	return fmt.Errorf("%w: %w: certificate names %q", ErrTLS, ErrNotAllowed, names)
}

// CertificateNames returns the names a certificate gives its holder: its
// DNS SANs and, if not among them, its subject's common name.
func CertificateNames(c *x509.Certificate) []string {
	names := slices.Clone(c.DNSNames)
	if cn := c.Subject.CommonName; cn != "" && !slices.Contains(names, cn) {
		names = append(names, cn)
	}
	return names
}

// checkTLS checks a caller's *tls.Config for the guarantees a System
// relies on: client certificates required and verified, and no skipped
// verification without a replacement.
func checkTLS(c *tls.Config) error {
	switch {
	case c.ClientAuth != tls.RequireAndVerifyClientCert:
		return errors.New("TLS.ClientAuth must be tls.RequireAndVerifyClientCert: every System must present a certificate of the CA")
	case c.InsecureSkipVerify && c.VerifyConnection == nil && c.VerifyPeerCertificate == nil:
		return errors.New("TLS.InsecureSkipVerify without VerifyConnection: servers would not be verified")
	case c.MaxVersion != 0 && c.MaxVersion < tls.VersionTLS13:
		return errors.New("TLS.MaxVersion is below TLS 1.3")
	}
	return nil
}

// serverTLS returns the configuration handed to gRPC: a clone with TLS 1.3
// as the minimum.
func serverTLS(c *tls.Config) *tls.Config {
	c = c.Clone()
	if c.MinVersion < tls.VersionTLS13 {
		c.MinVersion = tls.VersionTLS13
	}
	return c
}
