package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// The certs subcommand makes a development CA and one certificate per
// node, for mutual TLS between the peers and TLS on the Redis port:
//
//	node certs -dir certs -nodes a,b,c -hosts db1.example,10.0.0.5
//
// writes certs/ca.crt and certs/ca.key (made once, reused by later runs
// so nodes can be added), and certs/<node>.crt and certs/<node>.key for
// each node. Keys are ECDSA P-256 in PKCS #8 PEM, mode 0600; the directory
// is made 0700. Each node certificate names the node (subject CN and a DNS
// SAN), localhost, 127.0.0.1, ::1 and every -hosts entry, and is good for
// both server and client authentication, so the same pair serves a peer's
// listener, its dialer and redis-cli --cert/--key. For production use
// certificates from a real CA with the same shape.

// errCerts marks a certs failure (bad flags or a file in the way).
var errCerts = errors.New("node: certs")

// certsOptions is the certs command line.
type certsOptions struct {
	Dir      string
	Nodes    []string
	Hosts    []string
	Validity time.Duration // of the node certificates
}

// caValidity is the development CA's lifetime: longer than its nodes', so
// reissuing a node certificate does not mean a new CA.
const caValidity = 10 * 365 * 24 * time.Hour

// nodeName is what a node name may be: it becomes a file name and a DNS
// name in the certificate.
var nodeName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$`)

func parseCertsFlags(args []string, out io.Writer) (certsOptions, error) {
	var o certsOptions
	var nodes, hosts string
	var days int
	fs := flag.NewFlagSet("node certs", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() {
		fmt.Fprintf(out, "usage: node certs -dir certs -nodes a,b,c [-hosts host,ip,...] [-days 365]\n\n"+
			"Makes a development CA (ca.crt, ca.key; reused when present) and for each\n"+
			"node <node>.crt and <node>.key, for mutual TLS and TLS on the Redis port.\n\nflags:\n")
		fs.PrintDefaults()
	}
	fs.StringVar(&o.Dir, "dir", "", "directory for the files (made 0700 if missing; required)")
	fs.StringVar(&nodes, "nodes", "", "comma-separated node names, as in -peers (required)")
	fs.StringVar(&hosts, "hosts", "", "comma-separated extra DNS names and IP addresses for every node certificate (localhost, 127.0.0.1 and ::1 are always in)")
	fs.IntVar(&days, "days", 365, "validity of the node certificates in days")
	if err := fs.Parse(args); err != nil {
		return certsOptions{}, fmt.Errorf("%w: %w", errCerts, err)
	}
	switch {
	case fs.NArg() > 0:
		return certsOptions{}, fmt.Errorf("%w: unexpected arguments %q", errCerts, fs.Args())
	case o.Dir == "":
		return certsOptions{}, fmt.Errorf("%w: -dir is required", errCerts)
	case days < 1:
		return certsOptions{}, fmt.Errorf("%w: -days must be positive", errCerts)
	}
	o.Validity = time.Duration(days) * 24 * time.Hour
	seen := map[string]bool{}
	for _, n := range splitList(nodes) {
		if !nodeName.MatchString(n) || n == "ca" {
			return certsOptions{}, fmt.Errorf("%w: node name %q: use letters, digits, '.', '_' or '-' (not \"ca\")", errCerts, n)
		}
		if seen[n] {
			return certsOptions{}, fmt.Errorf("%w: node %q appears twice", errCerts, n)
		}
		seen[n] = true
		o.Nodes = append(o.Nodes, n)
	}
	if len(o.Nodes) == 0 {
		return certsOptions{}, fmt.Errorf("%w: -nodes is required", errCerts)
	}
	o.Hosts = splitList(hosts)
	return o, nil
}

func splitList(s string) []string {
	var out []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// runCerts is the certs subcommand: it prints the files it wrote.
func runCerts(args []string, stdout, stderr io.Writer) error {
	o, err := parseCertsFlags(args, stderr)
	if err != nil {
		return err
	}
	files, err := makeCerts(o)
	if err != nil {
		return err
	}
	for _, f := range files {
		fmt.Fprintln(stdout, f)
	}
	return nil
}

// makeCerts writes the CA (unless present) and the node certificates, and
// returns the paths it wrote. It checks first that no node file exists,
// so it either writes every node's pair or none.
func makeCerts(o certsOptions) ([]string, error) {
	if err := os.MkdirAll(o.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("%w: %w", errCerts, err)
	}
	for _, n := range o.Nodes {
		for _, f := range []string{n + ".crt", n + ".key"} {
			if _, err := os.Stat(filepath.Join(o.Dir, f)); err == nil {
				return nil, fmt.Errorf("%w: %s exists; remove it to make a new one", errCerts, filepath.Join(o.Dir, f))
			}
		}
	}
	ca, caKey, written, err := loadOrMakeCA(o.Dir)
	if err != nil {
		return nil, err
	}
	for _, n := range o.Nodes {
		files, err := makeNodeCert(o, n, ca, caKey)
		if err != nil {
			return written, err
		}
		written = append(written, files...)
	}
	return written, nil
}

// loadOrMakeCA reuses dir's ca.crt and ca.key, or makes both when neither
// exists. One without the other is an error: a CA key with no certificate
// (or the reverse) is a mistake a person should look at.
func loadOrMakeCA(dir string) (*x509.Certificate, *ecdsa.PrivateKey, []string, error) {
	crtPath, keyPath := filepath.Join(dir, "ca.crt"), filepath.Join(dir, "ca.key")
	_, crtErr := os.Stat(crtPath)
	_, keyErr := os.Stat(keyPath)
	switch {
	case crtErr == nil && keyErr == nil:
		pair, err := tls.LoadX509KeyPair(crtPath, keyPath)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("%w: existing CA: %w", errCerts, err)
		}
		key, ok := pair.PrivateKey.(*ecdsa.PrivateKey)
		if !ok || pair.Leaf == nil || !pair.Leaf.IsCA {
			return nil, nil, nil, fmt.Errorf("%w: %s is not a CA with an ECDSA key", errCerts, crtPath)
		}
		return pair.Leaf, key, nil, nil
	case crtErr == nil || keyErr == nil:
		return nil, nil, nil, fmt.Errorf("%w: %s and %s must both exist or neither", errCerts, crtPath, keyPath)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%w: %w", errCerts, err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		Subject:               pkix.Name{CommonName: "rafter development CA", Organization: []string{"rafter"}},
		NotBefore:             now.Add(-time.Hour), // tolerate clocks a little behind
		NotAfter:              now.Add(caValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := sign(tmpl, tmpl, key, key)
	if err != nil {
		return nil, nil, nil, err
	}
	ca, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%w: %w", errCerts, err)
	}
	if err := writePair(crtPath, keyPath, der, key); err != nil {
		return nil, nil, nil, err
	}
	return ca, key, []string{crtPath, keyPath}, nil
}

// makeNodeCert issues name's certificate, signed by the CA.
func makeNodeCert(o certsOptions, name string, ca *x509.Certificate, caKey *ecdsa.PrivateKey) ([]string, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errCerts, err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		Subject:     pkix.Name{CommonName: name, Organization: []string{"rafter"}},
		NotBefore:   now.Add(-time.Hour),
		NotAfter:    now.Add(o.Validity),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		DNSNames:    []string{name, "localhost"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	for _, h := range o.Hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := sign(tmpl, ca, key, caKey)
	if err != nil {
		return nil, err
	}
	crtPath, keyPath := filepath.Join(o.Dir, name+".crt"), filepath.Join(o.Dir, name+".key")
	if err := writePair(crtPath, keyPath, der, key); err != nil {
		return nil, err
	}
	return []string{crtPath, keyPath}, nil
}

// sign issues tmpl (with a random 128-bit serial) signed by parent's key.
func sign(tmpl, parent *x509.Certificate, key, parentKey *ecdsa.PrivateKey) ([]byte, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errCerts, err)
	}
	tmpl.SerialNumber = serial
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", errCerts, tmpl.Subject.CommonName, err)
	}
	return der, nil
}

// writePair writes a certificate (0644) and its key (0600, PKCS #8),
// refusing to replace either.
func writePair(crtPath, keyPath string, der []byte, key *ecdsa.PrivateKey) error {
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("%w: %w", errCerts, err)
	}
	if err := writeNew(keyPath, 0o600, &pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}); err != nil {
		return err
	}
	return writeNew(crtPath, 0o644, &pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func writeNew(path string, mode os.FileMode, b *pem.Block) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return fmt.Errorf("%w: %w", errCerts, err)
	}
	if err := pem.Encode(f, b); err != nil {
		f.Close()
		return fmt.Errorf("%w: %s: %w", errCerts, path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("%w: %s: %w", errCerts, path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("%w: %s: %w", errCerts, path, err)
	}
	return nil
}
