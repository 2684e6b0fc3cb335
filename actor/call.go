package actor

import (
	"context"
	"fmt"

	protoactor "github.com/asynkron/protoactor-go/actor"
)

// Call sends request to the process at to, with a reply-to PID, and waits
// for one reply of type R, like gen_server:call. It may be used from any
// goroutine, and across nodes when request and reply are protobuf messages.
//
// The deadline comes from ctx; a ctx without one gets DefaultCallTimeout.
// Cancellation returns at once. Errors:
//   - ctx expired or cancelled: wraps context.DeadlineExceeded or
//     context.Canceled (indeterminate: the request may have been handled);
//   - the target does not exist, or its node cannot be reached: wraps
//     ErrNoProcess;
//   - a reply that is an error value: that error, wrapped (local only: a Go
//     error is not a protobuf message and cannot cross nodes);
//   - a reply of another type than R: wraps ErrUnexpectedReply;
//   - the System is shut down: wraps ErrStopped.
//
// The callee answers with ctx.Respond(reply) (or a Send to ctx.Sender()).
func Call[R any](ctx context.Context, s *System, to *protoactor.PID, request any) (R, error) {
	var zero R
	if s.stopped.Load() {
		return zero, fmt.Errorf("actor: call %v: %w", to, ErrStopped)
	}
	if to == nil {
		return zero, fmt.Errorf("actor: call to nil PID: %w", ErrNoProcess)
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultCallTimeout)
		defer cancel()
	}
	if err := ctx.Err(); err != nil {
		return zero, fmt.Errorf("actor: call %v: %w", to, err)
	}
	box, self := s.takeReplyBox()
	defer s.putReplyBox(box)
	if !s.send(func() { s.actors.Root.RequestWithCustomSender(to, request, self) }) {
		return zero, fmt.Errorf("actor: call %v: %w", to, ErrStopped)
	}
	select {
	case msg := <-box.ch:
		return decodeReply[R](to, msg)
	case <-ctx.Done():
		return zero, fmt.Errorf("actor: call %v: %w", to, ctx.Err())
	}
}

// decodeReply turns the first message the reply box got into Call's result.
func decodeReply[R any](to *protoactor.PID, msg any) (R, error) {
	var zero R
	// Dead letters and errors first, so that even Call[any] reports them
	// as errors. PipeTo-style replies are bare error values
	// (docs/protoactor-traps.md §1).
	switch m := msg.(type) {
	case *protoactor.DeadLetterResponse:
		return zero, fmt.Errorf("actor: call %v: %w", to, ErrNoProcess)
	case error:
		return zero, fmt.Errorf("actor: call %v: %w", to, m)
	}
	if r, ok := msg.(R); ok {
		return r, nil
	}
	return zero, fmt.Errorf("actor: call %v: %w: got %T, want %T", to, ErrUnexpectedReply, msg, zero)
}

// Cast sends msg to the process at to without waiting, like
// gen_server:cast. Delivery is at-most-once; a missing target is a dead
// letter. After Shutdown, Cast drops msg.
func (s *System) Cast(to *protoactor.PID, msg any) {
	if to == nil {
		return
	}
	s.send(func() { s.actors.Root.Send(to, msg) })
}

// send runs f unless the System is stopped, holding off Shutdown while f
// runs. It reports whether f ran.
func (s *System) send(f func()) bool {
	s.sendMu.RLock()
	defer s.sendMu.RUnlock()
	if s.stopped.Load() {
		return false
	}
	f()
	return true
}
