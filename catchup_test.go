package rafter_test

import (
	"context"
	"crypto/sha256"
	"flag"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rafter-go/rafter"
	"github.com/rafter-go/rafter/internal/cluster"
	"github.com/rafter-go/rafter/kvsm"
)

// The catch-up tests run small in CI; the sizes are
// -rafter.catchup.writes=200000 and -rafter.catchup.statemb=100.
var (
	catchupWrites  = flag.Int("rafter.catchup.writes", 4000, "writes committed while a follower is down (TestCatchUpBySnapshotThenLog)")
	catchupStateMB = flag.Int("rafter.catchup.statemb", 2, "kvsm state in MiB a blank peer receives (TestBlankPeerReceivesLargeState)")
)

// machines remembers the latest kvsm.Machine of each peer, to compare
// states.
type machines struct {
	mu sync.Mutex
	m  map[string]*kvsm.Machine
}

func (ms *machines) factory(name string) func() rafter.StateMachine {
	return func() rafter.StateMachine {
		m := kvsm.New()
		ms.mu.Lock()
		ms.m[name] = m
		ms.mu.Unlock()
		return m
	}
}

// hash is a digest of p's state (kvsm writes the same state as the same
// bytes).
func (ms *machines) hash(t *testing.T, p rafter.Peer) [32]byte {
	ms.mu.Lock()
	m := ms.m[p.Name]
	ms.mu.Unlock()
	h := sha256.New()
	require.NoError(t, m.WriteSnapshot(h))
	return [32]byte(h.Sum(nil))
}

// writeLoad runs n writers putting values of size bytes under keys of a
// space of keys until ctx ends or total writes are done; it returns each
// acknowledged write's latency.
func writeLoad(ctx context.Context, c *cluster.Cluster, via rafter.Peer, n, total, keys, size int) []time.Duration {
	kv := kvsm.NewClient(c.Client(), via)
	var mu sync.Mutex
	var lat []time.Duration
	var wg sync.WaitGroup
	next := make(chan int)
	go func() {
		defer close(next)
		for i := 0; total <= 0 || i < total; i++ {
			select {
			case next <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	val := make([]byte, size)
	for w := range n {
		wg.Go(func() {
			for i := range next {
				start := time.Now()
				if kv.Put(ctx, "t", fmt.Sprint((i*7919+w)%keys), val) == nil {
					mu.Lock()
					lat = append(lat, time.Since(start))
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	return lat
}

func percentile(lat []time.Duration, p float64) time.Duration {
	if len(lat) == 0 {
		return 0
	}
	s := slices.Clone(lat)
	slices.Sort(s)
	return s[min(len(s)-1, int(float64(len(s))*p))]
}

// Issue 11: a follower stopped while the others commit many writes (and
// compact far past it) restarts, catches up by snapshot then log, and its
// state equals the leader's.
func TestCatchUpBySnapshotThenLog(t *testing.T) {
	n := *catchupWrites
	ms := &machines{m: map[string]*kvsm.Machine{}}
	c := cluster.Start(t, cluster.Config{N: 3, Remote: true, Options: func(i int, o *rafter.Options) {
		o.StateMachine = ms.factory(fmt.Sprintf("p%d", i+1))
		o.SnapshotEntries, o.TrailingEntries = uint64(max(n/20, 50)), uint64(max(n/40, 10))
		o.SnapshotMinInterval = 0
	}})
	c.Configure()
	leader := c.WaitLeader()
	follower := c.Peers[(c.Index(leader)+1)%3]
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	require.NoError(t, kvsm.NewClient(c.Client(), leader).NewTable(ctx, "t"))
	i := c.Index(follower)
	require.NoError(t, c.Systems[i].StopNode(follower))
	lat := writeLoad(ctx, c, leader, 16, n, 10000, 100)
	require.Len(t, lat, n, "every write acknowledged")
	st, err := c.Client().Status(ctx, leader)
	require.NoError(t, err)

	begin := time.Now()
	require.NoError(t, c.Systems[i].StartNode(follower, c.Opts[i]))
	c.WaitConverged()
	took := time.Since(begin)
	lst, err := c.Client().Status(ctx, leader)
	require.NoError(t, err)
	fst, err := c.Client().Status(ctx, follower)
	require.NoError(t, err)
	t.Logf("%d writes while down; leader snapshot %d, first index %d; follower caught up in %v (snapshot %d); snapshots sent %d",
		n, st.SnapshotIndex, st.FirstIndex, took.Round(time.Millisecond), fst.SnapshotIndex, lst.SnapshotsSent)
	assert.GreaterOrEqual(t, lst.SnapshotsSent, uint64(1), "it caught up by snapshot")
	assert.Equal(t, ms.hash(t, leader), ms.hash(t, follower), "the follower's state equals the leader's")
}

// Issue 11: a blank peer added to a cluster with a large kvsm state
// receives it by InstallSnapshot while 16 clients write; the leader's write
// latency during the transfer is logged.
func TestBlankPeerReceivesLargeState(t *testing.T) {
	keys := *catchupStateMB * 1024 // 1 KiB values
	ms := &machines{m: map[string]*kvsm.Machine{}}
	c := cluster.Start(t, cluster.Config{N: 4, Remote: true, Options: func(i int, o *rafter.Options) {
		o.StateMachine = ms.factory(fmt.Sprintf("p%d", i+1))
		o.SnapshotEntries, o.TrailingEntries = uint64(max(keys/4, 100)), uint64(max(keys/8, 20))
		o.SnapshotMinInterval = 0
	}})
	three, fourth := c.Peers[:3], c.Peers[3]
	c.SetConfig(three[0], three)
	leader := c.WaitLeader(three...)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	require.NoError(t, kvsm.NewClient(c.Client(), leader).NewTable(ctx, "t"))
	require.Len(t, writeLoad(ctx, c, leader, 16, keys, keys, 1024), keys)

	// 16 writers keep going while the blank fourth peer joins.
	lctx, stop := context.WithCancel(ctx)
	var lat []time.Duration
	done := make(chan struct{})
	go func() {
		defer close(done)
		lat = writeLoad(lctx, c, leader, 16, 0, keys, 1024)
	}()
	begin := time.Now()
	require.NoError(t, c.Client().SetConfig(ctx, leader, c.Peers))
	caughtUp := c.Poll(func(ctx context.Context) bool {
		st, err := c.Client().Status(ctx, fourth)
		return err == nil && st.SnapshotIndex > 0 && st.AppliedIndex > 0
	})
	took := time.Since(begin)
	stop()
	<-done
	require.True(t, caughtUp, "the fourth peer never installed a snapshot")
	c.WaitConverged()
	lst, err := c.Client().Status(ctx, leader)
	require.NoError(t, err)
	t.Logf("state %d MiB (%d keys of 1 KiB); the new peer installed a snapshot within %v; %d writes meanwhile: p50 %v, p99 %v, max %v; snapshots sent %d",
		*catchupStateMB, keys, took.Round(time.Millisecond), len(lat),
		percentile(lat, 0.5), percentile(lat, 0.99), percentile(lat, 1), lst.SnapshotsSent)
	assert.GreaterOrEqual(t, lst.SnapshotsSent, uint64(1))
	assert.Equal(t, ms.hash(t, leader), ms.hash(t, fourth), "the new peer's state equals the leader's")
}
