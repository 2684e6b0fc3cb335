package actor

import (
	"reflect"
	"sync"
	"unsafe"

	protoactor "github.com/asynkron/protoactor-go/actor"
)

// replyBox is a process that receives the reply to a Call (or the
// Terminated of a stop) on a buffered channel.
//
// It replaces protoactor's Future, which has three traps for a caller that
// may give up early (docs/protoactor-traps.md §1): Result cannot be abandoned when a
// context is cancelled; only one waiter wakes; and futureProcess writes its
// result without the lock, so a reply that arrives after the timeout races
// with Result (issue #1145, reported by -race). Here the first message wins,
// later ones are dropped, and the channel is the only thing the waiter reads.
//
// Boxes used by Call are pooled: registering a fresh process per call (a
// ProcessRegistry insert and remove, a new id string) was a visible share
// of a client's CPU. A pooled box stays registered and serves one call at a
// time; each call hands out a PID carrying the box's id plus a fresh
// RequestId (gen), which protoactor keeps on the reply's target PID, locally
// and across nodes. A reply whose RequestId is not the current call's (a
// late reply to an earlier call, or one arriving while the box is idle) is
// dropped, so a reused box never hands a caller someone else's answer.
type replyBox struct {
	ch     chan any
	id     string
	pooled bool                // false: a one-shot box (StopAndWait), no generation check
	proc   *protoactor.Process // this box as a Process, for presetProcess

	mu  sync.Mutex // guards gen, seq, got and the send on ch
	gen uint32     // RequestId of the call using a pooled box; 0 while idle
	seq uint32     // last gen handed out
	got bool       // the current call has its message
}

var _ protoactor.Process = (*replyBox)(nil)

// replyPool holds idle Call boxes of one System.
type replyPool struct {
	mu   sync.Mutex
	free []*replyBox
}

// maxIdleReplyBoxes bounds the idle boxes kept registered; more concurrent
// calls than this create boxes that are unregistered after use.
const maxIdleReplyBoxes = 1024

// newReplyBox registers a one-shot replyBox under a fresh id ("call$N") and
// returns its PID, valid locally and, once the remote has started, across
// nodes. The caller must call release.
func (s *System) newReplyBox() (*replyBox, *protoactor.PID) {
	b := &replyBox{ch: make(chan any, 1)}
	reg := s.actors.ProcessRegistry
	b.id = "call" + reg.NextId()
	// NextId is unique within the registry, so Add cannot collide.
	pid, _ := reg.Add(b, b.id)
	return b, pid
}

// release unregisters a one-shot box; a reply arriving later goes to dead
// letters.
func (s *System) release(pid *protoactor.PID) {
	s.actors.ProcessRegistry.Remove(pid)
}

// takeReplyBox returns an idle pooled box (registering a new one if none is
// idle), armed for one call, and the PID that call must use as its sender.
// The caller must call putReplyBox.
func (s *System) takeReplyBox() (*replyBox, *protoactor.PID) {
	p := &s.calls
	var b *replyBox
	p.mu.Lock()
	if n := len(p.free); n > 0 {
		b = p.free[n-1]
		p.free[n-1] = nil
		p.free = p.free[:n-1]
	}
	p.mu.Unlock()
	reg := s.actors.ProcessRegistry
	if b == nil {
		b = &replyBox{ch: make(chan any, 1), pooled: true}
		b.id = "call" + reg.NextId()
		reg.Add(b, b.id)
		b.proc = new(protoactor.Process)
		*b.proc = b
	}
	b.mu.Lock()
	b.seq++
	if b.seq == 0 { // wrapped: 0 means idle
		b.seq++
	}
	gen := b.seq
	b.mu.Unlock()
	// Address is read at each call: it changes from "nonhost" when the
	// remote starts.
	pid := &protoactor.PID{Address: reg.Address, Id: b.id, RequestId: gen}
	// Resolve the PID here, on the caller's goroutine: protoactor caches
	// the process in the PID at its first send, a registry lookup (two
	// string hashes and a lock) and an allocation. Otherwise the actor
	// that answers pays them, and the leader's consensus actor, which
	// answers every Op in turn, spent 7 % of a loaded 128-client run's
	// CPU on them (examples/bench/README.md, "Latency budget"). Setting
	// the cache directly skips even that lookup; where it cannot be set, a
	// message to the still idle box (which drops it) resolves the PID.
	if !presetProcess(pid, b.proc) {
		s.actors.Root.Send(pid, warmUp{})
	}
	b.mu.Lock()
	b.gen, b.got = gen, false
	b.mu.Unlock()
	return b, pid
}

// warmUp is the message takeReplyBox sends to resolve a reply PID.
type warmUp struct{}

// pidProcess locates protoactor's cache of a PID's process: the unexported
// field p *Process of PID (actor/pid.go), which its first send fills from
// the process registry and later sends read. ok is false if this
// protoactor has no such field; TestReplyPIDPreset then fails.
var pidProcess = func() (f struct {
	off uintptr
	ok  bool
}) {
	sf, ok := reflect.TypeFor[protoactor.PID]().FieldByName("p")
	if ok && sf.Type == reflect.TypeFor[*protoactor.Process]() {
		f.off, f.ok = sf.Offset, true
	}
	return f
}()

// presetProcess fills pid's process cache with proc, as its first send
// would after a registry lookup, and reports whether it could. pid must
// not be shared yet: the cache is written without synchronization, and
// handing pid to another goroutine (a message send) publishes it.
func presetProcess(pid *protoactor.PID, proc *protoactor.Process) bool {
	if !pidProcess.ok || proc == nil {
		return false
	}
	*(**protoactor.Process)(unsafe.Add(unsafe.Pointer(pid), pidProcess.off)) = proc
	return true
}

// putReplyBox disarms b (later replies are dropped), empties it and makes
// it idle, or unregisters it when enough boxes are idle already.
func (s *System) putReplyBox(b *replyBox) {
	b.mu.Lock()
	b.gen = 0
	select {
	case <-b.ch:
	default:
	}
	b.mu.Unlock()
	p := &s.calls
	p.mu.Lock()
	if len(p.free) < maxIdleReplyBoxes {
		p.free = append(p.free, b)
		p.mu.Unlock()
		return
	}
	p.mu.Unlock()
	s.actors.ProcessRegistry.Remove(&protoactor.PID{Id: b.id})
}

// SendUserMessage keeps the first reply, unwrapped from its envelope.
func (b *replyBox) SendUserMessage(pid *protoactor.PID, message any) {
	_, msg, _ := protoactor.UnwrapEnvelope(message)
	b.offer(pid, msg)
}

// SendSystemMessage keeps the first system message (Terminated for a watch).
func (b *replyBox) SendSystemMessage(pid *protoactor.PID, message any) {
	b.offer(pid, message)
}

// Stop is a no-op: the box lives as long as the waiting call (one-shot) or
// the System (pooled).
func (b *replyBox) Stop(*protoactor.PID) {}

// offer keeps msg if it is the first for the current call. Check and send
// happen under mu, so putReplyBox cannot empty the channel between them and
// leave a stale reply for the next call.
func (b *replyBox) offer(to *protoactor.PID, msg any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.got || (b.pooled && (b.gen == 0 || to.GetRequestId() != b.gen)) {
		return // a later message, or one for another call of a pooled box
	}
	b.got = true
	b.ch <- msg // cannot block: one message per arming, and ch holds one
}
