package events

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Bounds of a subscription's channel.
const (
	// DefaultBuffer is the channel capacity of a Filter with Buffer 0.
	DefaultBuffer = 1024
	// MaxBuffer bounds Filter.Buffer: a subscriber cannot make the Bus
	// hold more than this many events for it.
	MaxBuffer = 1 << 16
)

// Filter selects the events a subscriber receives. Empty lists select
// everything.
type Filter struct {
	// Peers lists the peers (as rafter.Peer.String names them) whose
	// events are wanted.
	Peers []string
	// Kinds lists the kinds wanted.
	Kinds []Kind
	// Buffer is the channel's capacity: 0 means DefaultBuffer; more than
	// MaxBuffer is cut to MaxBuffer. Events that do not fit are dropped
	// and counted (Event.Dropped).
	Buffer int
}

// Bus fans events out to subscribers. The zero Bus is not usable: use
// NewBus. Its methods are safe for concurrent use.
type Bus struct {
	mu     sync.Mutex
	subs   atomic.Pointer[[]*sub] // copied on change, read without the lock
	closed bool
	seq    atomic.Uint64
}

// sub is one subscription. mu orders sends against the close of ch.
type sub struct {
	mu      sync.Mutex
	ch      chan Event
	done    chan struct{} // closed with ch: ends the goroutine watching ctx
	closed  bool
	kinds   uint32 // bit k set: Kind k wanted; 0: all
	peers   []string
	dropped uint64 // under mu
}

// NewBus returns a Bus with no subscriber.
func NewBus() *Bus { return &Bus{} }

// Subscribe returns a channel of the events f selects, from now on. The
// channel is closed when ctx ends or the Bus closes. It never blocks a
// publisher: events that do not fit are counted in the next one delivered.
func (b *Bus) Subscribe(ctx context.Context, f Filter) <-chan Event {
	n := f.Buffer
	switch {
	case n <= 0:
		n = DefaultBuffer
	case n > MaxBuffer:
		n = MaxBuffer
	}
	s := &sub{ch: make(chan Event, n), done: make(chan struct{}), peers: slices.Clone(f.Peers)}
	for _, k := range f.Kinds {
		if k > 0 && k < kindEnd {
			s.kinds |= 1 << k
		}
	}
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		s.close()
		return s.ch
	}
	b.setSubs(append(b.list(), s))
	b.mu.Unlock()
	go func() {
		select {
		case <-ctx.Done():
			b.remove(s)
		case <-s.done: // the Bus closed
		}
	}()
	return s.ch
}

// list returns the current subscriptions (do not modify).
func (b *Bus) list() []*sub {
	if p := b.subs.Load(); p != nil {
		return *p
	}
	return nil
}

// setSubs publishes a new list; b.mu is held.
func (b *Bus) setSubs(l []*sub) {
	if len(l) == 0 {
		b.subs.Store(nil)
		return
	}
	b.subs.Store(&l)
}

// remove ends s: it leaves the list and its channel closes.
func (b *Bus) remove(s *sub) {
	b.mu.Lock()
	l := slices.DeleteFunc(slices.Clone(b.list()), func(x *sub) bool { return x == s })
	b.setSubs(l)
	b.mu.Unlock()
	s.close()
}

// Close ends every subscription; later ones get a closed channel.
func (b *Bus) Close() {
	b.mu.Lock()
	l := b.list()
	b.closed = true
	b.setSubs(nil)
	b.mu.Unlock()
	for _, s := range l {
		s.close()
	}
}

func (s *sub) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		close(s.ch)
		close(s.done)
	}
}

// Active reports whether anyone subscribes: publishers check it before
// building an event.
func (b *Bus) Active() bool { return b != nil && b.subs.Load() != nil }

// Publish stamps e with the next sequence number (and the time, if unset)
// and offers it to every subscriber that wants it.
func (b *Bus) Publish(e Event) {
	l := b.list()
	if len(l) == 0 {
		return
	}
	e.Seq = b.seq.Add(1)
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	for _, s := range l {
		if s.wants(&e) {
			s.offer(e)
		}
	}
}

func (s *sub) wants(e *Event) bool {
	if s.kinds != 0 && s.kinds&(1<<e.Kind) == 0 {
		return false
	}
	return len(s.peers) == 0 || slices.Contains(s.peers, e.Peer)
}

// offer sends e without blocking; a full channel counts a drop.
func (s *sub) offer(e Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	e.Dropped = s.dropped
	select {
	case s.ch <- e:
		s.dropped = 0
	default:
		s.dropped++
	}
}
