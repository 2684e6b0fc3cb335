package hoptrace

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// walkApart is walk with each peer in a process of its own: the leader's
// calls go to l, each follower's to its own recorder.
func walkApart(l *Recorder, fs map[string]*Recorder, index uint64) {
	called := l.Now()
	l.Begin("L", index, l.Now())
	l.Mark("L", ReadyOut, index, index)
	l.Mark("L", AppendSent, index, index)
	for _, f := range []string{"F2", "F1"} {
		fs[f].Mark(f, Received, index-1, index+1)
	}
	l.Mark("L", LogReceived, index, index)
	l.Mark("L", Written, index, index)
	l.Upto("L", Synced, index)
	l.Upto("L", LogWritten, index)
	for _, f := range []string{"F1", "F2"} {
		fs[f].Mark(f, LogReceived, index, index)
		fs[f].Mark(f, Written, index, index)
		fs[f].Upto(f, Synced, index+5)
		fs[f].Upto(f, LogWritten, index+5)
		time.Sleep(time.Microsecond) // wall clocks are coarser than monotonic ones on some systems
		l.Ack("L", f, index)
	}
	l.Upto("L", Committed, index)
	l.Mark("L", Applied, index, index)
	l.Answer(index, called)
}

func TestReplayJoinsProcesses(t *testing.T) {
	newLogging := func() *Recorder {
		r, err := New(0.5)
		require.NoError(t, err)
		r.LogEvents(1 << 16)
		return r
	}
	l := newLogging()
	fs := map[string]*Recorder{"F1": newLogging(), "F2": newLogging()}
	for i := uint64(10); i < 20; i++ {
		walkApart(l, fs, i)
	}
	// On its own the leader's process sees no follower hop.
	for _, row := range l.Table().Rows {
		if row.Hop >= FollowerReceived && row.Hop <= Acked {
			assert.Zero(t, row.N, row.Hop.String())
		}
	}
	var all []Event
	for _, r := range []*Recorder{fs["F2"], l, fs["F1"]} { // any order
		evs, dropped := r.Events()
		require.Zero(t, dropped)
		all = append(all, evs...)
	}
	tb := Replay(all).Table()
	require.Equal(t, 10, tb.Traces)
	for _, row := range tb.Rows {
		assert.Equal(t, 10, row.N, row.Hop.String())
	}
	assert.Positive(t, tb.P50)
	assert.Zero(t, tb.LeaderLast, "each ack came after the leader's LogWritten: commit waited for the followers")
}

func TestEventLogIsBounded(t *testing.T) {
	r, err := New(1)
	require.NoError(t, err)
	r.Mark("L", ReadyOut, 1, 1) // before LogEvents: not kept
	evs, dropped := r.Events()
	assert.Empty(t, evs)
	assert.Zero(t, dropped)
	r.LogEvents(2)
	before := time.Now().UnixNano()
	r.Begin("L", 1, r.Now())
	r.Ack("L", "F1", 1)
	r.Answer(1, r.Now())
	evs, dropped = r.Events()
	require.Len(t, evs, 2)
	assert.Equal(t, 1, dropped)
	assert.Equal(t, Event{Kind: KindBegin, Peer: "L", Lo: 1, Hi: 1, At: evs[0].At, Since: evs[0].Since}, evs[0])
	assert.Equal(t, Event{Kind: KindAck, Peer: "L", From: "F1", Hi: 1, At: evs[1].At}, evs[1])
	assert.GreaterOrEqual(t, evs[0].At, before, "wall clock")
	assert.LessOrEqual(t, evs[0].At, time.Now().UnixNano())
}
