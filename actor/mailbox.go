package actor

import (
	"sync"
	"sync/atomic"

	protoactor "github.com/asynkron/protoactor-go/actor"
)

// SafeMailbox wraps a protoactor mailbox producer so that messages posted to
// a freshly spawned actor before its mailbox is wired up are held, not lost
// and not fatal.
//
// Why: protoactor's spawner registers the new process under its name before
// it gives the mailbox its dispatcher (actor/props.go: ProcessRegistry.Add,
// then RegisterHandlers). A message sent to that name in the window between
// the two calls makes the sender panic on a nil dispatcher and leaves the
// mailbox marked "running" for ever, so the new actor never starts. Names
// that are re-spawned while others keep sending to them (a supervisor
// restarting "<peer>/consensus" while clients and other peers send to it)
// hit that window. The wrapper queues posts until RegisterHandlers has run,
// then hands them over (system messages first, each kind in order); after that it is a plain pass-through with
// one atomic load per message.
func SafeMailbox(inner protoactor.MailboxProducer) protoactor.MailboxProducer {
	if inner == nil {
		inner = protoactor.Unbounded()
	}
	return func() protoactor.Mailbox { return &safeMailbox{inner: inner()} }
}

type safeMailbox struct {
	inner protoactor.Mailbox
	ready atomic.Bool

	mu      sync.Mutex
	pending []posted // posts made before RegisterHandlers, in order
}

type posted struct {
	system bool
	msg    any
}

func (m *safeMailbox) PostUserMessage(msg any)   { m.post(posted{msg: msg}) }
func (m *safeMailbox) PostSystemMessage(msg any) { m.post(posted{system: true, msg: msg}) }

func (m *safeMailbox) post(p posted) {
	if !m.ready.Load() {
		m.mu.Lock()
		if !m.ready.Load() {
			m.pending = append(m.pending, p)
			m.mu.Unlock()
			return
		}
		m.mu.Unlock()
	}
	m.deliver(p)
}

func (m *safeMailbox) deliver(p posted) {
	if p.system {
		m.inner.PostSystemMessage(p.msg)
	} else {
		m.inner.PostUserMessage(p.msg)
	}
}

// RegisterHandlers wires the inner mailbox, then flushes what was held. The
// flush happens under the lock and before ready is set, so a post racing
// with it waits and lands after the held messages: order is kept.
func (m *safeMailbox) RegisterHandlers(invoker protoactor.MessageInvoker, dispatcher protoactor.Dispatcher) {
	m.inner.RegisterHandlers(invoker, dispatcher)
	m.mu.Lock()
	// System messages first, as protoactor's mailbox would process them.
	for _, p := range m.pending {
		if p.system {
			m.deliver(p)
		}
	}
	for _, p := range m.pending {
		if !p.system {
			m.deliver(p)
		}
	}
	m.pending = nil
	m.ready.Store(true)
	m.mu.Unlock()
}

func (m *safeMailbox) Start() { m.inner.Start() }

func (m *safeMailbox) UserMessageCount() int { return m.inner.UserMessageCount() }
