// Package testpki makes throwaway certificate authorities and certificates
// for tests of mutual TLS between Systems: ECDSA P-256, generated in
// memory with crypto/x509, written to a test's temporary directory when a
// test needs files. Nothing it makes is meant to leave a test.
//
//	ca := testpki.NewCA(t, "ca")
//	leaf := ca.Issue(t, false, "p1") // names p1; IP SANs 127.0.0.1, ::1
//	f := testpki.Write(t, t.TempDir(), leaf, ca.PEM, 0)
//	cfg, err := rafter.TLSFromFiles(f.Cert, f.Key, f.CA, "p1", "p2")
package testpki
