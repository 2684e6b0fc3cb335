package actor

import (
	"context"
	"errors"
	"fmt"

	protoactor "github.com/asynkron/protoactor-go/actor"
)

// Names of the top-level actors protoactor's remote spawns in Start.
const (
	endpointSupervisorName = "EndpointSupervisor"
	activatorName          = "activator"
)

// StopAndWait stops the process at pid (queued user messages are dropped,
// docs/protoactor-traps.md §2) and waits until it has terminated, or until ctx is
// done. A pid that does not exist counts as stopped.
func (s *System) StopAndWait(ctx context.Context, pid *protoactor.PID) error {
	box, self := s.newReplyBox()
	defer s.release(self)
	// Watch before Stop so that the Terminated cannot be missed; on a
	// missing process the dead-letter path answers the Watch with
	// Terminated{NotFound} (docs/protoactor-traps.md §2).
	proc, _ := s.actors.ProcessRegistry.Get(pid)
	proc.SendSystemMessage(pid, &protoactor.Watch{Watcher: self})
	s.actors.Root.Stop(pid)
	select {
	case <-box.ch:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("actor: stop %v: %w", pid, ctx.Err())
	}
}

// Shutdown brings the node down: it refuses further Call, Cast and
// SpawnNamed, stops the actors spawned with SpawnNamed (last first, each
// within Options.ShutdownTimeout), then the remote. It is safe to call more
// than once and from several goroutines; later calls return the first
// call's result.
//
// Actors spawned by other means (Root().Spawn...) are not stopped. After
// Shutdown do not send through Root() to remote PIDs: protoactor's remote
// cannot open new connections any more.
func (s *System) Shutdown() error {
	s.shutdownOnce.Do(func() { s.shutdownErr = s.shutdown() })
	return s.shutdownErr
}

func (s *System) shutdown() error {
	s.sendMu.Lock() // waits for Call and Cast sends in progress
	s.stopped.Store(true)
	s.sendMu.Unlock()
	s.mu.Lock()
	named := s.named
	s.named = nil
	s.mu.Unlock()
	var errs []error
	for i := len(named) - 1; i >= 0; i-- {
		errs = append(errs, s.stopWithin(named[i]))
	}
	if s.remote != nil {
		errs = append(errs, s.stopRemote())
	}
	s.actors.Shutdown()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("actor: shutdown: %w", err)
	}
	return nil
}

func (s *System) stopWithin(pid *protoactor.PID) error {
	ctx, cancel := context.WithTimeout(context.Background(), s.opts.ShutdownTimeout)
	defer cancel()
	return s.StopAndWait(ctx, pid)
}

// stopRemote stops protoactor's remote without Remote.Shutdown(true), whose
// endpoint-manager stop has three bugs that bite when connected nodes stop
// at the same moment (docs/protoactor-traps.md §10):
//   - it sends on each inbound reader's channel, which the reader may
//     already have closed: "panic: send on closed channel";
//   - it sets the manager's connections map to nil while a writer's receive
//     goroutine may still publish EndpointTerminatedEvent to it: a nil
//     dereference on a goroutine nobody recovers;
//   - it writes the reader's suspended flag and the manager's stopped flag
//     without synchronisation (data races under -race).
//
// Instead: stop the gRPC server (inbound streams end, each reader closes
// and forgets its own channel), then stop the endpoint supervisor, which
// stops every outbound writer (closing its grpc.ClientConn) and watcher,
// and the activator. The manager's map stays valid, so late events only
// produce dead letters.
func (s *System) stopRemote() error {
	s.remote.Shutdown(false) // grpc.Server.Stop only
	var errs []error
	for _, name := range []string{endpointSupervisorName, activatorName} {
		errs = append(errs, s.stopWithin(s.actors.NewLocalPID(name)))
	}
	return errors.Join(errs...)
}
