package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testCerts makes a CA and certificates for nodes a and b in a temporary
// directory with the certs subcommand's code.
func testCerts(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "certs")
	_, err := makeCerts(certsOptions{Dir: dir, Nodes: []string{"a", "b"}, Validity: 24 * time.Hour})
	require.NoError(t, err)
	return dir
}

func tlsServer(t *testing.T, dir string, clientCA bool) *server {
	t.Helper()
	return testServer(t, func(c *config) {
		c.RedisTLSCert = filepath.Join(dir, "a.crt")
		c.RedisTLSKey = filepath.Join(dir, "a.key")
		if clientCA {
			c.RedisTLSCA = filepath.Join(dir, "ca.crt")
		}
		c.RequirePass = "s3cret"
	})
}

func caPool(t *testing.T, dir string) *x509.CertPool {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "ca.crt"))
	require.NoError(t, err)
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(b))
	return pool
}

// tlsDo dials s with TLS, sends req and returns the reply lines it reads
// (n of them), or the error.
func tlsDo(t *testing.T, s *server, tc *tls.Config, req string, n int) (string, error) {
	t.Helper()
	d := &tls.Dialer{Config: tc, NetDialer: &net.Dialer{Timeout: 5 * time.Second}}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := d.DialContext(ctx, "tcp", s.ln.Addr().String())
	if err != nil {
		return "", err
	}
	defer c.Close()
	require.NoError(t, c.SetDeadline(time.Now().Add(5*time.Second)))
	if _, err := c.Write([]byte(req)); err != nil {
		return "", err
	}
	br := bufio.NewReader(c)
	var out []string
	for range n {
		line, err := br.ReadString('\n')
		if err != nil {
			return strings.Join(out, ""), err
		}
		out = append(out, line)
	}
	return strings.Join(out, ""), nil
}

func TestRedisTLS(t *testing.T) {
	dir := testCerts(t)
	s := tlsServer(t, dir, false)
	pool := caPool(t, dir)

	got, err := tlsDo(t, s, &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}, "PING\r\nAUTH s3cret\r\nPING\r\n", 3)
	require.NoError(t, err)
	assert.Equal(t, "-"+replyNoAuth+"\r\n+OK\r\n+PONG\r\n", got)

	_, err = tlsDo(t, s, &tls.Config{ServerName: "127.0.0.1"}, "PING\r\n", 1)
	assert.Error(t, err, "a client that does not trust the development CA refuses the server")

	// Plain RESP on the TLS port: the handshake fails and the connection
	// is closed without a reply.
	assert.Equal(t, "", roundTrip(t, s, "PING\r\n", true))
	assert.Eventually(t, func() bool { return strings.Contains(serverLog(s), "TLS handshake failed") }, 5*time.Second, 10*time.Millisecond)
}

func TestRedisTLSClientCertificates(t *testing.T) {
	dir := testCerts(t)
	s := tlsServer(t, dir, true)
	pool := caPool(t, dir)
	b, err := tls.LoadX509KeyPair(filepath.Join(dir, "b.crt"), filepath.Join(dir, "b.key"))
	require.NoError(t, err)
	other := testCerts(t) // another CA
	stranger, err := tls.LoadX509KeyPair(filepath.Join(other, "b.crt"), filepath.Join(other, "b.key"))
	require.NoError(t, err)

	got, err := tlsDo(t, s, &tls.Config{RootCAs: pool, ServerName: "a", Certificates: []tls.Certificate{b}}, "AUTH s3cret\r\nPING\r\n", 2)
	require.NoError(t, err)
	assert.Equal(t, "+OK\r\n+PONG\r\n", got)

	for name, certs := range map[string][]tls.Certificate{"no certificate": nil, "another CA's certificate": {stranger}} {
		_, err := tlsDo(t, s, &tls.Config{RootCAs: pool, ServerName: "a", Certificates: certs}, "AUTH s3cret\r\nPING\r\n", 2)
		assert.Error(t, err, name)
	}
}

// TestRedisTLSWithRedisCLI: the real redis-cli --tls against the TLS
// port, with and without client certificates.
func TestRedisTLSWithRedisCLI(t *testing.T) {
	if _, err := exec.LookPath("redis-cli"); err != nil {
		t.Skipf("redis-cli not found: %s", howToGetRedisTools)
	}
	dir := testCerts(t)
	run := func(s *server, args ...string) string {
		_, port, err := net.SplitHostPort(s.ln.Addr().String())
		require.NoError(t, err)
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		full := append([]string{"--tls", "--cacert", filepath.Join(dir, "ca.crt"), "-h", "127.0.0.1", "-p", port}, args...)
		out, _ := exec.CommandContext(ctx, "redis-cli", full...).CombinedOutput()
		return strings.TrimSpace(string(out))
	}
	s := tlsServer(t, dir, false)
	assert.Equal(t, "NOAUTH Authentication required.", run(s, "PING"))
	assert.Equal(t, "PONG", run(s, "-a", "s3cret", "--no-auth-warning", "PING"))
	assert.Contains(t, run(s, "-a", "wrong", "--no-auth-warning", "PING"), "WRONGPASS")

	m := tlsServer(t, dir, true)
	assert.NotContains(t, run(m, "-a", "s3cret", "--no-auth-warning", "PING"), "PONG", "no client certificate")
	assert.Equal(t, "PONG", run(m, "--cert", filepath.Join(dir, "b.crt"), "--key", filepath.Join(dir, "b.key"),
		"-a", "s3cret", "--no-auth-warning", "PING"))
}

func TestListenRedisBadFiles(t *testing.T) {
	dir := testCerts(t)
	cfg := config{Redis: "127.0.0.1:0", RedisTLSCert: filepath.Join(dir, "a.crt"), RedisTLSKey: filepath.Join(dir, "b.key")}
	_, err := listenRedis(cfg)
	assert.ErrorIs(t, err, errRedisTLS, "a key that does not match the certificate")
	cfg.RedisTLSKey = filepath.Join(dir, "a.key")
	cfg.RedisTLSCA = filepath.Join(dir, "a.key")
	_, err = listenRedis(cfg)
	assert.ErrorIs(t, err, errRedisTLS, "a CA file with no certificate")
	assert.Contains(t, err.Error(), "no PEM certificate")
}
