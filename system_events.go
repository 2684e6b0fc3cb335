package rafter

import (
	"context"

	"github.com/rafter-go/rafter/events"
)

// Event is one thing that happened at a peer of a System (package events
// lists the kinds and their fields).
type Event = events.Event

// EventFilter selects the events of a subscription (package events).
type EventFilter = events.Filter

// Subscribe returns a channel of the events f selects that happen from now
// on at this System's peers: role and term changes, votes, entries
// appended, committed and applied, Raft messages sent and received,
// election timer resets, configuration changes, actor starts, kills and
// restarts, stops. The channel is closed when ctx ends or the System shuts
// down. A subscriber that does not keep up loses events, never slows a
// peer: each Event says how many were lost before it (Event.Dropped). With
// no subscription the peers build no events at all.
func (s *System) Subscribe(ctx context.Context, f EventFilter) <-chan Event {
	return s.events.Subscribe(ctx, f)
}

// peerEvents returns peer p's event publisher.
func (s *System) peerEvents(p Peer) *events.Peer { return s.events.Peer(p.String()) }

// publish publishes a System-level event about peer p (kills, restarts,
// stops), if anyone listens.
func (s *System) publish(p Peer, e Event) {
	if s.events.Active() {
		s.events.Peer(p.String()).Publish(e)
	}
}

// errText is err's message, "" for nil.
func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
