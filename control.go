package rafter

import (
	"context"
	"errors"
	"fmt"
	"time"

	protoactor "github.com/asynkron/protoactor-go/actor"

	"github.com/rafter-go/rafter/actor"
	"github.com/rafter-go/rafter/events"
	"github.com/rafter-go/rafter/logserver"
	"github.com/rafter-go/rafter/rafterpb"
)

// controlName is the name of a System's control actor, which carries out
// requests other Systems send to the System itself (rafterpb/control.proto).
// Peer names cannot contain '/', and a peer's actors are "<name>",
// "<name>/log" and "<name>/consensus", so no peer can take this name.
const controlName = "$rafter/control"

// remoteKillTimeout bounds a Kill of a peer in another System.
const remoteKillTimeout = 5 * time.Second

// startControl spawns the control actor of a System that listens.
func (s *System) startControl() error {
	props := protoactor.PropsFromFunc(func(c protoactor.Context) {
		if m, ok := c.Message().(*rafterpb.KillRequest); ok {
			c.Respond(s.onKillRequest(m))
		}
	})
	if _, err := s.actors.SpawnNamed(props, controlName); err != nil {
		return fmt.Errorf("rafter: control actor: %w", err)
	}
	return nil
}

// onKillRequest carries out a remote Kill on a local peer. Only Systems
// the network surface lets in reach it (with TLS: a certificate of the CA
// and the allowlist).
func (s *System) onKillRequest(m *rafterpb.KillRequest) *rafterpb.KillReply {
	which := ActorConsensus
	switch m.GetActor() {
	case ActorConsensus.String():
	case ActorLog.String():
		which = ActorLog
	default:
		return &rafterpb.KillReply{Error: fmt.Sprintf("unknown actor %q", m.GetActor())}
	}
	p := Peer{Name: m.GetName()}
	if err := checkPeer(p); err != nil {
		return &rafterpb.KillReply{Error: err.Error()}
	}
	s.log.Warn("rafter: killing an actor at another System's request", "peer", p.Name, "actor", which.String())
	if err := s.killLocal(p, which); err != nil {
		return &rafterpb.KillReply{Error: err.Error()}
	}
	return &rafterpb.KillReply{}
}

// killRemote asks p's System to kill one of p's actors.
func (s *System) killRemote(p Peer, which Actor) error {
	ctx, cancel := context.WithTimeout(context.Background(), remoteKillTimeout)
	defer cancel()
	r, err := actor.Call[*rafterpb.KillReply](ctx, s.actors, s.actors.PIDOf(controlName, p.Node),
		&rafterpb.KillRequest{Name: p.Name, Actor: which.String()})
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("rafter: kill %s: %w: %w", p, ErrTimeout, err)
	case err != nil:
		return fmt.Errorf("rafter: kill %s: %w: %w", p, ErrStopped, err)
	case r.GetError() != "":
		return fmt.Errorf("rafter: kill %s: %w: %s", p, ErrStopped, r.GetError())
	}
	return nil
}

// killLocal crashes one actor of a peer of this System.
func (s *System) killLocal(p Peer, which Actor) error {
	if _, err := s.running(p.Name); err != nil {
		return err
	}
	s.publish(p, Event{Kind: events.KindKill, Actor: which.String()})
	pid := s.actors.PIDOf(p.Name+"/"+which.String(), "")
	if which == ActorLog {
		s.actors.Cast(pid, &logserver.Crash{})
		return nil
	}
	s.actors.Root().Stop(pid)
	return nil
}
