package actor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"runtime/debug"
	"strconv"
	"strings"

	protoactor "github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/remote"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/status"
)

// maxRetryCount is protoactor's connect attempts per endpoint. Its default
// of 5 leaks every failed grpc.ClientConn but the last, so sends toward a
// dead peer grow the goroutine count by ~16 every 10 s without bound; with 1
// attempt nothing leaks and a connect cycle takes ~2 s (docs/protoactor-traps.md §11).
const maxRetryCount = 1

// Per-connection limits of the gRPC server. A frame may still be as large
// as MaxMessageBytes (a batch of AppendEntries, snapshot chunks of 1 MiB),
// but a connection gets only a few streams and bounded headers. What
// bounds a stranger's memory is TLS: without a certificate of the CA no
// frame is read at all.
//
// The flow-control windows are fixed at flowWindow, on both ends, for
// CPU: gRPC's dynamic windows come with a bandwidth estimator that pings
// the sender as data arrives and a window update every quarter window,
// each a socket write on one side and a read on the other. Between Raft
// peers that is most of the small frames: fixed windows cut the leader's
// socket reads by half and its writes by a sixth at 128 clients, three
// processes (about 5 % more committed writes). 4 MiB keeps a 1 Gb/s link
// full at 30 ms round trip; it is also what one stream may hold unread.
const (
	maxStreamsPerConn = 4
	maxHeaderBytes    = 64 << 10
	flowWindow        = 4 << 20
)

// startRemote configures and starts protoactor's remote on as with every
// protection of docs/protoactor-traps.md §4–§11. It returns the advertised address,
// and whether a failure is worth retrying with a fresh ActorSystem (a port
// we picked was taken before protoactor could bind it).
func startRemote(as *protoactor.ActorSystem, opts Options, guard *inboundGuard, logger *slog.Logger) (r *remote.Remote, addr string, retry bool, err error) {
	host, port, _ := splitHostPort(opts.ListenAddr) // checked by Validate
	picked := port == 0
	if picked {
		if port, err = freePort(opts.ListenAddr); err != nil {
			return nil, "", false, fmt.Errorf("%w: %w", ErrRemote, err)
		}
	}
	addr = net.JoinHostPort(host, strconv.Itoa(port))
	if opts.AdvertiseAddr != "" {
		ahost, aport, _ := splitHostPort(opts.AdvertiseAddr)
		if aport == 0 {
			aport = port
		}
		addr = net.JoinHostPort(ahost, strconv.Itoa(aport))
	}
	guard.address = addr
	cfg := remote.Configure(configHost(host), port, remoteOptions(opts, addr, guard, logger)...)
	cfg.MaxRetryCount = maxRetryCount // no option function exists for it

	r = remote.NewRemote(as, cfg)
	defer func() {
		// Remote.Start panics when it cannot listen or when its endpoint
		// manager does not come up within 3 s.
		if p := recover(); p != nil {
			r, retry = nil, picked
			err = fmt.Errorf("%w: listen %s: %v", ErrRemote, opts.ListenAddr, p)
		}
	}()
	orderAfterGRPCLogReads()
	r.Start()
	if err := awaitServing(host, port); err != nil {
		// Only the ordering of gRPC's logger is at stake; the node works.
		logger.Warn("actor: remote does not answer its own address", "error", err)
	}
	return r, addr, false, nil
}

