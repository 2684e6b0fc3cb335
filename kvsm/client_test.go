package kvsm_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rafter-go/rafter"
	"github.com/rafter-go/rafter/internal/cluster"
	"github.com/rafter-go/rafter/kvsm"
)

func startKV(t *testing.T) *cluster.Cluster {
	t.Helper()
	c := cluster.Start(t, cluster.Config{N: 3, Options: func(_ int, o *rafter.Options) {
		o.StateMachine = kvsm.Factory()
	}})
	c.Configure()
	c.WaitLeader()
	return c
}

// follower returns a peer that is not the current leader, so the calls
// exercise forwarding.
func follower(t *testing.T, c *cluster.Cluster) rafter.Peer {
	leader := c.WaitLeader()
	for _, p := range c.Peers {
		if p != leader {
			return p
		}
	}
	t.Fatal("no follower")
	return rafter.Peer{}
}

func TestClientAgainstCluster(t *testing.T) {
	c := startKV(t)
	kv := kvsm.NewClient(c.Client(), follower(t, c))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	require.NoError(t, kv.NewTable(ctx, "users"))
	require.NoError(t, kv.NewTable(ctx, "audit"))
	err := kv.NewTable(ctx, "users")
	require.ErrorIs(t, err, kvsm.ErrTableExists)
	var ae *rafter.ApplyError
	assert.ErrorAs(t, err, &ae, "the kvsm error rides on rafter's ApplyError")
	assert.False(t, rafter.Definite(err), "a committed command's result is not a definite failure")

	tables, err := kv.ListTables(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"audit", "users"}, tables)

	require.NoError(t, kv.Put(ctx, "users", "bob", []byte("1")))
	require.NoError(t, kv.Put(ctx, "users", "alice", []byte("2")))
	v, found, err := kv.Get(ctx, "users", "bob")
	require.NoError(t, err)
	assert.True(t, found)
	assert.Equal(t, "1", string(v))
	_, found, err = kv.Get(ctx, "users", "carol")
	require.NoError(t, err)
	assert.False(t, found)

	keys, err := kv.ListKeys(ctx, "users")
	require.NoError(t, err)
	assert.Equal(t, []string{"alice", "bob"}, keys)

	swapped, cur, err := kv.CAS(ctx, "users", "bob", []byte("0"), []byte("9"))
	require.NoError(t, err)
	assert.False(t, swapped)
	assert.Equal(t, "1", string(cur))
	swapped, cur, err = kv.CAS(ctx, "users", "bob", []byte("1"), []byte("9"))
	require.NoError(t, err)
	assert.True(t, swapped)
	assert.Equal(t, "9", string(cur))
	swapped, cur, err = kv.CAS(ctx, "users", "carol", nil, []byte("3"))
	require.NoError(t, err)
	assert.True(t, swapped, "nil expected: the key must be absent")
	assert.Equal(t, "3", string(cur))
	swapped, cur, err = kv.CAS(ctx, "users", "dave", []byte{}, []byte("3"))
	require.NoError(t, err)
	assert.False(t, swapped, "an empty expected value does not match an absent key")
	assert.Nil(t, cur)

	nv, err := kv.Append(ctx, "audit", "log", []byte("a"))
	require.NoError(t, err)
	assert.Equal(t, "a", string(nv))
	nv, err = kv.Append(ctx, "audit", "log", []byte("b"))
	require.NoError(t, err)
	assert.Equal(t, "ab", string(nv))

	existed, err := kv.Delete(ctx, "users", "alice")
	require.NoError(t, err)
	assert.True(t, existed)
	existed, err = kv.Delete(ctx, "users", "alice")
	require.NoError(t, err)
	assert.False(t, existed)

	require.NoError(t, kv.DeleteTable(ctx, "audit"))
	require.ErrorIs(t, kv.DeleteTable(ctx, "audit"), kvsm.ErrNoSuchTable)
	require.ErrorIs(t, kv.Put(ctx, "audit", "k", nil), kvsm.ErrNoSuchTable)
	_, err = kv.Append(ctx, "audit", "k", nil)
	require.ErrorIs(t, err, kvsm.ErrNoSuchTable)
	_, _, err = kv.CAS(ctx, "audit", "k", nil, nil)
	require.ErrorIs(t, err, kvsm.ErrNoSuchTable)
	_, err = kv.Delete(ctx, "audit", "k")
	require.ErrorIs(t, err, kvsm.ErrNoSuchTable)
	_, _, err = kv.Get(ctx, "audit", "k")
	require.ErrorIs(t, err, kvsm.ErrNoSuchTable)
	var re *rafter.ReadError
	assert.ErrorAs(t, err, &re, "a read's kvsm error rides on rafter's ReadError")
	_, err = kv.ListKeys(ctx, "audit")
	require.ErrorIs(t, err, kvsm.ErrNoSuchTable)
	require.ErrorIs(t, kv.NewTable(ctx, ""), kvsm.ErrMalformed)
	require.ErrorIs(t, kv.Put(ctx, "users", "\xff", nil), kvsm.ErrMalformed, "a key must be UTF-8 (proto3 string)")

	// Every replica applied the same commands: after a restart each peer
	// rebuilds the same state from its log, and reads through it agree.
	c.WaitConverged()
	for _, p := range c.Peers {
		c.Restart(p)
	}
	c.WaitLeader()
	for _, p := range c.Peers {
		kp := kvsm.NewClient(c.Client(), p)
		var keys []string
		ok := c.Poll(func(ctx context.Context) bool {
			keys, err = kp.ListKeys(ctx, "users")
			return err == nil
		})
		require.True(t, ok, "list keys via %s: %v", p, err)
		assert.Equal(t, []string{"bob", "carol"}, keys, "via %s", p)
	}
}

