package hoptrace

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// walk drives one write of entry index through every hop, as a 3-peer
// cluster would: leader L, followers F1 (acks first) and F2.
func walk(r *Recorder, index uint64) {
	called := r.Now()
	r.Begin("L", index, r.Now())
	r.Mark("L", ReadyOut, index, index)
	r.Mark("L", AppendSent, index, index)
	for _, f := range []string{"F2", "F1"} {
		r.Mark(f, Received, index-1, index+1)
	}
	r.Mark("L", LogReceived, index, index)
	r.Mark("L", Written, index, index)
	r.Upto("L", Synced, index)
	r.Upto("L", LogWritten, index)
	for _, f := range []string{"F1", "F2"} {
		r.Mark(f, LogReceived, index, index)
		r.Mark(f, Written, index, index)
		r.Upto(f, Synced, index+5)
		r.Upto(f, LogWritten, index+5)
		r.Ack("L", f, index)
	}
	r.Upto("L", Committed, index)
	r.Mark("L", Applied, index, index)
	r.Answer(index, called)
}

func TestRecorderTracesEveryHop(t *testing.T) {
	r, err := New(0.01)
	require.NoError(t, err)
	for i := uint64(10); i < 20; i++ {
		walk(r, i)
	}
	tb := r.Table()
	require.Equal(t, 10, tb.Traces)
	for _, row := range tb.Rows {
		assert.Equal(t, 10, row.N, row.Hop.String())
		assert.GreaterOrEqual(t, int64(row.P50), int64(0), row.Hop.String())
	}
	assert.Positive(t, tb.P50)
	r.mu.Lock()
	assert.Empty(t, r.open, "answered traces are closed")
	s := r.done[0]
	r.mu.Unlock()
	for h := Called; h < numHops; h++ {
		assert.NotZero(t, s[h], h.String())
	}
	assert.Less(t, s[FollowerReceived], s[FollowerLogReceived], "F1 received after F2, but F1 acked first: its hops are shown")
	assert.Less(t, s[FollowerLogReceived], s[Acked])
	var out bytes.Buffer
	require.NoError(t, r.WriteTable(&out))
	assert.Contains(t, out.String(), "follower fdatasync")
	assert.Contains(t, out.String(), "10 writes traced")
}

func TestRecorderStampsInPathOrderOnly(t *testing.T) {
	r, err := New(1)
	require.NoError(t, err)
	r.Begin("L", 5, r.Now())
	r.Upto("L", Synced, 5) // not written yet: a sync of earlier entries
	r.Mark("F1", Received, 5, 5)
	r.Mark("F1", LogReceived, 5, 5) // the follower never had it sent
	r.Mark("L", Written, 5, 5)      // skipped ReadyOut, LogReceived
	r.mu.Lock()
	tr := r.open[0]
	r.mu.Unlock()
	assert.Zero(t, tr.t[Synced])
	assert.Zero(t, tr.t[Written])
	assert.Zero(t, tr.nf, "no follower before the AppendEntries left")
	r.Answer(5, r.Now())
	assert.Zero(t, r.Table().Traces, "a write answered before it was applied is not this trace's")
}

func TestRecorderBounds(t *testing.T) {
	r, err := New(1)
	require.NoError(t, err)
	for i := range uint64(maxOpen + 10) {
		r.Begin("L", i+1, r.Now())
	}
	assert.Len(t, r.open, maxOpen)
	assert.Equal(t, 10, r.Table().Dropped)
	assert.Equal(t, uint64(11), r.open[0].index, "the oldest are dropped")
}

func TestNewRefusesBadRates(t *testing.T) {
	for _, rate := range []float64{0, -1, 1.5} {
		_, err := New(rate)
		assert.ErrorIs(t, err, ErrBadRate, "%v", rate)
	}
	r, err := New(0.25)
	require.NoError(t, err)
	n := 0
	for range 100 {
		if r.Sample() {
			n++
		}
	}
	assert.Equal(t, 25, n)
}

// hotPath is what the library does per write when a write is not sampled.
func hotPath(i uint64) {
	if r := Active(); r != nil {
		if !r.Sample() {
			r.Mark("L", ReadyOut, i, i)
			r.Upto("L", Synced, i)
			r.Ack("L", "F1", i)
		}
	}
}

func TestNotSampledPathAllocatesNothing(t *testing.T) {
	Install(nil)
	assert.Zero(t, testing.AllocsPerRun(1000, func() { hotPath(7) }))
	r, err := New(0.01)
	require.NoError(t, err)
	r.Begin("L", 1, r.Now())
	Install(r)
	defer Install(nil)
	assert.Zero(t, testing.AllocsPerRun(1000, func() { hotPath(7) }))
}

// BenchmarkOffPath is the cost of the hooks with tracing off.
func BenchmarkOffPath(b *testing.B) {
	Install(nil)
	b.ReportAllocs()
	for i := range b.N {
		hotPath(uint64(i))
	}
}

// BenchmarkOnNotSampled is the cost of the hooks for a write that is not
// sampled while a few traces are open.
func BenchmarkOnNotSampled(b *testing.B) {
	r, err := New(0.01)
	require.NoError(b, err)
	for i := range uint64(4) {
		r.Begin("L", 1<<40+i, r.Now())
	}
	Install(r)
	defer Install(nil)
	b.ReportAllocs()
	for i := range b.N {
		hotPath(uint64(i))
	}
}

// With its followers in other processes a trace has no follower hops: the
// table still has the leader's, and no share of commits waiting for them.
func TestRecorderWithoutFollowers(t *testing.T) {
	r, err := New(1)
	require.NoError(t, err)
	called := r.Now()
	r.Begin("L", 3, r.Now())
	for _, h := range []Hop{ReadyOut, LogReceived, Written, Synced, LogWritten, Committed, Applied} {
		r.Mark("L", h, 3, 3)
	}
	r.Answer(3, called)
	tb := r.Table()
	require.Equal(t, 1, tb.Traces)
	assert.Zero(t, tb.LeaderLast)
	for _, row := range tb.Rows {
		switch row.Hop {
		case Synced, Applied, Answered:
			assert.Equal(t, 1, row.N, row.Hop.String())
		case FollowerReceived, Acked, Committed:
			assert.Zero(t, row.N, row.Hop.String())
		}
	}
}