// remoteOptions are the protections of docs/protoactor-traps.md §4–§11.
func remoteOptions(opts Options, advertised string, guard *inboundGuard, logger *slog.Logger) []remote.ConfigOption {
	ka := keepalive.ClientParameters{
		Time:                opts.KeepaliveInterval,
		Timeout:             opts.KeepaliveTimeout,
		PermitWithoutStream: true,
	}
	dialCreds := insecure.NewCredentials()
	serverOpts := []grpc.ServerOption{
		// Recovery first, so that a panic in the guard or behind it is
		// caught; the guard then filters what protoactor reads.
		grpc.ChainUnaryInterceptor(recoverUnary(logger), guard.denyUnary()),
		grpc.ChainStreamInterceptor(recoverStream(logger), guard.stream()),
		grpc.MaxRecvMsgSize(opts.MaxMessageBytes),
		// protoactor opens one stream per connection; a few more are
		// harmless, thousands would each hold buffers.
		grpc.MaxConcurrentStreams(maxStreamsPerConn),
		grpc.MaxHeaderListSize(maxHeaderBytes),
		grpc.InitialWindowSize(flowWindow),
		grpc.InitialConnWindowSize(flowWindow),
	}
	if opts.TLS != nil {
		tc := serverTLS(opts.TLS)
		serverOpts = append(serverOpts, grpc.Creds(refusingCreds{credentials.NewTLS(tc), guard}))
		dialCreds = credentials.NewTLS(tc)
	}
	return []remote.ConfigOption{
		// Never let protoactor advertise the bind address: 0.0.0.0 / [::]
		// cannot be dialled and localhost differs from 127.0.0.1.
		remote.WithAdvertisedHost(advertised),
		remote.WithEndpointWriterQueueSize(opts.WriterQueueSize),
		remote.WithEndpointWriterBatchSize(opts.WriterBatchSize),
		remote.WithServerOptions(append(serverOpts,
			grpc.KeepaliveParams(keepalive.ServerParameters{
				Time:    opts.KeepaliveInterval,
				Timeout: opts.KeepaliveTimeout,
			}),
			// Accept the clients' pings; the default policy (5 min) would
			// answer our own keepalive with GOAWAY "too_many_pings".
			grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{
				MinTime:             opts.KeepaliveInterval / 2,
				PermitWithoutStream: true,
			}),
		)...),
		// WithDialOptions replaces protoactor's default, so the transport
		// credentials must be given again.
		remote.WithDialOptions(
			grpc.WithTransportCredentials(dialCreds),
			grpc.WithKeepaliveParams(ka),
			grpc.WithInitialWindowSize(flowWindow),
			grpc.WithInitialConnWindowSize(flowWindow),
			grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(opts.MaxMessageBytes)),
		),
	}
}

// recoverUnary turns a panic in a unary handler into an Internal error.
// protoactor's ListProcesses and GetProcessDiagnostics are panic("implement
// me"), and grpc-go does not recover handler panics (docs/protoactor-traps.md §8).
// denyUnary refuses both before they run; this stays as a second guard.
func recoverUnary(logger *slog.Logger) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (resp any, err error) {
		defer func() {
			if p := recover(); p != nil {
				err = recovered(logger, info.FullMethod, p)
			}
		}()
		return h(ctx, req)
	}
}

// recoverStream turns a panic in a stream handler into an Internal error,
// which closes that stream only. protoactor's deserializer dereferences nil
// on a message type that is not registered here (docs/protoactor-traps.md §5); the
// sender's endpoint then reconnects on its next send.
func recoverStream(logger *slog.Logger) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) (err error) {
		defer func() {
			if p := recover(); p != nil {
				err = recovered(logger, info.FullMethod, p)
			}
		}()
		return h(srv, ss)
	}
}

func recovered(logger *slog.Logger, method string, p any) error {
	logger.Error("actor: recovered panic in gRPC handler",
		"method", method, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
	return status.Errorf(codes.Internal, "actor: panic in %s: %v", method, p)
}

// freePort asks the kernel for a free port on listenAddr's host. protoactor
// offers no way to hand it a listener or to learn the port before Start,
// and the advertised address must be fixed before Start.
func freePort(listenAddr string) (int, error) {
	l, err := net.Listen("tcp", listenAddr)
	if err != nil {
		return 0, err
	}
	defer l.Close()
	ta, ok := l.Addr().(*net.TCPAddr)
	if !ok {
		return 0, errors.New("not a TCP address")
	}
	return ta.Port, nil
}

// configHost adapts host to remote.Config.Address, which joins host and
// port with a bare ":" and so needs IPv6 literals bracketed.
func configHost(host string) string {
	if strings.Contains(host, ":") {
		return "[" + host + "]"
	}
	return host
}
