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
// then RegisterHandlers, then the Started message, then Start). A message
// sent to that name in the window between the first two calls makes the
// sender panic on a nil dispatcher and leaves the mailbox marked "running"
// for ever, so the new actor never starts. Names that are re-spawned while
// others keep sending to them (a supervisor restarting "<peer>/consensus"
// while clients and other peers send to it) hit that window. The wrapper
// holds posts until the spawner posts Started, lets Started go first (as it
// would have without the race: a Stop sent in the window must not overtake
// it), then hands over the held system messages and then the held user
// messages, each kind in order; after that it is a plain pass-through with
// one atomic load per message.
func SafeMailbox(inner protoactor.MailboxProducer) protoactor.MailboxProducer {
	if inner == nil {
		inner = protoactor.Unbounded()
	}
	return func() protoactor.Mailbox { return &safeMailbox{inner: inner()} }
}

type safeMailbox struct {
	inner protoactor.Mailbox
	ready atomic.Bool // posts go straight to inner

	mu      sync.Mutex
	wired   bool     // RegisterHandlers has run
	pending []posted // posts made before ready, in order
}

type posted struct {
	system bool
	msg    any
}

func (m *safeMailbox) PostUserMessage(msg any)   { m.post(posted{msg: msg}) }
func (m *safeMailbox) PostSystemMessage(msg any) { m.post(posted{system: true, msg: msg}) }

func (m *safeMailbox) post(p posted) {
	if m.ready.Load() {
		m.deliver(p)
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case m.ready.Load():
		m.deliver(p)
	case m.wired && isStarted(p.msg):
		m.deliver(p)
		m.release()
	default:
		m.pending = append(m.pending, p)
	}
}

func isStarted(msg any) bool {
	_, ok := msg.(*protoactor.Started)
	return ok
}

func (m *safeMailbox) deliver(p posted) {
	if p.system {
		m.inner.PostSystemMessage(p.msg)
	} else {
		m.inner.PostUserMessage(p.msg)
	}
}

// release hands the held posts over, system messages first as protoactor's
// mailbox would process them, and opens the pass-through. It runs under mu
// and before ready is set, so a post racing with it waits and lands after
// the held messages: order is kept.
func (m *safeMailbox) release() {
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
}

func (m *safeMailbox) RegisterHandlers(invoker protoactor.MessageInvoker, dispatcher protoactor.Dispatcher) {
	m.inner.RegisterHandlers(invoker, dispatcher)
	m.mu.Lock()
	m.wired = true
	m.mu.Unlock()
}

// Start starts the inner mailbox and, if no Started was posted (a spawner
// other than protoactor's default), releases the held posts now.
func (m *safeMailbox) Start() {
	m.inner.Start()
	m.mu.Lock()
	if !m.ready.Load() {
		m.release()
	}
	m.mu.Unlock()
}

func (m *safeMailbox) UserMessageCount() int { return m.inner.UserMessageCount() }
