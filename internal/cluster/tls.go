package cluster

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rafter-go/rafter"
	"github.com/rafter-go/rafter/internal/testpki"
)

// MutualTLS is a Config.System for a Remote cluster of n peers over mutual
// TLS: System i gets a certificate of ca naming its peer ("p1".."pn"), the
// client System (i == n) one naming "client", each trusting only ca and
// accepting only the names in allow (none: any certificate of ca).
func MutualTLS(t testing.TB, ca *testpki.CA, n int, allow ...string) func(i int, o *rafter.SystemOptions) {
	base := t.TempDir()
	return func(i int, o *rafter.SystemOptions) {
		name := "client"
		if i < n {
			name = fmt.Sprintf("p%d", i+1)
		}
		dir := filepath.Join(base, name)
		require.NoError(t, os.MkdirAll(dir, 0o700))
		f := testpki.Write(t, dir, ca.Issue(t, false, name), ca.PEM, 0)
		cfg, err := rafter.TLSFromFiles(f.Cert, f.Key, f.CA, allow...)
		require.NoError(t, err, "TLS for %s", name)
		o.TLS = cfg
	}
}
