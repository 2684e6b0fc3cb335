package actor

import (
	"testing"
	"time"
	"unsafe"

	protoactor "github.com/asynkron/protoactor-go/actor"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// BenchmarkCallParallel measures a local Call round trip to an echo actor
// from many goroutines at once (the shape of rafter's closed-loop clients).
func BenchmarkCallParallel(b *testing.B) {
	s := newLocal(b)
	pid, err := s.SpawnNamed(echoProps(), "echo")
	require.NoError(b, err)
	req := wrapperspb.String("x")
	b.ReportAllocs()
	b.SetParallelism(16)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := Call[*wrapperspb.StringValue](b.Context(), s, pid, req); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// A reply addressed to an earlier call of a pooled box (its RequestId) is
// dropped, also after the box was reused; the current call's reply is kept.
func TestReplyBoxDropsRepliesToEarlierCalls(t *testing.T) {
	s := newLocal(t)
	b1, old := s.takeReplyBox()
	s.putReplyBox(b1)
	s.actors.Root.Send(old, wrapperspb.String("late, box idle"))
	b2, cur := s.takeReplyBox()
	require.Same(t, b1, b2, "the idle box is reused")
	require.Equal(t, old.GetId(), cur.GetId())
	require.NotEqual(t, old.GetRequestId(), cur.GetRequestId())
	s.actors.Root.Send(old, wrapperspb.String("late, box reused"))
	s.actors.Root.Send(cur, wrapperspb.String("mine"))
	s.actors.Root.Send(cur, wrapperspb.String("second"))
	msg := <-b2.ch
	require.Equal(t, "mine", msg.(*wrapperspb.StringValue).GetValue())
	select {
	case m := <-b2.ch:
		t.Fatalf("a second message reached the box: %v", m)
	default:
	}
	s.putReplyBox(b2)
}

// BenchmarkReplySend is the answering side of a Call alone: one send to
// the caller's reply PID, as the consensus actor answers an Op. The PID
// was resolved by takeReplyBox, so the send finds its process cached.
func BenchmarkReplySend(b *testing.B) {
	s := newLocal(b)
	boxes := make([]*replyBox, b.N)
	pids := make([]*protoactor.PID, b.N)
	for i := range b.N {
		boxes[i], pids[i] = s.takeReplyBox()
	}
	msg := wrapperspb.String("x")
	b.ReportAllocs()
	b.ResetTimer()
	for _, pid := range pids {
		s.actors.Root.Send(pid, msg)
	}
	b.StopTimer()
	for _, box := range boxes {
		if got := <-box.ch; got != msg {
			b.Fatalf("box got %v", got)
		}
		s.putReplyBox(box)
	}
}

// TestReplyPIDPreset: presetProcess makes a PID reach its process without
// the process registry (a PID for an id nobody registered, whose send would
// otherwise be a dead letter), and every Call's reply PID comes preset with
// its box, so the answering actor's send neither looks it up nor
// allocates. Fails if protoactor's PID no longer caches its process in the
// field presetProcess fills.
func TestReplyPIDPreset(t *testing.T) {
	require.True(t, pidProcess.ok, "protoactor's PID has no process cache field p *Process")
	s := newLocal(t)
	box := &replyBox{ch: make(chan any, 1)}
	var proc protoactor.Process = box
	pid := &protoactor.PID{Address: s.actors.ProcessRegistry.Address, Id: "never-registered"}
	require.True(t, presetProcess(pid, &proc))
	s.actors.Root.Send(pid, wrapperspb.String("answer"))
	select {
	case msg := <-box.ch:
		require.Equal(t, "answer", msg.(*wrapperspb.StringValue).GetValue())
	case <-time.After(5 * time.Second):
		t.Fatal("the message did not reach the process preset in its PID")
	}

	pooled, callPID := s.takeReplyBox()
	defer s.putReplyBox(pooled)
	cached := *(**protoactor.Process)(unsafe.Add(unsafe.Pointer(callPID), pidProcess.off))
	require.Same(t, pooled.proc, cached, "a Call's reply PID is preset with its box")
}
