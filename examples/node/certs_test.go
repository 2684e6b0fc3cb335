package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCerts(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "certs")
	var out bytes.Buffer
	require.NoError(t, runCerts([]string{"-dir", dir, "-nodes", "a,b", "-hosts", "db1.example,10.0.0.5"}, &out, io.Discard))
	assert.Equal(t, 6, bytes.Count(out.Bytes(), []byte("\n")), "prints the six files it wrote:\n%s", out.String())

	st, err := os.Stat(dir)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), st.Mode().Perm(), "the directory")
	for _, f := range []string{"ca.key", "a.key", "b.key"} {
		st, err := os.Stat(filepath.Join(dir, f))
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), st.Mode().Perm(), f)
	}

	roots := caPool(t, dir)
	for _, n := range []string{"a", "b"} {
		pair, err := tls.LoadX509KeyPair(filepath.Join(dir, n+".crt"), filepath.Join(dir, n+".key"))
		require.NoError(t, err, "node %s: certificate and key load as a TLS pair", n)
		leaf := pair.Leaf
		assert.Equal(t, n, leaf.Subject.CommonName)
		assert.ElementsMatch(t, []string{n, "localhost", "db1.example"}, leaf.DNSNames)
		assert.True(t, leaf.NotAfter.Before(time.Now().Add(366*24*time.Hour)), "-days defaults to 365")
		var ips []string
		for _, ip := range leaf.IPAddresses {
			ips = append(ips, ip.String())
		}
		assert.ElementsMatch(t, []string{"127.0.0.1", "::1", "10.0.0.5"}, ips)
		for _, usage := range []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth} {
			for _, name := range []string{n, "127.0.0.1", "db1.example", "10.0.0.5"} {
				_, err := leaf.Verify(x509.VerifyOptions{Roots: roots, DNSName: name, KeyUsages: []x509.ExtKeyUsage{usage}})
				assert.NoError(t, err, "node %s as %s, usage %v", n, name, usage)
			}
		}
		_, err = leaf.Verify(x509.VerifyOptions{Roots: roots, DNSName: "elsewhere.example"})
		assert.Error(t, err, "a name not given")
	}

	// A second run reuses the CA for a new node and refuses to replace
	// an existing node's files (writing none of them).
	ca, err := os.ReadFile(filepath.Join(dir, "ca.crt"))
	require.NoError(t, err)
	require.NoError(t, runCerts([]string{"-dir", dir, "-nodes", "c"}, io.Discard, io.Discard))
	again, err := os.ReadFile(filepath.Join(dir, "ca.crt"))
	require.NoError(t, err)
	assert.Equal(t, ca, again, "the CA is reused")
	c, err := tls.LoadX509KeyPair(filepath.Join(dir, "c.crt"), filepath.Join(dir, "c.key"))
	require.NoError(t, err)
	_, err = c.Leaf.Verify(x509.VerifyOptions{Roots: roots, DNSName: "c"})
	assert.NoError(t, err, "c is signed by the same CA")

	err = runCerts([]string{"-dir", dir, "-nodes", "d,a"}, io.Discard, io.Discard)
	assert.ErrorIs(t, err, errCerts)
	assert.ErrorContains(t, err, "a.crt exists")
	_, err = os.Stat(filepath.Join(dir, "d.crt"))
	assert.ErrorIs(t, err, os.ErrNotExist, "nothing written when one node's files are in the way")
}

// TestCertsLoopback: the files work end to end: a TLS server with a's
// pair, a client with b's, both verified against ca.crt.
func TestCertsLoopback(t *testing.T) {
	dir := testCerts(t)
	roots := caPool(t, dir)
	a, err := tls.LoadX509KeyPair(filepath.Join(dir, "a.crt"), filepath.Join(dir, "a.key"))
	require.NoError(t, err)
	b, err := tls.LoadX509KeyPair(filepath.Join(dir, "b.crt"), filepath.Join(dir, "b.key"))
	require.NoError(t, err)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{a}, ClientCAs: roots,
		ClientAuth: tls.RequireAndVerifyClientCert, MinVersion: tls.VersionTLS13})
	require.NoError(t, err)
	defer ln.Close()
	peer := make(chan string, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			peer <- err.Error()
			return
		}
		defer c.Close()
		tc := c.(*tls.Conn)
		if err := tc.Handshake(); err != nil {
			peer <- err.Error()
			return
		}
		peer <- tc.ConnectionState().PeerCertificates[0].Subject.CommonName
	}()
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", ln.Addr().String(),
		&tls.Config{RootCAs: roots, Certificates: []tls.Certificate{b}, ServerName: "a"})
	require.NoError(t, err)
	defer c.Close()
	select {
	case got := <-peer:
		assert.Equal(t, "b", got, "the server sees the client's node name")
	case <-time.After(10 * time.Second):
		t.Fatal("no handshake within 10s")
	}
}

func TestCertsFlagErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no dir", []string{"-nodes", "a"}, "-dir is required"},
		{"no nodes", []string{"-dir", "d"}, "-nodes is required"},
		{"bad name", []string{"-dir", "d", "-nodes", "a/b"}, "node name"},
		{"ca is taken", []string{"-dir", "d", "-nodes", "ca"}, "node name"},
		{"twice", []string{"-dir", "d", "-nodes", "a,a"}, "appears twice"},
		{"days", []string{"-dir", "d", "-nodes", "a", "-days", "0"}, "-days"},
		{"extra", []string{"-dir", "d", "-nodes", "a", "x"}, "unexpected arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseCertsFlags(tt.args, io.Discard)
			require.ErrorIs(t, err, errCerts)
			assert.ErrorContains(t, err, tt.want)
		})
	}
}

func TestCertsHalfACA(t *testing.T) {
	dir := testCerts(t)
	require.NoError(t, os.Remove(filepath.Join(dir, "ca.key")))
	err := runCerts([]string{"-dir", dir, "-nodes", "c"}, io.Discard, io.Discard)
	assert.ErrorIs(t, err, errCerts)
	assert.ErrorContains(t, err, "must both exist or neither")
}
