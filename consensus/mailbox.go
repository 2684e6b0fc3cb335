package consensus

import (
	"sync/atomic"

	protoactor "github.com/asynkron/protoactor-go/actor"
	"google.golang.org/protobuf/proto"

	"github.com/rafter-go/rafter/actor"
	"github.com/rafter-go/rafter/rafterpb"
)

// A consensus actor that stops (a kill, a StopNode, or a panic after which
// the peer's supervisor stops and re-spawns the pair) answers the requests
// it holds (failPending), but protoactor silently drops the user messages
// still queued in its mailbox: a stopped actor's context ignores them, and
// after a panic the mailbox stays suspended for good. Their callers, who
// asked this peer and were never answered, waited for their whole deadline
// and then saw an unknown outcome (ErrTimeout) although nothing happened.
//
// answeringMailbox is protoactor's unbounded mailbox with the invoker
// wrapped: once the actor has processed Stop it resumes the mailbox, and
// every request still queued, or posted before the PID is unregistered, is
// answered at once with ERROR_CODE_STOPPED, a definite error: the core never
// saw it. Later messages go to protoactor's dead letters, which answer a
// request's sender too (actor.Call turns that into actor.ErrNoProcess).
type answeringMailbox struct {
	protoactor.Mailbox
	sys     *actor.System
	stopped atomic.Bool
}

// Mailbox returns the mailbox producer of a consensus actor of System sys:
// use it as the actor's supervisor.ChildSpec.Mailbox (the supervisor
// replaces any mailbox set in Props). With protoactor's default mailbox,
// requests queued at a stopping actor are never answered.
func Mailbox(sys *actor.System) protoactor.MailboxProducer {
	unbounded := protoactor.Unbounded()
	return func() protoactor.Mailbox {
		return &answeringMailbox{Mailbox: unbounded(), sys: sys}
	}
}

func (m *answeringMailbox) RegisterHandlers(inv protoactor.MessageInvoker, d protoactor.Dispatcher) {
	m.Mailbox.RegisterHandlers(&answeringInvoker{MessageInvoker: inv, m: m}, d)
}

type answeringInvoker struct {
	protoactor.MessageInvoker
	m *answeringMailbox
}

func (i *answeringInvoker) InvokeSystemMessage(msg any) {
	i.MessageInvoker.InvokeSystemMessage(msg)
	if _, ok := msg.(*protoactor.Stop); ok && !i.m.stopped.Swap(true) {
		// A failed actor's mailbox is suspended; resume it so the queue drains.
		i.m.Mailbox.PostSystemMessage(&protoactor.ResumeMailbox{})
	}
}

func (i *answeringInvoker) InvokeUserMessage(msg any) {
	if !i.m.stopped.Load() {
		i.MessageInvoker.InvokeUserMessage(msg)
		return
	}
	i.m.answerStopped(msg)
}

// answerStopped answers a client request that reached a stopped actor.
// Anything else (Raft messages, ticks, log replies) is dropped, as before.
func (m *answeringMailbox) answerStopped(msg any) {
	env, ok := msg.(*protoactor.MessageEnvelope)
	if !ok || env.Sender == nil || m.sys == nil {
		return
	}
	req, ok := env.Message.(proto.Message)
	if !ok || !isClientRequest(req) {
		return
	}
	m.sys.Root().Send(env.Sender, errorReply(req, &rafterpb.Error{
		Code:    rafterpb.ErrorCode_ERROR_CODE_STOPPED,
		Message: "consensus: peer stopped before it handled the request",
	}))
}

func isClientRequest(m proto.Message) bool {
	switch m.(type) {
	case *rafterpb.OpRequest, *rafterpb.ReadOpRequest, *rafterpb.SetConfigRequest, *rafterpb.TransferLeadershipRequest,
		*rafterpb.GetLeaderRequest, *rafterpb.GetEntryRequest, *rafterpb.StatusRequest, *rafterpb.SnapshotRequest,
		*rafterpb.BootstrapRequest:
		return true
	}
	return false
}
