package events_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/rafter-go/rafter/events"
)

// recv reads one event or fails after a generous deadline.
func recv(t *testing.T, ch <-chan events.Event) events.Event {
	t.Helper()
	select {
	case e, ok := <-ch:
		require.True(t, ok, "channel closed")
		return e
	case <-time.After(10 * time.Second):
		t.Fatal("no event")
	}
	return events.Event{}
}

func TestFilterSelectsPeersAndKinds(t *testing.T) {
	b := events.NewBus()
	ctx := t.Context()
	all := b.Subscribe(ctx, events.Filter{})
	some := b.Subscribe(ctx, events.Filter{Peers: []string{"a"}, Kinds: []events.Kind{events.KindRole}})
	a, c := b.Peer("a"), b.Peer("c")
	a.Publish(events.Event{Kind: events.KindSend})
	c.Publish(events.Event{Kind: events.KindRole})
	a.Publish(events.Event{Kind: events.KindRole, Term: 7})

	for _, want := range []struct {
		peer string
		kind events.Kind
	}{{"a", events.KindSend}, {"c", events.KindRole}, {"a", events.KindRole}} {
		e := recv(t, all)
		assert.Equal(t, want.peer, e.Peer)
		assert.Equal(t, want.kind, e.Kind)
		assert.False(t, e.Time.IsZero())
	}
	e := recv(t, some)
	assert.Equal(t, "a", e.Peer)
	assert.Equal(t, uint64(7), e.Term)
	assert.Equal(t, uint64(3), e.Seq, "Seq orders every event of the Bus")
	assert.Empty(t, some, "the filter let an unwanted event through")
}

func TestSlowSubscriberLosesCountedEventsAndNeverBlocks(t *testing.T) {
	b := events.NewBus()
	ch := b.Subscribe(t.Context(), events.Filter{Buffer: 2})
	p := b.Peer("a")
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 10 {
			p.Publish(events.Event{Kind: events.KindCommit, Last: uint64(i + 1)})
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Publish blocked on a full subscriber")
	}
	assert.Equal(t, uint64(1), recv(t, ch).Last)
	assert.Equal(t, uint64(2), recv(t, ch).Last)
	p.Publish(events.Event{Kind: events.KindCommit, Last: 11})
	e := recv(t, ch)
	assert.Equal(t, uint64(11), e.Last)
	assert.Equal(t, uint64(8), e.Dropped, "events 3..10 were lost")
	p.Publish(events.Event{Kind: events.KindCommit, Last: 12})
	assert.Zero(t, recv(t, ch).Dropped, "the count restarts after it was reported")
}

func TestSubscriptionEndsWithContextAndBus(t *testing.T) {
	b := events.NewBus()
	p := b.Peer("a")
	assert.False(t, p.On())
	ctx, cancel := context.WithCancel(t.Context())
	ch := b.Subscribe(ctx, events.Filter{})
	assert.True(t, p.On())
	cancel()
	for range ch { // must close
	}
	require.Eventually(t, func() bool { return !p.On() }, 10*time.Second, time.Millisecond,
		"an ended subscription still counts as a listener")

	ch2 := b.Subscribe(t.Context(), events.Filter{})
	b.Close()
	for range ch2 {
	}
	_, ok := <-b.Subscribe(t.Context(), events.Filter{})
	assert.False(t, ok, "a subscription after Close must be closed")
	p.Publish(events.Event{Kind: events.KindRole}) // no panic on a closed bus
}

func TestNilPeerIsOff(t *testing.T) {
	var b *events.Bus
	p := b.Peer("a")
	assert.Nil(t, p)
	assert.False(t, p.On())
	p.Publish(events.Event{Kind: events.KindRole})
	assert.Empty(t, p.Name())
}

func TestKindNames(t *testing.T) {
	for k := events.KindRole; k <= events.KindStop; k++ {
		got, err := events.ParseKind(k.String())
		require.NoError(t, err)
		assert.Equal(t, k, got)
	}
	_, err := events.ParseKind("nope")
	assert.ErrorIs(t, err, events.ErrUnknownKind)
	assert.Equal(t, "kind(200)", events.Kind(200).String())
}

// BenchmarkHook is the cost of one event hook: with no subscriber (what a
// peer pays when no one listens: Peer.On), and publishing to one
// subscriber that keeps up.
func BenchmarkHook(b *testing.B) {
	b.Run("no-subscriber", func(b *testing.B) {
		p := events.NewBus().Peer("a")
		n := 0
		for b.Loop() {
			if p.On() {
				n++
			}
		}
		if n != 0 {
			b.Fatal("On without a subscriber")
		}
	})
	b.Run("one-subscriber", func(b *testing.B) {
		bus := events.NewBus()
		ch := bus.Subscribe(b.Context(), events.Filter{Buffer: events.MaxBuffer})
		go func() {
			for range ch {
			}
		}()
		p := bus.Peer("a")
		for b.Loop() {
			if p.On() {
				p.Publish(events.Event{Kind: events.KindSend, From: "a", To: "b", Msg: "append_entries", Term: 1})
			}
		}
	})
}

// Close ends the goroutine that watches a subscription's context, even a
// context that never ends.
func TestCloseLeavesNoGoroutine(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	b := events.NewBus()
	for range 3 {
		b.Subscribe(context.Background(), events.Filter{})
	}
	b.Close()
}
