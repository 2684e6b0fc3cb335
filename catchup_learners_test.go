package rafter_test

import (
	"context"
	"flag"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rafter-go/rafter"
	"github.com/rafter-go/rafter/events"
	"github.com/rafter-go/rafter/internal/cluster"
	"github.com/rafter-go/rafter/kvsm"
)

var catchupElection = flag.Duration("rafter.catchup.election", time.Second,
	"ElectionTimeoutMin of TestLearnersJoinWithoutStallingWrites, the bound of its write stalls")

// Issue 13 acceptance (learners): two blank peers are added with SetConfig
// to a 3-peer cluster holding -rafter.catchup.statemb MiB of kvsm state
// while 16 clients write. They join as learners (staging), catch up by
// snapshot then log, and are promoted to voters (the joint configuration)
// only once each is within CatchUpEntries of the leader's last index.
// Checked: writes never stall (no gap between successful writes, across
// all clients) for an election timeout or more; the new peers neither vote
// nor campaign before the joint configuration; when the leader appended
// it, each new peer had reported a match within CatchUpEntries; both end
// with the leader's state.
//
// The election timeout is 1 s by default, for a loaded CI machine under
// -race; the measurement uses the default Options' 500 ms:
//
//	go test -run TestLearnersJoinWithoutStallingWrites -rafter.catchup.statemb=100 \
//	    -rafter.catchup.election=500ms -timeout 30m -v
func TestLearnersJoinWithoutStallingWrites(t *testing.T) {
	election := *catchupElection
	keys := *catchupStateMB * 1024 // 1 KiB values
	ms := &machines{m: map[string]*kvsm.Machine{}}
	var catchUp uint64
	c := cluster.Start(t, cluster.Config{N: 5, Remote: true, Options: func(i int, o *rafter.Options) {
		o.StateMachine = ms.factory(fmt.Sprintf("p%d", i+1))
		o.SnapshotEntries, o.TrailingEntries = uint64(max(keys/4, 100)), uint64(max(keys/8, 20))
		o.SnapshotMinInterval = 0
		o.HeartbeatInterval, o.ElectionTimeoutMin, o.ElectionTimeoutMax = election/10, election, 2*election
		catchUp = o.CatchUpEntries
	}})
	three, added := c.Peers[:3], c.Peers[3:]
	c.SetConfig(three[0], three)
	leader := c.WaitLeader(three...)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	require.NoError(t, kvsm.NewClient(c.Client(), leader).NewTable(ctx, "t"))
	require.Len(t, writeLoad(ctx, c, leader, 16, keys, keys, 1024), keys)

	// Watch the leader's appends and configurations, and what the new
	// peers send (their match reports), their votes and roles.
	wctx, unwatch := context.WithCancel(ctx)
	var lw, nw watch
	lw.collect(c.SystemOf(leader).Subscribe(wctx, rafter.EventFilter{Peers: []string{leader.String()},
		Kinds: []events.Kind{events.KindAppend, events.KindConfig, events.KindRole}, Buffer: events.MaxBuffer}))
	for _, p := range added {
		nw.collect(c.SystemOf(p).Subscribe(wctx, rafter.EventFilter{Peers: []string{p.String()},
			Kinds: []events.Kind{events.KindSend, events.KindVote, events.KindRole}, Buffer: events.MaxBuffer}))
	}

	// 16 writers keep going while the two blank peers join.
	lctx, stop := context.WithCancel(ctx)
	var writes []stampedWrite
	done := make(chan struct{})
	go func() {
		defer close(done)
		writes = stampedLoad(lctx, c, leader, 16, keys, 1024)
	}()
	begin := time.Now()
	require.NoError(t, c.Client().SetConfig(ctx, leader, c.Peers))
	took := time.Since(begin)
	end := time.Now()
	stop()
	<-done
	unwatch()
	lw.wait()
	nw.wait()

	stall, worst := maxStall(writes, begin, end)
	t.Logf("state %d MiB (%d keys of 1 KiB); 2 blank peers joined as learners and were promoted within %v; "+
		"%d writes meanwhile: p50 %v, p99 %v, max latency %v; max stall (longest gap between successful writes) %v",
		*catchupStateMB, keys, took.Round(time.Millisecond), len(writes), percentile(latencies(writes), 0.5),
		percentile(latencies(writes), 0.99), worst, stall)
	assert.Less(t, stall, election, "writes stalled for an election timeout or more")

	// The leader went staging -> transitional -> stable, in one term.
	joint, jointIdx := lw.jointAppended(t)
	for _, p := range added {
		assert.Zero(t, nw.votesBefore(p, joint), "%s voted before it was promoted", p)
		assert.Zero(t, nw.campaignsBefore(p, joint), "%s campaigned before it was promoted", p)
		got := nw.matchReportedBefore(p, joint)
		assert.GreaterOrEqual(t, got+catchUp+1, jointIdx,
			"%s had reported match %d when the joint configuration (at or below %d) was appended", p, got, jointIdx)
		t.Logf("%s: match %d reported before the joint configuration at or below index %d (window %d)", p, got, jointIdx, catchUp)
	}
	assert.Zero(t, lw.dropped+nw.dropped, "events were lost: the checks above are incomplete")

	c.WaitConverged()
	for _, p := range added {
		assert.Equal(t, ms.hash(t, leader), ms.hash(t, p), "%s's state equals the leader's", p)
	}
}

