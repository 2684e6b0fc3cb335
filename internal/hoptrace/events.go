package hoptrace

import (
	"cmp"
	"math"
	"slices"
	"time"
)

// With its peers in separate processes, each process sees only its own
// hops. LogEvents makes a recorder keep every call it gets, stamped with
// the wall clock, which all processes on one machine share; Replay feeds
// the events of all of them, in time order, to a fresh recorder, which then
// traces the writes its leader sampled across processes as one recorder
// does within one.

// EventKind is the recorder method an Event stands for.
type EventKind uint8

// The kinds of Event.
const (
	KindBegin  EventKind = iota + 1 // Begin(Peer, Lo, Since)
	KindMark                        // Mark(Peer, Hop, Lo, Hi)
	KindAck                         // Ack(Peer, From, Hi)
	KindAnswer                      // Answer(Lo, Since)
)

// Event is one call of a recorder, as LogEvents keeps it. At is when it
// happened and Since the time the call carried (Begin's received, Answer's
// called), both in Unix nanoseconds.
type Event struct {
	Kind  EventKind `json:"k"`
	Peer  string    `json:"p,omitempty"`
	From  string    `json:"f,omitempty"`
	Hop   Hop       `json:"h,omitempty"`
	Lo    uint64    `json:"lo,omitempty"`
	Hi    uint64    `json:"hi,omitempty"`
	At    int64     `json:"t"`
	Since int64     `json:"s,omitempty"`
}

// eventLog is a recorder's bounded event log; nil: not logging.
type eventLog struct {
	max     int
	events  []Event
	dropped int
}

// add logs e, its times in r's clock, converted to the wall clock. The
// caller holds r.mu.
func (l *eventLog) add(r *Recorder, e Event) {
	if l == nil {
		return
	}
	if len(l.events) == l.max {
		l.dropped++
		return
	}
	base := r.base.UnixNano()
	e.At += base
	if e.Since != 0 {
		e.Since += base
	}
	l.events = append(l.events, e)
}

// LogEvents makes r keep its next max calls (their time included) for
// Events; later calls are counted, not kept.
func (r *Recorder) LogEvents(max int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = &eventLog{max: max}
}

// Events returns the calls kept since LogEvents, and how many more were
// not kept.
func (r *Recorder) Events() ([]Event, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.events == nil {
		return nil, 0
	}
	return slices.Clone(r.events.events), r.events.dropped
}

// Replay returns a recorder that has had events (of any number of
// processes) in time order: its Table is that of the writes sampled by
// the leader among them, with the hops other processes stamped.
func Replay(events []Event) *Recorder {
	evs := slices.Clone(events)
	slices.SortStableFunc(evs, func(a, b Event) int { return cmp.Compare(a.At, b.At) })
	// The stamps are the events' Unix times: only differences are read.
	r := &Recorder{every: math.MaxUint64, base: time.Unix(0, 0), open: make([]*trace, 0, maxOpen)}
	for _, e := range evs {
		switch e.Kind {
		case KindBegin:
			r.begin(e.Peer, e.Lo, e.Since, e.At)
		case KindMark:
			r.mark(e.Peer, e.Hop, e.Lo, e.Hi, e.At)
		case KindAck:
			r.ack(e.Peer, e.From, e.Hi, e.At)
		case KindAnswer:
			r.answer(e.Lo, e.Since, e.At)
		}
	}
	return r
}
