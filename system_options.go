package rafter

import (
	"crypto/tls"
	"fmt"
	"net"
	"strings"

	"github.com/rafter-go/rafter/actor"
)

// SystemOptionError names a SystemOptions field with a bad value and says
// why. It wraps ErrInvalidOptions.
type SystemOptionError struct {
	Field  string
	Value  any
	Reason string
}

func (e *SystemOptionError) Error() string {
	return fmt.Sprintf("rafter: invalid system options: %s = %v: %s", e.Field, e.Value, e.Reason)
}

func (e *SystemOptionError) Unwrap() error { return ErrInvalidOptions }

// Validate reports the first bad field as a *SystemOptionError, or nil.
// Secure by default: a ListenAddr beyond loopback needs TLS, or Insecure
// to say that plaintext is wanted.
func (o SystemOptions) Validate() error {
	if o.ListenAddr == "" {
		return nil
	}
	if _, _, err := net.SplitHostPort(o.ListenAddr); err != nil {
		return &SystemOptionError{Field: "ListenAddr", Value: fmt.Sprintf("%q", o.ListenAddr), Reason: err.Error()}
	}
	if o.TLS == nil && !o.Insecure && !isLoopback(o.ListenAddr) {
		return &SystemOptionError{Field: "ListenAddr", Value: fmt.Sprintf("%q", o.ListenAddr),
			Reason: "listening beyond loopback (127.0.0.0/8, ::1, localhost) needs TLS " +
				"(SystemOptions.TLS, e.g. from TLSFromFiles); set Insecure to accept anyone who reaches the port"}
	}
	return nil
}

// isLoopback reports whether addr's host is a loopback address or
// "localhost". An empty host or 0.0.0.0 listens on every interface.
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// TLSFromFiles builds SystemOptions.TLS from PEM files: this System's
// certificate and key, and the CA that signs every member's certificate.
// allowedNames, when given, admits only certificates carrying one of
// these names (DNS SAN or common name), checked on both sides of each
// connection. The files are checked at every handshake and reloaded when
// they change, so certificates and CA rotate without a restart; a reload
// that fails keeps the previous ones.
//
// Certificates must allow both server and client use (every System dials
// and is dialled), name the advertised host (IP or DNS SAN) and name the
// peers the System hosts (DNS SAN or common name), since a Raft message is
// accepted only from a peer its connection's certificate names.
//
// It lives in package actor, next to the gRPC transport it configures;
// this is the entry point for users of rafter.
func TLSFromFiles(certFile, keyFile, caFile string, allowedNames ...string) (*tls.Config, error) {
	c, err := actor.TLSFromFiles(certFile, keyFile, caFile, allowedNames...)
	if err != nil {
		return nil, fmt.Errorf("rafter: %w", err)
	}
	return c, nil
}
