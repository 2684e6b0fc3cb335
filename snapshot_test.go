package rafter_test

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rafter-go/rafter"
	"github.com/rafter-go/rafter/internal/cluster"
	"github.com/rafter-go/rafter/kvsm"
)

// snapshotCluster starts three remote peers with the given state machine
// and snapshot options (small segments, so compaction deletes files),
// configures them, and creates kvsm table "t". It returns the cluster, its
// leader, a follower and a kvsm client of the leader.
func snapshotCluster(t *testing.T, sm func() rafter.StateMachine, every, trailing, chunk uint64, opts ...func(*rafter.Options)) (*cluster.Cluster, rafter.Peer, rafter.Peer, *kvsm.Client) {
	t.Helper()
	c := cluster.Start(t, cluster.Config{N: 3, Remote: true, Options: func(_ int, o *rafter.Options) {
		o.StateMachine = sm
		o.SnapshotEntries, o.TrailingEntries, o.SnapshotChunkBytes = every, trailing, chunk
		o.SnapshotMinInterval = 0
		o.SegmentBytes = 4 << 10
		for _, f := range opts {
			f(o)
		}
	}})
	c.Configure()
	leader := c.WaitLeader()
	follower := c.Peers[(c.Index(leader)+1)%3]
	kv := kvsm.NewClient(c.Client(), leader)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	require.NoError(t, kv.NewTable(ctx, "t"))
	return c, leader, follower, kv
}

// Issue 11: with small snapshot thresholds, a follower stopped while the
// others commit hundreds of writes (and compact their logs past what it
// holds) restarts, receives the leader's snapshot over the network in many
// chunks, restores it, catches up by entries, and holds every key; the
// compacted entries answer GetEntry with ErrCompacted; a restart from the
// peer's own snapshot keeps everything.
func TestSnapshotCatchUpAndRestart(t *testing.T) {
	c, leader, follower, kv := snapshotCluster(t, kvsm.Factory(), 40, 10, 512)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	i := c.Index(follower)
	require.NoError(t, c.Systems[i].StopNode(follower))

	const keys = 300
	value := func(k int) []byte { return []byte(fmt.Sprintf("%04d-%s", k, strings.Repeat("v", 100))) }
	for k := range keys {
		require.NoError(t, kv.Put(ctx, "t", fmt.Sprint(k), value(k)), "put %d", k)
	}
	st, err := c.Client().Status(ctx, leader)
	require.NoError(t, err)
	require.Greater(t, st.SnapshotIndex, uint64(200), "the leader snapshotted")
	require.Greater(t, st.FirstIndex, uint64(100), "and compacted its memory")
	_, err = c.Client().GetEntry(ctx, leader, 2)
	require.ErrorIs(t, err, rafter.ErrCompacted)
	assert.True(t, rafter.Definite(err))

	require.NoError(t, c.Systems[i].StartNode(follower, c.Opts[i]))
	c.WaitConverged()
	fst, err := c.Client().Status(ctx, follower)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, fst.SnapshotIndex, st.SnapshotIndex, "the follower installed the leader's snapshot")
	assert.Greater(t, fst.SnapshotBytes, uint64(0), "Status reports the installed snapshot file's bytes at once")
	// The installed snapshot may cover the whole log; the next write puts
	// records in the follower's segments, and Status reports their bytes.
	require.NoError(t, kv.Put(ctx, "t", "after-install", []byte("x")))
	require.Eventually(t, func() bool {
		st, err := c.Client().Status(ctx, follower)
		return err == nil && st.LogBytes > 0 && st.SnapshotBytes > 0
	}, cluster.Patience, 10*time.Millisecond, "Status reports the log's and the snapshot file's bytes")
	lst, err := c.Client().Status(ctx, leader)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, lst.SnapshotsSent, uint64(1))
	assert.Zero(t, lst.RepeatedSnapshots)
	checkKeys := func(p rafter.Peer) {
		t.Helper()
		fkv := kvsm.NewClient(c.Client(), p)
		for k := range keys {
			v, found, err := fkv.StaleGet(ctx, "t", fmt.Sprint(k))
			require.NoError(t, err)
			require.True(t, found, "%s lost key %d", p, k)
			require.Equal(t, value(k), v)
		}
	}
	checkKeys(follower)

	// An operator's snapshot before maintenance covers everything applied.
	fst, err = c.Client().Status(ctx, follower)
	require.NoError(t, err)
	idx, err := c.Client().Snapshot(ctx, follower)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, idx, fst.AppliedIndex)

	// A restart restores the peer's own snapshot and replays only the rest.
	c.Restart(follower)
	c.WaitConverged()
	checkKeys(follower)
	c.Restart(leader)
	c.WaitLeader()
	c.WaitConverged()
	checkKeys(leader)
}

