package rafter_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rafter-go/rafter"
	"github.com/rafter-go/rafter/events"
	"github.com/rafter-go/rafter/internal/cluster"
)

// waitEvent reads ch until an event satisfies ok, within a generous bound.
func waitEvent(t *testing.T, ch <-chan rafter.Event, what string, ok func(rafter.Event) bool) rafter.Event {
	t.Helper()
	deadline := time.After(cluster.Patience)
	for {
		select {
		case e, open := <-ch:
			require.True(t, open, "subscription closed while waiting for %s", what)
			if ok(e) {
				return e
			}
		case <-deadline:
			t.Fatalf("no event: %s", what)
		}
	}
}

// TestEventsTellAnElectionAWriteAndARestart follows a 3-peer cluster
// through its events: a leader is elected (role, votes, request_vote and
// vote messages), a write is appended, committed and applied on every
// peer, and a killed consensus actor is restarted by the supervisor.
func TestEventsTellAnElectionAWriteAndARestart(t *testing.T) {
	c := cluster.Start(t, cluster.Config{N: 3})
	sys := c.Client()
	ch := sys.Subscribe(t.Context(), rafter.EventFilter{Buffer: events.MaxBuffer})
	c.Configure()
	leader := c.WaitLeader()

	waitEvent(t, ch, "the leader's role event", func(e rafter.Event) bool {
		return e.Kind == events.KindRole && e.Role == "leader" && e.Peer == leader.String()
	})
	ctx, cancel := context.WithTimeout(t.Context(), cluster.Patience)
	defer cancel()
	_, err := sys.Op(ctx, leader, []byte("x"))
	require.NoError(t, err)
	st, err := sys.Status(ctx, leader)
	require.NoError(t, err)
	idx := st.CommitIndex

	applied := map[string]bool{}
	waitEvent(t, ch, "the write applied on every peer", func(e rafter.Event) bool {
		if e.Kind == events.KindApply && e.First <= idx && idx <= e.Last {
			applied[e.Peer] = true
		}
		return len(applied) == 3
	})

	// A kill restarts the pair (one_for_all): the log server stops too, and
	// a write still in its mailbox is dropped, so the restarted peer recovers
	// what its log had made durable. The write may be committed by the two
	// followers before the leader's own fdatasync (one CI run under load:
	// recovered up to 1, the write at 2). Wait until the leader's log has
	// synced it: on a fresh log the count of synced entries is its durable
	// last index.
	require.Eventually(t, func() bool {
		ls, err := sys.LogStats(ctx, leader)
		return err == nil && ls.GetEntries() >= idx
	}, cluster.Patience, 5*time.Millisecond, "the leader's log syncs the write")
	require.NoError(t, sys.Kill(leader, rafter.ActorConsensus))
	waitEvent(t, ch, "the kill", func(e rafter.Event) bool {
		return e.Kind == events.KindKill && e.Peer == leader.String() && e.Actor == "consensus"
	})
	waitEvent(t, ch, "the supervisor's restart", func(e rafter.Event) bool {
		return e.Kind == events.KindRestart && e.Peer == leader.String() && e.Actor == "consensus"
	})
	e := waitEvent(t, ch, "the restarted actor's start", func(e rafter.Event) bool {
		return e.Kind == events.KindStart && e.Peer == leader.String()
	})
	assert.GreaterOrEqual(t, e.Last, idx, "the restarted peer recovered its log")
}

