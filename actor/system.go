package actor

import (
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	protoactor "github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/remote"
)

// remoteStartAttempts bounds the retries when a port picked for
// ListenAddr's ":0" is taken by someone else before protoactor binds it.
const remoteStartAttempts = 3

// System is one node: a protoactor ActorSystem and, when Options.ListenAddr
// is set, its gRPC remote. Its methods are safe for concurrent use.
type System struct {
	opts    Options
	logger  *slog.Logger
	actors  *protoactor.ActorSystem
	remote  *remote.Remote // nil when local-only
	address string         // advertised host:port, "" when local-only
	guard   *inboundGuard  // filters what other Systems send; nil when local-only

	// stopped is set by Shutdown under sendMu's write lock; Call and Cast
	// check it and send under the read lock, so no send of ours reaches
	// protoactor's remote once Shutdown has begun stopping it (a send to a
	// new address then would panic inside protoactor: its endpoint
	// supervisor is gone).
	sendMu  sync.RWMutex
	stopped atomic.Bool
	mu      sync.Mutex        // guards named
	named   []*protoactor.PID // spawned by SpawnNamed, in spawn order

	calls replyPool // idle reply boxes of Call; see reply.go

	shutdownOnce sync.Once
	shutdownErr  error
}

// NewSystem validates opts, creates the ActorSystem with protoactor's logs
// routed to opts.Logger and, when opts.ListenAddr is set, starts the remote
// before anything is spawned (a PID spawned earlier keeps the address
// "nonhost" and is useless to other nodes; docs/protoactor-traps.md §4).
func NewSystem(opts Options) (*System, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	opts = opts.withDefaults()
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	var lastErr error
	for range remoteStartAttempts {
		s := &System{opts: opts, logger: logger, actors: newActorSystem(logger)}
		if opts.ListenAddr == "" {
			return s, nil
		}
		guard := &inboundGuard{accept: opts.Accept, logger: logger}
		r, addr, retry, err := startRemote(s.actors, opts, guard, logger)
		if err == nil {
			s.remote, s.address, s.guard = r, addr, guard
			logger.Debug("actor: remote started", "address", addr)
			return s, nil
		}
		lastErr = err
		if !retry {
			break
		}
	}
	return nil, lastErr
}

// newActorSystem builds an ActorSystem whose logs go to logger, tagged so
// that protoactor's lines can be told from ours (docs/protoactor-traps.md §12).
func newActorSystem(logger *slog.Logger) *protoactor.ActorSystem {
	return protoactor.NewActorSystem(
		protoactor.WithLoggerFactory(func(as *protoactor.ActorSystem) *slog.Logger {
			return logger.With("lib", "protoactor", "system", as.ID)
		}),
	)
}

// Actors returns the underlying ActorSystem.
func (s *System) Actors() *protoactor.ActorSystem { return s.actors }

// Root returns the ActorSystem's root context, for sends and spawns from
// outside actors.
func (s *System) Root() *protoactor.RootContext { return s.actors.Root }

// Address returns the advertised host:port, or "" when local-only.
func (s *System) Address() string { return s.address }

// Logger returns the logger given in Options (a discarding one if none).
func (s *System) Logger() *slog.Logger { return s.logger }

// String names the System by its address, for logs and test failures.
func (s *System) String() string {
	if s.address == "" {
		return fmt.Sprintf("actor.System(local %s)", s.actors.ID)
	}
	return fmt.Sprintf("actor.System(%s)", s.address)
}
