package rafter_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rafter-go/rafter"
	"github.com/rafter-go/rafter/internal/cluster"
)

// A follower cut off from the others keeps answering StaleReadOp from its
// own state (the value it applied before the partition), while a
// linearizable ReadOp through it stops succeeding and the majority commits
// a new value; after healing, the follower's stale reads catch up.
func TestStaleReadOpOnAPartitionedFollower(t *testing.T) {
	part := &partition{}
	c := cluster.Start(t, cluster.Config{N: 3, Interceptor: part.intercept})
	s := c.Client()
	c.Configure()
	leader := c.WaitLeader()
	var cut rafter.Peer
	for _, p := range c.Peers {
		if p != leader {
			cut = p
			break
		}
	}
	staleIs := func(ctx context.Context, p rafter.Peer, want string) bool {
		v, err := s.StaleReadOp(ctx, p, nil) // echo: the last applied command
		return err == nil && string(v) == want
	}
	require.True(t, c.Poll(func(ctx context.Context) bool {
		_, err := s.Op(ctx, leader, []byte("old"))
		return err == nil
	}), "write old")
	require.True(t, c.Poll(func(ctx context.Context) bool { return staleIs(ctx, cut, "old") }),
		"%s never applied old", cut)

	part.isolate(cut)
	t.Logf("isolated the follower %s (leader %s)", cut, leader)
	// The majority moves on: a new value is committed without cut.
	var majority []rafter.Peer
	for _, p := range c.Peers {
		if p != cut {
			majority = append(majority, p)
		}
	}
	require.True(t, c.Poll(func(ctx context.Context) bool {
		_, err := s.Op(ctx, majority[0], []byte("new"))
		return err == nil
	}), "write new through the majority")
	// Once cut no longer trusts a leader it cannot hear, a linearizable
	// read through it fails (no leader, or the call times out): it never
	// serves the old value.
	var linErr error
	require.True(t, c.PollEvery(100*time.Millisecond, func(context.Context) bool {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		v, err := s.ReadOp(ctx, cut, nil)
		if err == nil {
			assert.Equal(t, "new", string(v), "a linearizable read through %s returned a stale value", cut)
		}
		linErr = err
		return err != nil
	}), "ReadOp through the isolated %s kept succeeding", cut)
	t.Logf("ReadOp via %s: %v", cut, linErr)
	assert.True(t, errors.Is(linErr, rafter.ErrNoLeader) || errors.Is(linErr, rafter.ErrTimeout) ||
		isDocumented(linErr), "ReadOp via the isolated follower: %v", linErr)

	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	v, err := s.StaleReadOp(ctx, cut, nil)
	require.NoError(t, err, "the isolated follower answers stale reads")
	assert.Equal(t, "old", string(v), "the isolated follower serves its own, old state")
	v, err = s.ReadOp(ctx, majority[0], nil)
	require.NoError(t, err)
	assert.Equal(t, "new", string(v), "the cluster moved on")

	part.isolate(rafter.Peer{})
	require.True(t, c.Poll(func(ctx context.Context) bool { return staleIs(ctx, cut, "new") }),
		"the healed %s never caught up", cut)
}

func TestStaleReadOpErrors(t *testing.T) {
	c := cluster.Start(t, cluster.Config{N: 1})
	s := c.Client()
	p := c.Peers[0]
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	_, err := s.StaleReadOp(ctx, p, nil)
	assert.ErrorIs(t, err, rafter.ErrNotMember, "a blank peer has no state to serve")
	assert.True(t, rafter.Definite(err))

	c.Configure()
	c.WaitLeader()
	_, err = s.StaleReadOp(ctx, p, []byte("error:bad query"))
	var re *rafter.ReadError
	require.ErrorAs(t, err, &re, "Read's own error is a *ReadError")
	assert.Equal(t, "bad query", re.Msg)

	_, err = s.StaleReadOp(ctx, rafter.Peer{Name: "nobody"}, nil)
	assert.ErrorIs(t, err, rafter.ErrStopped, "no such peer")
}
