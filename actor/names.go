package actor

import (
	"errors"
	"fmt"

	protoactor "github.com/asynkron/protoactor-go/actor"
)

// SpawnNamed spawns a top-level actor registered under name, like OTP's
// {local, Name}. A name held by a live process gives an error wrapping both
// ErrNameTaken and protoactor.ErrNameExists, and nothing is spawned. After
// the holder has fully stopped the name can be used again.
//
// The actor gets an unbounded mailbox wrapped in SafeMailbox (a mailbox set
// in props is replaced), so that messages sent to a name that is being
// re-spawned are held instead of crashing their sender.
//
// Shutdown stops the actors spawned here, last spawned first.
func (s *System) SpawnNamed(props *protoactor.Props, name string) (*protoactor.PID, error) {
	if s.stopped.Load() {
		return nil, fmt.Errorf("actor: spawn %q: %w", name, ErrStopped)
	}
	pid, err := s.actors.Root.SpawnNamed(props.Clone(protoactor.WithMailbox(SafeMailbox(nil))), name)
	if errors.Is(err, protoactor.ErrNameExists) {
		return nil, fmt.Errorf("actor: spawn %q: %w (%w)", name, ErrNameTaken, err)
	}
	if err != nil {
		return nil, fmt.Errorf("actor: spawn %q: %w", name, err)
	}
	s.mu.Lock()
	s.named = append(s.named, pid)
	s.mu.Unlock()
	return pid, nil
}

// Whereis returns the PID of the local process registered under name, like
// erlang:whereis/1, or an error wrapping ErrUnknownName. A child actor's
// name is its full path, e.g. "peer1/fsm".
func (s *System) Whereis(name string) (*protoactor.PID, error) {
	if _, ok := s.actors.ProcessRegistry.GetLocal(name); !ok {
		return nil, fmt.Errorf("actor: whereis %q: %w", name, ErrUnknownName)
	}
	return s.actors.NewLocalPID(name), nil
}

// PIDOf resolves {name, node} to a PID the same way on every node: node ""
// or this System's own address gives the local PID, any other node a remote
// PID at that address. Nothing is looked up, so the process need not exist
// yet; a Call to a missing one fails with ErrNoProcess.
func (s *System) PIDOf(name, node string) *protoactor.PID {
	if node == "" || node == s.address {
		return s.actors.NewLocalPID(name)
	}
	return protoactor.NewPID(node, name)
}
