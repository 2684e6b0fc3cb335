package rafter_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rafter-go/rafter"
	"github.com/rafter-go/rafter/internal/cluster"
	"github.com/rafter-go/rafter/kvsm"
)

// Issue 11: with small snapshot thresholds, a follower stopped while the
// others commit hundreds of writes (and compact their logs past what it
// holds) restarts, receives the leader's snapshot over the network in many
// chunks, restores it, catches up by entries, and holds every key; the
// compacted entries answer GetEntry with ErrCompacted; a restart from the
// peer's own snapshot keeps everything.
func TestSnapshotCatchUpAndRestart(t *testing.T) {
	c := cluster.Start(t, cluster.Config{N: 3, Remote: true, Options: func(_ int, o *rafter.Options) {
		o.StateMachine = kvsm.Factory()
		o.SnapshotEntries, o.TrailingEntries, o.SnapshotChunkBytes = 40, 10, 512
		o.SegmentBytes = 4 << 10 // small segments, so compaction deletes files
	}})
	c.Configure()
	leader := c.WaitLeader()
	var follower rafter.Peer
	for _, p := range c.Peers {
		if p != leader {
			follower = p
			break
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	kv := kvsm.NewClient(c.Client(), leader)
	require.NoError(t, kv.NewTable(ctx, "t"))
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
