package main

import (
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rafter-go/rafter"
)

const testPeers = "a@127.0.0.1:7001,b@127.0.0.1:7002,c@127.0.0.1:7003"

func TestParseFlagsDefaults(t *testing.T) {
	c, err := parseFlags([]string{"-name", "b", "-peers", testPeers}, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, rafter.Peer{Name: "b", Node: "127.0.0.1:7002"}, c.self())
	assert.Equal(t, "127.0.0.1:7002", c.Listen, "-listen defaults to the advertised address")
	assert.Equal(t, filepath.Join("data", "b"), c.DataDir)
	assert.Len(t, c.Peers, 3)
	assert.False(t, c.Bootstrap)
	assert.Equal(t, "default", c.Table)
}

func TestParseFlagsListenAll(t *testing.T) {
	c, err := parseFlags([]string{"-name", "a", "-peers", testPeers, "-listen", "0.0.0.0:7001",
		"-advertise", "127.0.0.1:7001", "-bootstrap", "-log-level", "debug"}, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, "0.0.0.0:7001", c.Listen)
	assert.True(t, c.Bootstrap)
}

func TestParseFlagsRedisDefaults(t *testing.T) {
	c, err := parseFlags([]string{"-name", "a", "-peers", testPeers}, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, 5*time.Minute, c.IdleTimeout)
	assert.Equal(t, 30*time.Second, c.WriteTimeout)
	assert.Equal(t, 10*time.Second, c.AuthTimeout)
	assert.Equal(t, 4096, c.MaxArgs)
	assert.Equal(t, 32<<20, c.MaxOutputBytes)
	assert.Equal(t, 1<<20, c.MaxRequestBytes)
	assert.Equal(t, 10000, c.MaxClients)
	assert.Empty(t, c.RequirePass)
	assert.Empty(t, c.RedisTLSCert)
}

func TestParseFlagsRequirePassFile(t *testing.T) {
	f := filepath.Join(t.TempDir(), "pass")
	require.NoError(t, os.WriteFile(f, []byte("s3cret\r\nignored\n"), 0o600))
	c, err := parseFlags([]string{"-name", "a", "-peers", testPeers, "-requirepass-file", f}, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, "s3cret", c.RequirePass)
	require.NoError(t, os.WriteFile(f, []byte("\nx\n"), 0o600))
	_, err = parseFlags([]string{"-name", "a", "-peers", testPeers, "-requirepass-file", f}, io.Discard)
	assert.ErrorContains(t, err, "the first line is empty")
}

func TestParseFlagsErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no name", []string{"-peers", testPeers}, "-name is required"},
		{"no peers", []string{"-name", "a"}, "-peers is required"},
		{"name not in peers", []string{"-name", "d", "-peers", testPeers}, "is not in -peers"},
		{"bad peer", []string{"-name", "a", "-peers", "a@127.0.0.1:1,b"}, "is not name@host:port"},
		{"peer without port", []string{"-name", "a", "-peers", "a@127.0.0.1"}, "missing port"},
		{"duplicate peer", []string{"-name", "a", "-peers", "a@h:1,a@h:2"}, "appears twice"},
		{"slash in name", []string{"-name", "a/b", "-peers", "a/b@h:1"}, "may not contain '/'"},
		{"advertise differs", []string{"-name", "a", "-peers", testPeers, "-advertise", "10.0.0.1:7001"}, "differs from"},
		{"bad level", []string{"-name", "a", "-peers", testPeers, "-log-level", "loud"}, "-log-level"},
		{"zero op timeout", []string{"-name", "a", "-peers", testPeers, "-op-timeout", "0s"}, "-op-timeout"},
		{"extra args", []string{"-name", "a", "-peers", testPeers, "extra"}, "unexpected arguments"},
		{"zero idle timeout", []string{"-name", "a", "-peers", testPeers, "-idle-timeout", "0s"}, "-idle-timeout"},
		{"zero auth timeout", []string{"-name", "a", "-peers", testPeers, "-auth-timeout", "0s"}, "-auth-timeout"},
		{"zero write timeout", []string{"-name", "a", "-peers", testPeers, "-write-timeout", "0s"}, "-write-timeout"},
		{"zero max args", []string{"-name", "a", "-peers", testPeers, "-max-args", "0"}, "-max-args"},
		{"tiny output limit", []string{"-name", "a", "-peers", testPeers, "-max-output-bytes", "100"}, "-max-output-bytes"},
		{"cert without key", []string{"-name", "a", "-peers", testPeers, "-redis-tls-cert", "a.crt"}, "go together"},
		{"ca without cert", []string{"-name", "a", "-peers", testPeers, "-redis-tls-ca", "ca.crt"}, "-redis-tls-ca needs"},
		{"two passwords", []string{"-name", "a", "-peers", testPeers, "-requirepass", "x", "-requirepass-file", "f"}, "not both"},
		{"missing password file", []string{"-name", "a", "-peers", testPeers, "-requirepass-file", "/nonexistent/pass"}, "-requirepass-file"},
		{"tls without key", []string{"-name", "a", "-peers", testPeers, "-tls-cert", "a.crt", "-tls-ca", "ca.crt"}, "go together"},
		{"tls-allow without tls", []string{"-name", "a", "-peers", testPeers, "-tls-allow", "a,b"}, "-tls-allow needs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseFlags(tt.args, io.Discard)
			require.ErrorIs(t, err, errUsage)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
	_, err := parseFlags([]string{"-h"}, io.Discard)
	assert.True(t, errors.Is(err, flag.ErrHelp))
}

func TestParseFlagsTLS(t *testing.T) {
	c, err := parseFlags([]string{"-name", "a", "-peers", testPeers,
		"-tls-cert", "a.crt", "-tls-key", "a.key", "-tls-ca", "ca.crt", "-tls-allow", "a,b,c"}, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, []string{"a.crt", "a.key", "ca.crt"}, []string{c.TLSCert, c.TLSKey, c.TLSCA})
	assert.Equal(t, []string{"a", "b", "c"}, c.TLSAllow)
}
