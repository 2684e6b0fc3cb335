package actor

import (
	"testing"
	"time"

	protoactor "github.com/asynkron/protoactor-go/actor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type recordingInvoker struct{ got chan any }

func (r *recordingInvoker) InvokeSystemMessage(msg any)       { r.got <- msg }
func (r *recordingInvoker) InvokeUserMessage(msg any)         { r.got <- msg }
func (r *recordingInvoker) EscalateFailure(reason any, _ any) { panic(reason) }

// The window protoactor's spawner leaves open: the process is registered
// (so others can post to it) before RegisterHandlers runs. A bare unbounded
// mailbox panics on a post in that window; the safe one holds the post and
// delivers it once the spawner has posted Started: Started first (a Stop
// sent in the window must not overtake it), then the held system messages,
// then the held user messages in order.
func TestSafeMailboxHoldsPostsMadeBeforeRegisterHandlers(t *testing.T) {
	assert.Panics(t, func() { protoactor.Unbounded()().PostUserMessage("early") },
		"protoactor's own mailbox no longer panics before RegisterHandlers: SafeMailbox may be unnecessary")

	started := &protoactor.Started{}
	mb := SafeMailbox(nil)()
	mb.PostUserMessage("u1")
	mb.PostSystemMessage("s1")
	mb.PostUserMessage("u2")

	inv := &recordingInvoker{got: make(chan any, 8)}
	mb.RegisterHandlers(inv, protoactor.NewSynchronizedDispatcher(300))
	mb.PostUserMessage("u3") // wired but Started not posted yet: still held
	mb.PostSystemMessage(started)
	mb.Start()
	mb.PostUserMessage("u4")

	var got []any
	deadline := time.After(5 * time.Second)
	for len(got) < 6 {
		select {
		case m := <-inv.got:
			got = append(got, m)
		case <-deadline:
			t.Fatalf("messages not delivered; got %v", got)
		}
	}
	require.Same(t, started, got[0])
	assert.Equal(t, []any{"s1", "u1", "u2", "u3", "u4"}, got[1:])
}

// Without a Started (another spawner), Start releases what was held.
func TestSafeMailboxReleasesOnStart(t *testing.T) {
	mb := SafeMailbox(nil)()
	mb.PostUserMessage("u1")
	inv := &recordingInvoker{got: make(chan any, 2)}
	mb.RegisterHandlers(inv, protoactor.NewSynchronizedDispatcher(300))
	mb.Start()
	select {
	case m := <-inv.got:
		assert.Equal(t, "u1", m)
	case <-time.After(5 * time.Second):
		t.Fatal("held message not released by Start")
	}
}
