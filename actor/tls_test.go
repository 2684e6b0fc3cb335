package actor

import (
	"context"
	"crypto/tls"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/rafter-go/rafter/internal/testpki"
)

// tlsNode starts a System whose TLS comes from files in dir.
func tlsNode(t *testing.T, f testpki.Files, allow ...string) *System {
	t.Helper()
	cfg, err := TLSFromFiles(f.Cert, f.Key, f.CA, allow...)
	require.NoError(t, err)
	s, err := NewSystem(Options{ListenAddr: "127.0.0.1:0", TLS: cfg})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Shutdown() })
	return s
}

func TestCallOverMutualTLS(t *testing.T) {
	ca := testpki.NewCA(t, "ca")
	b := tlsNode(t, testpki.Write(t, t.TempDir(), ca.Issue(t, false, "b"), ca.PEM, 0), "a", "b")
	_, err := b.SpawnNamed(echoProps(), "echo")
	require.NoError(t, err)
	a := tlsNode(t, testpki.Write(t, t.TempDir(), ca.Issue(t, false, "a"), ca.PEM, 0), "a", "b")
	echoUntilOK(t, a, a.PIDOf("echo", b.Address()), 10*time.Second)
}

// Rotation without restart: a's certificate, named "old", is not on b's
// allowlist; once a's files hold a certificate named "new" (and a new CA
// that b's CA file also lists), new connections succeed.
func TestTLSRotationWithoutRestart(t *testing.T) {
	ca1, ca2 := testpki.NewCA(t, "ca1"), testpki.NewCA(t, "ca2")
	both := append(append([]byte{}, ca1.PEM...), ca2.PEM...)
	bdir, adir := t.TempDir(), t.TempDir()
	bf := testpki.Write(t, bdir, ca1.Issue(t, false, "b"), ca1.PEM, 0)
	b := tlsNode(t, bf, "new", "b")
	_, err := b.SpawnNamed(echoProps(), "echo")
	require.NoError(t, err)
	af := testpki.Write(t, adir, ca1.Issue(t, false, "old"), ca1.PEM, 0)
	a := tlsNode(t, af, "b")

	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	_, err = Call[*wrapperspb.StringValue](ctx, a, a.PIDOf("echo", b.Address()), wrapperspb.String("ping"))
	require.Error(t, err, "a certificate not on the allowlist was accepted")

	// b now trusts both CAs; a gets a certificate of the new CA, named "new".
	testpki.Write(t, bdir, ca1.Issue(t, false, "b"), both, time.Second)
	testpki.Write(t, adir, ca2.Issue(t, false, "new"), both, time.Second)
	echoUntilOK(t, a, a.PIDOf("echo", b.Address()), 20*time.Second)
}

// A reload that fails (a key that does not match the certificate: files
// replaced one by one) keeps the previous certificate.
func TestTLSReloadFailureKeepsOld(t *testing.T) {
	ca := testpki.NewCA(t, "ca")
	dir := t.TempDir()
	f := testpki.Write(t, dir, ca.Issue(t, false, "a"), ca.PEM, 0)
	tf := &tlsFiles{paths: [3]string{f.Cert, f.Key, f.CA}}
	first, _, err := tf.current()
	require.NoError(t, err)

	other := ca.Issue(t, false, "b")
	require.NoError(t, os.WriteFile(f.Cert, other.CertPEM, 0o600))
	mt := time.Now().Add(time.Second)
	require.NoError(t, os.Chtimes(f.Cert, mt, mt))
	kept, _, err := tf.current()
	require.NoError(t, err)
	assert.Same(t, first, kept, "a half-rotated pair replaced the good one")

	require.NoError(t, os.WriteFile(f.Key, other.KeyPEM, 0o600))
	require.NoError(t, os.Chtimes(f.Key, mt, mt))
	now, _, err := tf.current()
	require.NoError(t, err)
	assert.NotSame(t, first, now, "the completed rotation was not loaded")

	_, err = TLSFromFiles(filepath.Join(dir, "missing.pem"), f.Key, f.CA)
	assert.ErrorIs(t, err, ErrTLS)
}

func TestTLSOptionsValidate(t *testing.T) {
	ok := &tls.Config{ClientAuth: tls.RequireAndVerifyClientCert}
	assert.NoError(t, Options{ListenAddr: "127.0.0.1:0", TLS: ok}.Validate())
	for _, bad := range []*tls.Config{
		{},
		{ClientAuth: tls.RequireAnyClientCert},
		{ClientAuth: tls.RequireAndVerifyClientCert, InsecureSkipVerify: true},
		{ClientAuth: tls.RequireAndVerifyClientCert, MaxVersion: tls.VersionTLS12},
	} {
		assert.ErrorIs(t, Options{ListenAddr: "127.0.0.1:0", TLS: bad}.Validate(), ErrBadOptions)
	}
}

// The allowlist is checked on the dialing side too: a System does not
// talk to a server whose certificate is not on its list.
func TestTLSAllowlistOnDialer(t *testing.T) {
	ca := testpki.NewCA(t, "ca")
	b := tlsNode(t, testpki.Write(t, t.TempDir(), ca.Issue(t, false, "b"), ca.PEM, 0), "a")
	_, err := b.SpawnNamed(echoProps(), "echo")
	require.NoError(t, err)
	a := tlsNode(t, testpki.Write(t, t.TempDir(), ca.Issue(t, false, "a"), ca.PEM, 0), "not-b")
	for range 3 {
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		_, err = Call[*wrapperspb.StringValue](ctx, a, a.PIDOf("echo", b.Address()), wrapperspb.String("ping"))
		cancel()
		require.Error(t, err, "a server certificate not on the dialer's allowlist was accepted")
	}
	// Control: the same Systems talk once the dialer's list names b.
	c := tlsNode(t, testpki.Write(t, t.TempDir(), ca.Issue(t, false, "a"), ca.PEM, 0), "b")
	echoUntilOK(t, c, c.PIDOf("echo", b.Address()), 10*time.Second)
}
