package actor

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

func TestCallLocal(t *testing.T) {
	s := newLocal(t)
	pid, err := s.SpawnNamed(echoProps(), "echo")
	require.NoError(t, err)

	r, err := Call[*wrapperspb.StringValue](t.Context(), s, pid, wrapperspb.String("hi"))
	require.NoError(t, err)
	assert.Equal(t, "hi", r.GetValue())
}

func TestCallReplyErrors(t *testing.T) {
	s := newLocal(t)
	pid, err := s.SpawnNamed(echoProps(), "echo")
	require.NoError(t, err)

	t.Run("error value reply", func(t *testing.T) {
		_, err := Call[*wrapperspb.StringValue](t.Context(), s, pid, wrapperspb.String("boom"))
		assert.ErrorIs(t, err, errBoom)
	})
	t.Run("error value reply to Call[any]", func(t *testing.T) {
		_, err := Call[any](t.Context(), s, pid, wrapperspb.String("boom"))
		assert.ErrorIs(t, err, errBoom)
	})
	t.Run("wrong reply type", func(t *testing.T) {
		_, err := Call[*wrapperspb.BytesValue](t.Context(), s, pid, wrapperspb.String("hi"))
		assert.ErrorIs(t, err, ErrUnexpectedReply)
	})
}

func TestCallDeadlineExpires(t *testing.T) {
	s := newLocal(t)
	pid, err := s.SpawnNamed(echoProps(), "echo")
	require.NoError(t, err)

	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = Call[any](ctx, s, pid, silent{})
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 2*time.Second)
}

func TestCallCancelIsPrompt(t *testing.T) {
	s := newLocal(t)
	pid, err := s.SpawnNamed(echoProps(), "echo")
	require.NoError(t, err)

	// A long deadline: only the cancellation can end this call.
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	done := make(chan error, 1)
	go func() {
		_, err := Call[any](ctx, s, pid, silent{})
		done <- err
	}()
	cancel()
	select {
	case err := <-done:
		assert.ErrorIs(t, err, context.Canceled)
	case <-time.After(2 * time.Second):
		t.Fatal("Call did not return after its context was cancelled")
	}
}

func TestCallDeadTargetIsFast(t *testing.T) {
	s := newLocal(t)
	start := time.Now()
	_, err := Call[any](t.Context(), s, s.PIDOf("nobody", ""), wrapperspb.String("hi"))
	assert.ErrorIs(t, err, ErrNoProcess)
	assert.Less(t, time.Since(start), time.Second, "a dead target must not wait for the deadline")
}

// Many goroutines calling at once all get their own reply: protoactor's
// Future wakes only one waiter, a reply box belongs to one call.
func TestCallConcurrent(t *testing.T) {
	s := newLocal(t)
	pid, err := s.SpawnNamed(echoProps(), "echo")
	require.NoError(t, err)

	const n = 32
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			want := string(rune('a' + i%26))
			r, err := Call[*wrapperspb.StringValue](t.Context(), s, pid, wrapperspb.String(want))
			if err == nil && r.GetValue() != want {
				err = assert.AnError
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		assert.NoError(t, err)
	}
}

// A reply that arrives after the caller gave up must not race with
// anything: run with -race (protoactor issue #1145 is this race on Future).
func TestCallLateReply(t *testing.T) {
	s := newLocal(t)
	pid, err := s.SpawnNamed(echoProps(), "echo")
	require.NoError(t, err)
	for range 200 {
		ctx, cancel := context.WithTimeout(t.Context(), time.Microsecond)
		_, _ = Call[*wrapperspb.StringValue](ctx, s, pid, wrapperspb.String("late"))
		cancel()
	}
	r, err := Call[*wrapperspb.StringValue](t.Context(), s, pid, wrapperspb.String("x"))
	require.NoError(t, err)
	assert.Equal(t, "x", r.GetValue())
}

func TestCallWithoutDeadlineUsesDefault(t *testing.T) {
	s := newLocal(t)
	pid, err := s.SpawnNamed(echoProps(), "echo")
	require.NoError(t, err)
	// context.Background has no deadline; the reply still arrives.
	r, err := Call[*wrapperspb.StringValue](context.Background(), s, pid, wrapperspb.String("x"))
	require.NoError(t, err)
	assert.Equal(t, "x", r.GetValue())
}

func TestAfterShutdown(t *testing.T) {
	s := newLocal(t)
	pid, err := s.SpawnNamed(echoProps(), "echo")
	require.NoError(t, err)
	require.NoError(t, s.Shutdown())
	require.NoError(t, s.Shutdown(), "second Shutdown")

	_, err = s.Whereis("echo")
	assert.ErrorIs(t, err, ErrUnknownName, "Shutdown stops what SpawnNamed started")
	_, err = Call[any](t.Context(), s, pid, wrapperspb.String("x"))
	assert.ErrorIs(t, err, ErrStopped)
	_, err = s.SpawnNamed(echoProps(), "again")
	assert.ErrorIs(t, err, ErrStopped)
	s.Cast(pid, wrapperspb.String("dropped")) // must not panic
}
