package hoptrace

import (
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// ErrBadRate is New's error for a sampling rate outside (0, 1].
var ErrBadRate = errors.New("hoptrace: sampling rate must be in (0, 1]")

// Bounds: a trace whose write never completes (a leader change, a failed
// call) would otherwise stay open for ever, and a long run must not grow
// without limit.
const (
	maxOpen      = 1024
	maxDone      = 1 << 16
	maxFollowers = 4
)

var active atomic.Pointer[Recorder]

// Install makes r the process's recorder; nil turns tracing off.
func Install(r *Recorder) { active.Store(r) }

// Active returns the installed recorder, nil when tracing is off: the one
// atomic load the hot path pays then.
func Active() *Recorder { return active.Load() }

// stamps are one side's times, in nanoseconds since the recorder's base (0:
// not reached).
type stamps [numHops]int64

type follower struct {
	peer string
	t    stamps
}

// trace is one sampled write.
type trace struct {
	index     uint64
	leader    string
	t         stamps // the leader's and the client's hops
	followers [maxFollowers]follower
	nf        int
	acker     int // the follower whose ack arrived first, -1 before
}

// Recorder collects the traces of one cluster; its methods are safe for
// concurrent use.
type Recorder struct {
	every uint64 // sample one proposal in every
	n     atomic.Uint64
	base  time.Time

	mu      sync.Mutex
	open    []*trace
	done    []stamps
	dropped int // traces dropped: open bound exceeded, or done full
	events  *eventLog
}

// New returns a recorder that samples the given fraction of proposals
// (0.01: one in a hundred).
func New(rate float64) (*Recorder, error) {
	if !(rate > 0 && rate <= 1) {
		return nil, fmt.Errorf("%w: %v", ErrBadRate, rate)
	}
	return &Recorder{every: uint64(math.Round(1 / rate)), base: time.Now(), open: make([]*trace, 0, maxOpen)}, nil
}

// Now is the recorder's clock (monotonic nanoseconds since New).
func (r *Recorder) Now() int64 { return int64(time.Since(r.base)) + 1 }

// Sample reports whether the next proposal is traced.
func (r *Recorder) Sample() bool { return r.n.Add(1)%r.every == 0 }

// Begin opens the trace of entry index, proposed by leader's consensus
// actor, which received the request at received (Now) and has just
// appended it.
func (r *Recorder) Begin(leader string, index uint64, received int64) {
	r.begin(leader, index, received, r.Now())
}

func (r *Recorder) begin(leader string, index uint64, received, proposed int64) {
	tr := &trace{index: index, leader: leader, acker: -1}
	tr.t[Received], tr.t[Proposed] = received, proposed
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events.add(r, Event{Kind: KindBegin, Peer: leader, Lo: index, Hi: index, At: proposed, Since: received})
	if len(r.open) == maxOpen {
		copy(r.open, r.open[1:])
		r.open = r.open[:maxOpen-1]
		r.dropped++
	}
	r.open = append(r.open, tr)
}

// Mark stamps hop h, reached by peer, on the open traces of entries lo..hi.
// A hop that both sides reach is the leader's when peer leads the trace
// and the follower's otherwise.
func (r *Recorder) Mark(peer string, h Hop, lo, hi uint64) { r.mark(peer, h, lo, hi, r.Now()) }

func (r *Recorder) mark(peer string, h Hop, lo, hi uint64, now int64) {
	r.mu.Lock()
	r.events.add(r, Event{Kind: KindMark, Peer: peer, Hop: h, Lo: lo, Hi: hi, At: now})
	for _, tr := range r.open {
		if tr.index >= lo && tr.index <= hi {
			tr.stamp(peer, h, now)
		}
	}
	r.mu.Unlock()
}

// Upto stamps hop h, reached by peer, on the open traces of entries up to
// hi that have reached the hop before it: a durability or commit index
// covers every entry below it.
func (r *Recorder) Upto(peer string, h Hop, hi uint64) { r.Mark(peer, h, 0, hi) }

// Ack stamps the leader's receipt of from's success reply covering
// entries up to match; the first follower to ack an entry is the one whose
// hops the table shows.
func (r *Recorder) Ack(leader, from string, match uint64) { r.ack(leader, from, match, r.Now()) }

func (r *Recorder) ack(leader, from string, match uint64, now int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events.add(r, Event{Kind: KindAck, Peer: leader, From: from, Hi: match, At: now})
	for _, tr := range r.open {
		if tr.index > match || tr.leader != leader || tr.acker >= 0 {
			continue
		}
		if f := tr.follower(from, false); f >= 0 && tr.followers[f].t[FollowerLogWritten] != 0 {
			tr.followers[f].t[Acked] = now
			tr.acker = f
		}
	}
}

// Answer closes the trace of entry index, if it is open: the client that
// called at called (Now) has its answer.
func (r *Recorder) Answer(index uint64, called int64) { r.answer(index, called, r.Now()) }

func (r *Recorder) answer(index uint64, called, now int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, tr := range r.open {
		if tr.index != index {
			continue
		}
		// Only a sampled write's answer is logged: Replay has no trace
		// open for the others (and every write is answered).
		r.events.add(r, Event{Kind: KindAnswer, Lo: index, Hi: index, At: now, Since: called})
		r.open = append(r.open[:i], r.open[i+1:]...)
		if tr.t[Applied] == 0 || called == 0 {
			return // not this trace's client, or a stale one
		}
		tr.t[Called], tr.t[Answered] = called, now
		if len(r.done) == maxDone {
			r.dropped++
			return
		}
		r.done = append(r.done, tr.merged())
		return
	}
}

// stamp sets hop h of peer's side, once, if the hop before it is set.
func (tr *trace) stamp(peer string, h Hop, now int64) {
	if peer == tr.leader {
		if tr.t[h] == 0 && tr.t[prev(h)] != 0 {
			tr.t[h] = now
		}
		return
	}
	fh, ok := h.follower()
	if !ok {
		return
	}
	f := tr.follower(peer, fh == FollowerReceived && tr.t[AppendSent] != 0)
	if f < 0 {
		return
	}
	t := &tr.followers[f].t
	if t[fh] == 0 && (fh == FollowerReceived || t[prev(fh)] != 0) {
		t[fh] = now
	}
}

// follower returns the index of peer's follower stamps, adding them if
// add; -1 if there are none.
func (tr *trace) follower(peer string, add bool) int {
	for i := range tr.nf {
		if tr.followers[i].peer == peer {
			return i
		}
	}
	if !add || tr.nf == maxFollowers {
		return -1
	}
	tr.followers[tr.nf].peer = peer
	tr.nf++
	return tr.nf - 1
}

// merged is the trace as one row of stamps: the leader's, with the hops
// of the follower that acked first.
func (tr *trace) merged() stamps {
	s := tr.t
	if tr.acker >= 0 {
		f := tr.followers[tr.acker].t
		for h := FollowerReceived; h <= Acked; h++ {
			s[h] = f[h]
		}
	}
	return s
}

// prev is the hop that h follows on its own side (the first of its
// segment's predecessors).
func prev(h Hop) Hop { return prevHop[h] }

var prevHop = func() (p [numHops]Hop) {
	for _, s := range segments {
		p[s.hop] = s.after[0]
	}
	return p
}()