type stampedWrite struct{ start, end time.Time }

func latencies(ws []stampedWrite) []time.Duration {
	out := make([]time.Duration, len(ws))
	for i, w := range ws {
		out[i] = w.end.Sub(w.start)
	}
	return out
}

// stampedLoad runs n writers putting values of size bytes under keys of a
// space of keys until ctx ends; it returns each acknowledged write's start
// and end.
func stampedLoad(ctx context.Context, c *cluster.Cluster, via rafter.Peer, n, keys, size int) []stampedWrite {
	kv := kvsm.NewClient(c.Client(), via)
	var mu sync.Mutex
	var out []stampedWrite
	var wg sync.WaitGroup
	val := make([]byte, size)
	for w := range n {
		wg.Go(func() {
			for i := 0; ctx.Err() == nil; i++ {
				start := time.Now()
				if kv.Put(ctx, "t", fmt.Sprint((i*16+w)*7919%keys), val) == nil {
					mu.Lock()
					out = append(out, stampedWrite{start, time.Now()})
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	return out
}

// maxStall is the longest time within [from, to] without a successful
// write ending (the gaps between consecutive ends, and the edges), and
// the largest latency of a write that ended in it.
func maxStall(ws []stampedWrite, from, to time.Time) (stall, worst time.Duration) {
	ends := []time.Time{from}
	for _, w := range ws {
		if w.end.After(from) && w.end.Before(to) {
			ends = append(ends, w.end)
			worst = max(worst, w.end.Sub(w.start))
		}
	}
	ends = append(ends, to)
	slices.SortFunc(ends, func(a, b time.Time) int { return a.Compare(b) })
	for i := 1; i < len(ends); i++ {
		stall = max(stall, ends[i].Sub(ends[i-1]))
	}
	return stall, worst
}

// watch collects events from subscriptions until they close.
type watch struct {
	mu      sync.Mutex
	evs     []rafter.Event
	dropped uint64
	wg      sync.WaitGroup
}

func (w *watch) collect(ch <-chan rafter.Event) {
	w.wg.Go(func() {
		for e := range ch {
			w.mu.Lock()
			w.evs = append(w.evs, e)
			w.dropped += e.Dropped
			w.mu.Unlock()
		}
	})
}

func (w *watch) wait() { w.wg.Wait() }

// jointAppended finds, in the leader's events, the time of its first
// transitional configuration and an upper bound of that entry's index: the
// last index of the leader's appends published before it (the entry is in
// one of them). It requires staging before it, and one leader throughout.
func (w *watch) jointAppended(t *testing.T) (time.Time, uint64) {
	var last uint64
	staging := false
	for _, e := range w.evs {
		switch e.Kind {
		case events.KindRole:
			require.Equal(t, "leader", e.Role, "the leader changed during the test: %+v", e)
		case events.KindAppend:
			last = max(last, e.Last)
		case events.KindConfig:
			staging = staging || e.State == "staging"
			if e.State == "transitional" {
				require.True(t, staging, "the joint configuration came without staging")
				return e.Time, last
			}
		}
	}
	require.Fail(t, "the leader never appended the joint configuration")
	return time.Time{}, 0
}

func (w *watch) matching(p rafter.Peer, before time.Time, f func(rafter.Event) bool) []rafter.Event {
	var out []rafter.Event
	for _, e := range w.evs {
		if e.Peer == p.String() && e.Time.Before(before) && f(e) {
			out = append(out, e)
		}
	}
	return out
}

func (w *watch) votesBefore(p rafter.Peer, t time.Time) int {
	return len(w.matching(p, t, func(e rafter.Event) bool { return e.Kind == events.KindVote }))
}

func (w *watch) campaignsBefore(p rafter.Peer, t time.Time) int {
	return len(w.matching(p, t, func(e rafter.Event) bool {
		return e.Kind == events.KindRole && e.Role != "follower"
	}))
}

// matchReportedBefore is the highest index p reported holding (successful
// AppendEntries replies, and the answer that reports a snapshot installed)
// before t: the leader cannot have known more.
func (w *watch) matchReportedBefore(p rafter.Peer, t time.Time) uint64 {
	var m uint64
	for _, e := range w.matching(p, t, func(e rafter.Event) bool {
		return e.Kind == events.KindSend && e.Success &&
			(e.Msg == "append_entries_reply" || e.Msg == "install_snapshot_reply")
	}) {
		m = max(m, e.Last)
	}
	return m
}
