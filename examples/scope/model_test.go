package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/rafter-go/rafter/events"
)

// The log strip follows appends, a follower's overwritten suffix, a restart
// that recovered fewer entries, and stays bounded.
func TestModelLogStrip(t *testing.T) {
	m := newModel()
	ev := func(e events.Event) {
		e.Peer = "p1"
		e.Time = time.Now()
		m.apply(e)
	}
	strip := func() (uint64, []uint64) {
		s := m.snapshot([]string{"p1"}, time.Now())
		return s.Peers[0].Base, s.Peers[0].Terms
	}
	ev(events.Event{Kind: events.KindAppend, First: 1, Last: 3, EntryTerm: 1})
	ev(events.Event{Kind: events.KindAppend, First: 4, Last: 4, EntryTerm: 2})
	base, terms := strip()
	assert.Equal(t, uint64(0), base)
	assert.Equal(t, []uint64{1, 1, 1, 2}, terms)

	// A new leader overwrites entries 3.. with its own.
	ev(events.Event{Kind: events.KindAppend, First: 3, Last: 5, EntryTerm: 3})
	_, terms = strip()
	assert.Equal(t, []uint64{1, 1, 3, 3, 3}, terms)

	// A restart recovered 4 entries: the fifth is gone.
	ev(events.Event{Kind: events.KindStart, Last: 4, Term: 3})
	_, terms = strip()
	assert.Equal(t, []uint64{1, 1, 3, 3}, terms)

	// Bounded: only the newest maxStrip terms are kept.
	ev(events.Event{Kind: events.KindAppend, First: 5, Last: 5 + 2*maxStrip, EntryTerm: 4})
	base, terms = strip()
	assert.Len(t, terms, maxStrip)
	assert.Equal(t, uint64(5+2*maxStrip), base+uint64(len(terms)))

	// Entries appended while no one watched leave a gap: the strip starts
	// again at the new entries.
	ev(events.Event{Kind: events.KindAppend, First: 10_000, Last: 10_001, EntryTerm: 5})
	base, terms = strip()
	assert.Equal(t, uint64(9_999), base)
	assert.Equal(t, []uint64{5, 5}, terms)
}

// The timer countdown runs down from the last timer event, and leaders and
// stopped peers show none.
func TestModelTimer(t *testing.T) {
	m := newModel()
	t0 := time.Now()
	m.apply(events.Event{Peer: "p1", Kind: events.KindRole, Role: "follower", Term: 1, Time: t0})
	m.apply(events.Event{Peer: "p1", Kind: events.KindTimer, Remaining: time.Second, Timeout: 2 * time.Second, Time: t0})
	p := m.snapshot([]string{"p1"}, t0.Add(300*time.Millisecond)).Peers[0]
	assert.Equal(t, int64(700), p.TimerLeftMS)
	assert.Equal(t, int64(2000), p.TimerTotalMS)
	assert.Zero(t, m.snapshot([]string{"p1"}, t0.Add(5*time.Second)).Peers[0].TimerLeftMS, "an expired timer shows 0")

	m.apply(events.Event{Peer: "p1", Kind: events.KindRole, Role: "leader", Term: 2, Time: t0})
	assert.Zero(t, m.snapshot([]string{"p1"}, t0).Peers[0].TimerLeftMS, "a leader has no election timer")
	m.apply(events.Event{Peer: "p1", Kind: events.KindRole, Role: "follower", Term: 3, Time: t0})
	m.apply(events.Event{Peer: "p1", Kind: events.KindTimer, Remaining: time.Second, Timeout: time.Second, Time: t0})
	m.apply(events.Event{Peer: "p1", Kind: events.KindStop, Time: t0})
	p = m.snapshot([]string{"p1"}, t0).Peers[0]
	assert.Zero(t, p.TimerLeftMS, "a stopped peer has no election timer")
	assert.Equal(t, "stopped", p.Role)
}