// rafter's errors pass through the client wrapped, with their kind.
func TestClientPassesRafterErrors(t *testing.T) {
	c := startKV(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	nobody := kvsm.NewClient(c.Client(), rafter.Peer{Name: "nobody"})
	err := nobody.Put(ctx, "t", "k", nil)
	require.ErrorIs(t, err, rafter.ErrStopped)
	assert.True(t, rafter.Definite(err))
	_, _, err = nobody.Get(ctx, "t", "k")
	require.ErrorIs(t, err, rafter.ErrStopped)

	kv := kvsm.NewClient(c.Client(), c.Peers[0])
	expired, cancel2 := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel2()
	err = kv.NewTable(expired, "t")
	require.Error(t, err)
	assert.ErrorIs(t, err, rafter.ErrNotSent, "a context past its deadline before the call sends nothing")
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.True(t, rafter.Definite(err), "%v", err)
}

// Incr through a session and without one: both count; the session's
// client registers its session on the first command.
func TestClientIncr(t *testing.T) {
	c := startKV(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	kv := kvsm.NewClient(c.Client(), follower(t, c))
	plain := kvsm.NewClient(c.Client(), c.Peers[0], kvsm.WithoutSession())
	require.NoError(t, kv.NewTable(ctx, "n"))
	v, err := kv.Incr(ctx, "n", "x", 5)
	require.NoError(t, err)
	assert.Equal(t, int64(5), v)
	v, err = plain.Incr(ctx, "n", "x", -7)
	require.NoError(t, err)
	assert.Equal(t, int64(-2), v)
	require.NoError(t, kv.Put(ctx, "n", "s", []byte("text")))
	_, err = kv.Incr(ctx, "n", "s", 1)
	assert.ErrorIs(t, err, kvsm.ErrNotInteger)
	var ae *rafter.ApplyError
	assert.ErrorAs(t, err, &ae)
	got, _, err := kv.Get(ctx, "n", "x")
	require.NoError(t, err)
	assert.Equal(t, "-2", string(got))
}

// A Client whose session expired while it was idle (logged time moved on
// with another client's commands) registers a new one and sends the
// command through it: the caller sees no error, and the command counts
// once.
func TestClientReplacesAnExpiredSession(t *testing.T) {
	c := cluster.Start(t, cluster.Config{N: 3, Options: func(_ int, o *rafter.Options) {
		o.StateMachine = kvsm.Factory()
		o.SessionTimeout = 300 * time.Millisecond
	}})
	c.Configure()
	c.WaitLeader()
	ctx, cancel := context.WithTimeout(context.Background(), cluster.Patience)
	defer cancel()
	idle := kvsm.NewClient(c.Client(), c.Peers[0])
	busy := kvsm.NewClient(c.Client(), c.Peers[1])
	require.NoError(t, idle.NewTable(ctx, "n"))
	v, err := idle.Incr(ctx, "n", "x", 1)
	require.NoError(t, err)
	require.Equal(t, int64(1), v)
	since := time.Now()
	// Logged time moves only with session entries: busy's commands carry
	// it well past idle's timeout.
	busyCount := int64(0)
	require.True(t, c.Poll(func(ctx context.Context) bool {
		_, err := busy.Incr(ctx, "n", "y", 1)
		if err == nil {
			busyCount++
		}
		return err == nil && time.Since(since) > 600*time.Millisecond
	}))
	require.Positive(t, busyCount)
	v, err = idle.Incr(ctx, "n", "x", 1)
	require.NoError(t, err, "the expired session is replaced and the command sent again")
	assert.Equal(t, int64(2), v, "counted once")
	got, _, err := idle.Get(ctx, "n", "x")
	require.NoError(t, err)
	assert.Equal(t, "2", string(got))
}
