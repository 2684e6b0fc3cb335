package actor

import (
	protoactor "github.com/asynkron/protoactor-go/actor"
)

// replyBox is a one-shot process that receives the reply to a Call (or the
// Terminated of a stop) on a buffered channel.
//
// It replaces protoactor's Future, which has three traps for a caller that
// may give up early (protoactor.md §1.4): Result cannot be abandoned when a
// context is cancelled; only one waiter wakes; and futureProcess writes its
// result without the lock, so a reply that arrives after the timeout races
// with Result (issue #1145, reported by -race). Here the first message wins,
// later ones are dropped, and the channel is the only shared state.
type replyBox struct {
	ch chan any
}

var _ protoactor.Process = (*replyBox)(nil)

// newReplyBox registers a replyBox under a fresh id ("call$N") and returns
// its PID, valid locally and, once the remote has started, across nodes.
// The caller must call release.
func (s *System) newReplyBox() (*replyBox, *protoactor.PID) {
	b := &replyBox{ch: make(chan any, 1)}
	reg := s.actors.ProcessRegistry
	// NextId is unique within the registry, so Add cannot collide.
	pid, _ := reg.Add(b, "call"+reg.NextId())
	return b, pid
}

// release unregisters the box; a reply arriving later goes to dead letters.
func (s *System) release(pid *protoactor.PID) {
	s.actors.ProcessRegistry.Remove(pid)
}

// SendUserMessage keeps the first reply, unwrapped from its envelope.
func (b *replyBox) SendUserMessage(_ *protoactor.PID, message any) {
	_, msg, _ := protoactor.UnwrapEnvelope(message)
	b.offer(msg)
}

// SendSystemMessage keeps the first system message (Terminated for a watch).
func (b *replyBox) SendSystemMessage(_ *protoactor.PID, message any) {
	b.offer(message)
}

// Stop is a no-op: the box lives exactly as long as the waiting call.
func (b *replyBox) Stop(*protoactor.PID) {}

func (b *replyBox) offer(msg any) {
	select {
	case b.ch <- msg:
	default: // a reply is already waiting; later ones are dropped
	}
}
