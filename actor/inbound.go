package actor

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/remote"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
)

// Inbound is one message arriving from another System, seen before
// protoactor delivers it (see Options.Accept).
type Inbound struct {
	// Target is the name (PID id) of the local process it is sent to.
	Target string
	// Type is the protobuf full name of the message, e.g.
	// "rafterpb.RaftMessage".
	Type string
	// Data is the message, protobuf-encoded. Accept must not keep it.
	Data []byte
	// Names are the names (DNS SANs and common name, CertificateNames) of
	// the certificate the connection was authenticated with; nil on a
	// connection without TLS.
	Names []string
	// From is the connection's remote network address, for logs.
	From string
}

// How the inbound filter works. protoactor's endpoint reader is the gRPC
// Remoting.Receive stream handler; it reads RemoteMessage values with
// stream.Recv and hands every envelope of a MessageBatch to the process
// registry: system messages (Stop, Watch, Unwatch, Terminated) straight to
// the target's system mailbox, everything else through Root.Send. It has no
// hook of its own (remote/endpoint_reader.go, onMessageBatch). A gRPC stream
// interceptor is the one place in front of it: filterStream wraps the
// ServerStream, so every RecvMsg decodes the batch, and the envelopes that
// are not accepted are removed before protoactor sees the batch. The
// connection's verified certificate comes from the stream's context
// (peer.FromContext, credentials.TLSInfo).

// inboundGuard applies the built-in checks and Options.Accept to every
// envelope that arrives.
type inboundGuard struct {
	accept  func(Inbound) error
	address string // our advertised address: the only target address accepted
	logger  *slog.Logger

	refused atomic.Uint64
	lastLog atomic.Int64 // unix nanos of the last refusal logged
	quiet   atomic.Uint64
}

// refusalLogInterval rate-limits the refusal log: one line per interval,
// with the number of refusals not logged since.
const refusalLogInterval = time.Second

func (g *inboundGuard) stream() grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
		names, from := connIdentity(ss.Context())
		return h(srv, &filterStream{ServerStream: ss, g: g, names: names, from: from})
	}
}

// denyUnary refuses every unary RPC. protoactor's remote has two,
// ListProcesses and GetProcessDiagnostics: process listing and diagnostics
// are not for other Systems (and both are unimplemented upstream, a panic).
func (g *inboundGuard) denyUnary() grpc.UnaryServerInterceptor {
	return func(ctx context.Context, _ any, info *grpc.UnaryServerInfo, _ grpc.UnaryHandler) (any, error) {
		_, from := connIdentity(ctx)
		g.refuse(from, "", info.FullMethod, "unary RPC not served")
		return nil, status.Errorf(codes.PermissionDenied, "actor: %s is not served", info.FullMethod)
	}
}

// connIdentity returns the names of the connection's verified certificate
// (nil without TLS) and its remote address.
func connIdentity(ctx context.Context) ([]string, string) {
	p, ok := peer.FromContext(ctx)
	if !ok {
		return nil, ""
	}
	from := ""
	if p.Addr != nil {
		from = p.Addr.String()
	}
	ti, ok := p.AuthInfo.(credentials.TLSInfo)
	if !ok || len(ti.State.PeerCertificates) == 0 {
		return nil, from
	}
	return CertificateNames(ti.State.PeerCertificates[0]), from
}

// filterStream is the ServerStream protoactor's endpoint reader reads from.
type filterStream struct {
	grpc.ServerStream
	g     *inboundGuard
	names []string
	from  string
}

func (f *filterStream) RecvMsg(m any) error {
	if err := f.ServerStream.RecvMsg(m); err != nil {
		return err
	}
	if rm, ok := m.(*remote.RemoteMessage); ok {
		if b := rm.GetMessageBatch(); b != nil {
			f.g.filter(b, f.names, f.from)
		}
	}
	return nil
}

// filter removes from b every envelope that is not accepted. The indexes
// the kept envelopes use into b's tables stay valid.
func (g *inboundGuard) filter(b *remote.MessageBatch, names []string, from string) {
	kept := b.Envelopes[:0]
	for _, e := range b.Envelopes {
		if target, typ, why := g.check(b, e, names, from); why != "" {
			g.refuse(from, target, typ, why)
			continue
		}
		kept = append(kept, e)
	}
	clear(b.Envelopes[len(kept):])
	b.Envelopes = kept
}

// check returns why e is refused, or "".
func (g *inboundGuard) check(b *remote.MessageBatch, e *remote.MessageEnvelope, names []string, from string) (target, typ, why string) {
	switch {
	case e.Target < 0 || int(e.Target) >= len(b.Targets) || b.Targets[e.Target] == nil:
		return "", "", "target index out of range"
	case e.Sender < 0 || int(e.Sender) > len(b.Senders):
		return "", "", "sender index out of range"
	case e.TypeId < 0 || int(e.TypeId) >= len(b.TypeNames):
		return "", "", "type index out of range"
	}
	pid := b.Targets[e.Target]
	target, typ = pid.Id, b.TypeNames[e.TypeId]
	switch {
	case e.SerializerId != 0:
		return target, typ, "not protobuf-serialized"
	case pid.Address != g.address:
		// protoactor would relay it to that address under our identity.
		return target, typ, fmt.Sprintf("target address %q is not this System", pid.Address)
	case g.accept == nil:
		return target, typ, ""
	}
	err := g.accept(Inbound{Target: target, Type: typ, Data: e.MessageData, Names: names, From: from})
	if err != nil {
		return target, typ, err.Error()
	}
	return target, typ, ""
}

// refuse counts a refused message and logs it, at most once per
// refusalLogInterval.
func (g *inboundGuard) refuse(from, target, typ, why string) {
	g.refused.Add(1)
	now := time.Now().UnixNano()
	last := g.lastLog.Load()
	if now-last < int64(refusalLogInterval) || !g.lastLog.CompareAndSwap(last, now) {
		g.quiet.Add(1)
		return
	}
	g.logger.Warn("actor: refused a message from another System",
		"from", from, "target", target, "type", typ, "reason", why,
		"refused_total", g.refused.Load(), "not_logged", g.quiet.Swap(0))
}

// Refused returns how many messages, RPCs and TLS handshakes from other
// Systems this System has refused since it started (see Options.Accept).
func (s *System) Refused() uint64 {
	if s.guard == nil {
		return 0
	}
	return s.guard.refused.Load()
}

// refusingCreds are the server's TLS credentials with failed handshakes
// (no certificate, another CA, expired, not on the allowlist) counted and
// logged as refusals: gRPC only closes such a connection.
type refusingCreds struct {
	credentials.TransportCredentials
	g *inboundGuard
}

func (c refusingCreds) ServerHandshake(raw net.Conn) (net.Conn, credentials.AuthInfo, error) {
	conn, info, err := c.TransportCredentials.ServerHandshake(raw)
	if err != nil {
		c.g.refuse(raw.RemoteAddr().String(), "", "", "TLS handshake: "+err.Error())
	}
	return conn, info, err
}

func (c refusingCreds) Clone() credentials.TransportCredentials {
	return refusingCreds{c.TransportCredentials.Clone(), c.g}
}
