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
// delivers it, in order, once the handlers are registered.
func TestSafeMailboxHoldsPostsMadeBeforeRegisterHandlers(t *testing.T) {
	assert.Panics(t, func() { protoactor.Unbounded()().PostUserMessage("early") },
		"protoactor's own mailbox no longer panics before RegisterHandlers: SafeMailbox may be unnecessary")

	mb := SafeMailbox(nil)()
	mb.PostUserMessage("u1")
	mb.PostSystemMessage("s1")
	mb.PostUserMessage("u2")

	inv := &recordingInvoker{got: make(chan any, 8)}
	mb.RegisterHandlers(inv, protoactor.NewSynchronizedDispatcher(300))
	mb.Start()
	mb.PostUserMessage("u3")

	var got []any
	deadline := time.After(5 * time.Second)
	for len(got) < 4 {
		select {
		case m := <-inv.got:
			got = append(got, m)
		case <-deadline:
			t.Fatalf("messages not delivered; got %v", got)
		}
	}
	// System messages go ahead of user messages in protoactor's mailbox;
	// user messages keep their order.
	require.Equal(t, "s1", got[0])
	assert.Equal(t, []any{"u1", "u2", "u3"}, got[1:])
}
