package actor

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"time"
)

// Options configures a System. Start from DefaultOptions; the zero value of
// every field means "use the default", so Options{} is a quiet, local-only
// System.
type Options struct {
	// Logger receives our own logs and protoactor's (every protoactor package
	// logs through the ActorSystem's logger). nil discards everything: the
	// quiet default the house style asks of a library.
	Logger *slog.Logger

	// ListenAddr is the host:port the gRPC server listens on. "" keeps the
	// System local-only (no remote, Address() == ""). Port 0 picks a free port.
	ListenAddr string

	// AdvertiseAddr is the host:port other nodes dial to reach this System
	// and the address in every PID this System hands out. "" means the
	// actual listen address, which is refused when ListenAddr's host is
	// unspecified (0.0.0.0, [::] or empty): such an address cannot be dialled
	// (docs/protoactor-traps.md §4). A port of 0 is replaced by the actual listen port.
	AdvertiseAddr string

	// MaxMessageBytes is the largest gRPC frame (one batch of up to
	// WriterBatchSize messages) this System accepts, in bytes. Default
	// 64 MiB, above rafter's largest AppendEntries batch. gRPC's own default
	// is 4 MiB, and a frame over it is lost together with the messages
	// queued behind it (docs/protoactor-traps.md §6).
	MaxMessageBytes int

	// WriterQueueSize is the initial number of slots of each outbound
	// endpoint's queue (messages). Default 4096. protoactor's default of
	// 1,000,000 allocates ~16 MB per peer up front; the queue still grows on
	// demand (docs/protoactor-traps.md §11).
	WriterQueueSize int

	// WriterBatchSize is the most messages protoactor packs into one gRPC
	// frame. Default 64, so that frames stay far below MaxMessageBytes.
	WriterBatchSize int

	// KeepaliveInterval is how long a connection may stay silent before gRPC
	// pings it. Default 10 s. Without keepalive a black-holed peer is never
	// detected (docs/protoactor-traps.md §7).
	KeepaliveInterval time.Duration

	// KeepaliveTimeout is how long gRPC waits for a ping's answer before it
	// closes the connection. Default 5 s.
	KeepaliveTimeout time.Duration

	// TLS, when set, makes every connection to and from other Systems
	// mutual TLS with this configuration, used by both the gRPC server and
	// the dialer (TLSFromFiles builds one from PEM files). It must require
	// and verify client certificates (tls.RequireAndVerifyClientCert); TLS
	// 1.3 is enforced as the minimum. nil: plaintext. Default: nil.
	TLS *tls.Config

	// Accept, when set, decides for every message arriving from another
	// System whether it is delivered: nil delivers it, an error drops it;
	// drops are counted (System.Refused) and logged, rate-limited. It runs
	// on the connection's receiving goroutine and must be quick and safe
	// for concurrent use. Whatever Accept says, a System drops envelopes
	// that are malformed, not protobuf, or addressed to another System, and
	// refuses protoactor's unary RPCs (process listing, diagnostics). nil:
	// deliver everything else. Default: nil.
	Accept func(Inbound) error

	// ShutdownTimeout bounds how long Shutdown waits for each actor spawned
	// with SpawnNamed to stop. Default 5 s.
	ShutdownTimeout time.Duration
}

// Defaults used by DefaultOptions and by NewSystem for zero fields.
const (
	DefaultMaxMessageBytes   = 64 << 20
	DefaultWriterQueueSize   = 4096
	DefaultWriterBatchSize   = 64
	DefaultKeepaliveInterval = 10 * time.Second
	DefaultKeepaliveTimeout  = 5 * time.Second
	DefaultShutdownTimeout   = 5 * time.Second

	// DefaultCallTimeout is the deadline Call uses when its context has none.
	DefaultCallTimeout = 5 * time.Second
)

// DefaultOptions returns the options of a quiet, local-only System.
func DefaultOptions() Options {
	return Options{
		MaxMessageBytes:   DefaultMaxMessageBytes,
		WriterQueueSize:   DefaultWriterQueueSize,
		WriterBatchSize:   DefaultWriterBatchSize,
		KeepaliveInterval: DefaultKeepaliveInterval,
		KeepaliveTimeout:  DefaultKeepaliveTimeout,
		ShutdownTimeout:   DefaultShutdownTimeout,
	}
}

// withDefaults fills every zero field with its default.
func (o Options) withDefaults() Options {
	d := DefaultOptions()
	if o.MaxMessageBytes == 0 {
		o.MaxMessageBytes = d.MaxMessageBytes
	}
	if o.WriterQueueSize == 0 {
		o.WriterQueueSize = d.WriterQueueSize
	}
	if o.WriterBatchSize == 0 {
		o.WriterBatchSize = d.WriterBatchSize
	}
	if o.KeepaliveInterval == 0 {
		o.KeepaliveInterval = d.KeepaliveInterval
	}
	if o.KeepaliveTimeout == 0 {
		o.KeepaliveTimeout = d.KeepaliveTimeout
	}
	if o.ShutdownTimeout == 0 {
		o.ShutdownTimeout = d.ShutdownTimeout
	}
	return o
}

// Validate reports the first invalid field, wrapping ErrBadOptions.
func (o Options) Validate() error {
	o = o.withDefaults()
	switch {
	case o.MaxMessageBytes < 0:
		return fmt.Errorf("%w: MaxMessageBytes %d < 0", ErrBadOptions, o.MaxMessageBytes)
	case o.WriterQueueSize < 0:
		return fmt.Errorf("%w: WriterQueueSize %d < 0", ErrBadOptions, o.WriterQueueSize)
	case o.WriterBatchSize < 0:
		return fmt.Errorf("%w: WriterBatchSize %d < 0", ErrBadOptions, o.WriterBatchSize)
	case o.KeepaliveInterval < 0 || o.KeepaliveTimeout < 0 || o.ShutdownTimeout < 0:
		return fmt.Errorf("%w: negative duration", ErrBadOptions)
	}
	if o.TLS != nil {
		if err := checkTLS(o.TLS); err != nil {
			return fmt.Errorf("%w: %w", ErrBadOptions, err)
		}
	}
	if o.ListenAddr == "" {
		if o.AdvertiseAddr != "" {
			return fmt.Errorf("%w: AdvertiseAddr %q without ListenAddr", ErrBadOptions, o.AdvertiseAddr)
		}
		return nil
	}
	host, port, err := splitHostPort(o.ListenAddr)
	if err != nil {
		return fmt.Errorf("%w: ListenAddr: %w", ErrBadOptions, err)
	}
	_ = port
	if o.AdvertiseAddr == "" {
		if unspecifiedHost(host) {
			return fmt.Errorf("%w: ListenAddr %q has no dialable host: set AdvertiseAddr",
				ErrBadOptions, o.ListenAddr)
		}
		return nil
	}
	ahost, _, err := splitHostPort(o.AdvertiseAddr)
	if err != nil {
		return fmt.Errorf("%w: AdvertiseAddr: %w", ErrBadOptions, err)
	}
	if unspecifiedHost(ahost) {
		return fmt.Errorf("%w: AdvertiseAddr %q is not dialable", ErrBadOptions, o.AdvertiseAddr)
	}
	return nil
}

// splitHostPort splits host:port and checks the port is a number in range.
func splitHostPort(addr string) (string, int, error) {
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	port, err := strconv.Atoi(p)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("bad port %q", p)
	}
	return host, port, nil
}

// unspecifiedHost reports whether host means "every interface", which binds
// but cannot be dialled from another machine.
func unspecifiedHost(host string) bool {
	if host == "" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsUnspecified()
}