// slowRestore is kvsm with a Restore that takes delay: a state machine
// whose snapshot takes long to load.
type slowRestore struct {
	*kvsm.Machine
	delay time.Duration
}

func (s slowRestore) Restore(r io.Reader) error {
	time.Sleep(s.delay) // the slowness under test, not synchronisation
	return s.Machine.Restore(r)
}

// Issue 11, no install livelock (hashicorp/raft's consul#6186): a follower
// whose Restore takes far longer than the leader needs to write
// TrailingEntries new entries, while clients keep writing, still converges
// after one snapshot; Status says no follower needed a second in a row.
func TestSnapshotSlowRestoreConverges(t *testing.T) {
	slow := func() rafter.StateMachine { return slowRestore{kvsm.New(), time.Second} }
	// One chunk, and a patient leader (a transfer counts as stalled after
	// an election timeout): the test is about the restore, not about
	// chunks lost to a machine slowed by -race.
	c, leader, follower, kv := snapshotCluster(t, slow, 1000, 5, 1<<20, func(o *rafter.Options) {
		o.HeartbeatInterval, o.ElectionTimeoutMin, o.ElectionTimeoutMax = 50*time.Millisecond, time.Second, 2*time.Second
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	i := c.Index(follower)
	require.NoError(t, c.Systems[i].StopNode(follower))
	for k := range 1200 {
		require.NoError(t, kv.Put(ctx, "t", fmt.Sprint(k), []byte("x")))
	}

	// Writers keep the log growing during the follower's 1 s restore.
	wctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var writes atomic.Int64
	for w := range 4 {
		wg.Go(func() {
			for n := 0; wctx.Err() == nil; n++ {
				if kv.Put(wctx, "w", fmt.Sprintf("%d-%d", w, n), []byte("y")) == nil {
					writes.Add(1)
				}
			}
		})
	}
	require.NoError(t, kv.NewTable(ctx, "w"))
	require.NoError(t, c.Systems[i].StartNode(follower, c.Opts[i]))
	caughtUp := c.Poll(func(ctx context.Context) bool {
		l, err1 := c.Client().Status(ctx, leader)
		f, err2 := c.Client().Status(ctx, follower)
		return err1 == nil && err2 == nil && f.SnapshotIndex > 0 && f.AppliedIndex+50 >= l.CommitIndex
	})
	before := writes.Load()
	stop()
	wg.Wait()
	require.True(t, caughtUp, "the follower never caught up")
	c.WaitConverged()
	st, err := c.Client().Status(ctx, leader)
	require.NoError(t, err)
	t.Logf("writes during catch-up: %d; leader: snapshot %d, sent %d, repeated %d",
		before, st.SnapshotIndex, st.SnapshotsSent, st.RepeatedSnapshots)
	assert.Greater(t, before, int64(10*5), "the log grew well past TrailingEntries during the restore")
	assert.Equal(t, uint64(1), st.SnapshotsSent)
	assert.Zero(t, st.RepeatedSnapshots)
}