// TestEventsOfMessagesAndLog checks the fields of message, append, commit,
// timer and config events against the cluster they describe.
func TestEventsOfMessagesAndLog(t *testing.T) {
	c := cluster.Start(t, cluster.Config{N: 3})
	sys := c.Client()
	ch := sys.Subscribe(t.Context(), rafter.EventFilter{Buffer: events.MaxBuffer})
	c.Configure()
	leader := c.WaitLeader()
	ctx, cancel := context.WithTimeout(t.Context(), cluster.Patience)
	defer cancel()
	_, err := sys.Op(ctx, leader, []byte("y"))
	require.NoError(t, err)
	st, err := sys.Status(ctx, leader)
	require.NoError(t, err)

	seen := map[string]bool{}
	need := []string{"send append_entries", "receive append_entries", "send append_entries_reply",
		"append", "commit", "timer", "config", "vote", "send vote"}
	waitEvent(t, ch, "each kind of event", func(e rafter.Event) bool {
		switch e.Kind {
		case events.KindSend, events.KindReceive:
			if e.Msg == "append_entries" && e.Last >= e.First && e.Last == st.LastIndex {
				assert.NotEqual(t, e.From, e.To)
				assert.Equal(t, st.Term, e.Term)
				seen[e.Kind.String()+" "+e.Msg] = true
			}
			if e.Msg != "append_entries" {
				seen[e.Kind.String()+" "+e.Msg] = true
			}
		case events.KindAppend:
			if e.Last == st.LastIndex {
				assert.Equal(t, st.Term, e.EntryTerm)
				seen["append"] = true
			}
		case events.KindCommit:
			if e.Last >= st.LastIndex {
				seen["commit"] = true
			}
		case events.KindTimer:
			assert.Positive(t, e.Timeout)
			assert.LessOrEqual(t, e.Remaining, e.Timeout)
			seen["timer"] = true
		case events.KindConfig:
			if e.State == "stable" {
				assert.Len(t, e.Old, 3)
				seen["config"] = true
			}
		case events.KindVote:
			seen["vote"] = true
		}
		for _, n := range need {
			if !seen[n] {
				return false
			}
		}
		return true
	})
}

// TestEventsEndWithShutdown: a System's Shutdown closes its subscriptions.
func TestEventsEndWithShutdown(t *testing.T) {
	sys, err := rafter.NewSystem(rafter.SystemOptions{})
	require.NoError(t, err)
	ch := sys.Subscribe(t.Context(), rafter.EventFilter{})
	require.NoError(t, sys.Shutdown())
	select {
	case _, ok := <-ch:
		assert.False(t, ok)
	case <-time.After(cluster.Patience):
		t.Fatal("Shutdown did not close the subscription")
	}
}

// A subscriber that never reads does not slow the peers: writes go on,
// and the events it missed are counted in the next one it takes.
func TestEventsSlowSubscriberNeverBlocksAPeer(t *testing.T) {
	c := cluster.Start(t, cluster.Config{N: 3})
	sys := c.Client()
	stuck := sys.Subscribe(t.Context(), rafter.EventFilter{Buffer: 1})
	c.Configure()
	leader := c.WaitLeader()
	ctx, cancel := context.WithTimeout(t.Context(), cluster.Patience)
	defer cancel()
	for i := range 50 {
		_, err := sys.Op(ctx, leader, []byte{byte(i)})
		require.NoError(t, err, "write %d", i)
	}
	<-stuck // the one event that fitted
	var e rafter.Event
	require.Eventually(t, func() bool {
		select {
		case e = <-stuck:
			return true
		default:
			return false
		}
	}, cluster.Patience, time.Millisecond, "no event after the stuck one")
	assert.Positive(t, e.Dropped, "the lost events were not counted")
}

// StopNode ends with a stop event; a filter on one peer and one kind
// lets only those through.
func TestEventsOfStopAndFilter(t *testing.T) {
	c := cluster.Start(t, cluster.Config{N: 3})
	sys := c.Client()
	p3 := c.Peers[2]
	ch := sys.Subscribe(t.Context(), rafter.EventFilter{Peers: []string{p3.String()},
		Kinds: []events.Kind{events.KindStop, events.KindDown}})
	c.Configure()
	c.WaitLeader()
	require.NoError(t, sys.StopNode(p3))
	down := waitEvent(t, ch, "p3 going down", func(rafter.Event) bool { return true })
	assert.Equal(t, events.KindDown, down.Kind)
	stop := waitEvent(t, ch, "p3's stop", func(rafter.Event) bool { return true })
	assert.Equal(t, events.KindStop, stop.Kind)
	assert.Equal(t, p3.String(), stop.Peer)
	assert.Empty(t, stop.Reason, "StopNode is an ordinary stop")
}
