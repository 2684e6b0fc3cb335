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
	"github.com/rafter-go/rafter/internal/echo"
)

// Issue 5 acceptance (bad input, client side): calls on a peer that is not
// started, SetConfig with an empty or duplicate list, bad Options.
func TestBadInput(t *testing.T) {
	c := cluster.Start(t, cluster.Config{N: 2})
	s := c.Client()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ghost := rafter.Peer{Name: "ghost"}

	t.Run("op on a peer that is not started", func(t *testing.T) {
		_, err := s.Op(ctx, ghost, []byte("x"))
		require.ErrorIs(t, err, rafter.ErrStopped)
		assert.True(t, rafter.Definite(err))
		_, err = s.Status(ctx, ghost)
		require.ErrorIs(t, err, rafter.ErrStopped)
		require.ErrorIs(t, s.StopNode(ghost), rafter.ErrStopped)
		require.ErrorIs(t, s.Kill(ghost, rafter.ActorLog), rafter.ErrStopped)
	})
	t.Run("context done or nil before the call", func(t *testing.T) {
		done, stop := context.WithCancel(context.Background())
		stop()
		_, err := s.Op(done, c.Peers[0], []byte("x"))
		require.ErrorIs(t, err, rafter.ErrNotSent)
		assert.ErrorIs(t, err, context.Canceled)
		assert.True(t, rafter.Definite(err), "nothing was sent: %v", err)
		past, stop2 := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
		defer stop2()
		_, err = s.ReadOp(past, c.Peers[0], nil)
		require.ErrorIs(t, err, rafter.ErrNotSent)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.True(t, rafter.Definite(err))
		//nolint:staticcheck // a nil context is what this checks
		_, err = s.Op(nil, c.Peers[0], []byte("x")) //lint:ignore SA1012 checked on purpose
		require.ErrorIs(t, err, rafter.ErrInvalidArgument)
	})
	t.Run("set config", func(t *testing.T) {
		for name, peers := range map[string][]rafter.Peer{
			"empty":     nil,
			"duplicate": {c.Peers[0], c.Peers[1], c.Peers[0]},
			"unnamed":   {c.Peers[0], {}},
			"slash":     {c.Peers[0], {Name: "a/b"}},
		} {
			err := s.SetConfig(ctx, c.Peers[0], peers)
			assert.ErrorIs(t, err, rafter.ErrInvalidArgument, name)
			assert.True(t, rafter.Definite(err), name)
		}
		st, err := s.Status(ctx, c.Peers[0])
		require.NoError(t, err)
		assert.Empty(t, st.Members(), "nothing reached the peer")
	})
	t.Run("bad options", func(t *testing.T) {
		o := c.Opts[0]
		o.DataDir = t.TempDir()
		o.ElectionTimeoutMin = o.HeartbeatInterval / 2
		err := s.StartNode(rafter.Peer{Name: "bad"}, o)
		require.ErrorIs(t, err, rafter.ErrInvalidOptions)
		var oe *rafter.OptionError
		require.ErrorAs(t, err, &oe)
		assert.Equal(t, "ElectionTimeoutMin", oe.Field)

		o = rafter.DefaultOptions()
		o.StateMachine = func() rafter.StateMachine { return echo.New() }
		require.ErrorAs(t, s.StartNode(rafter.Peer{Name: "bad"}, o), &oe)
		assert.Equal(t, "DataDir", oe.Field)

		o.DataDir = t.TempDir()
		o.StateMachine = nil
		require.ErrorAs(t, s.StartNode(rafter.Peer{Name: "bad"}, o), &oe)
		assert.Equal(t, "StateMachine", oe.Field)
	})
	t.Run("bad peers", func(t *testing.T) {
		o := c.Opts[0]
		o.DataDir = t.TempDir()
		assert.ErrorIs(t, s.StartNode(c.Peers[0], o), rafter.ErrAlreadyStarted)
		assert.ErrorIs(t, s.StartNode(rafter.Peer{Name: "x", Node: "10.0.0.1:1"}, o), rafter.ErrInvalidArgument)
		assert.ErrorIs(t, s.StartNode(rafter.Peer{}, o), rafter.ErrInvalidArgument)
		assert.ErrorIs(t, s.Kill(c.Peers[0], rafter.Actor(7)), rafter.ErrInvalidArgument)
	})
}

// A peer that lost its log directory contents in a way that cannot be
// recovered refuses to start; here the data dir is a regular file.
func TestStartNodeFailsOnUnusableDataDir(t *testing.T) {
	c := cluster.Start(t, cluster.Config{N: 1})
	o := c.Opts[0]
	o.DataDir = "/dev/null/not-a-dir"
	err := c.Client().StartNode(rafter.Peer{Name: "nodir"}, o)
	require.Error(t, err)
	t.Logf("start on a file: %v", err)
	_, err = c.Client().Status(context.Background(), rafter.Peer{Name: "nodir"})
	assert.ErrorIs(t, err, rafter.ErrStopped, "the failed peer is not left running")
}

// Shutdown is safe twice, and calls after it report ErrStopped.
func TestShutdownTwice(t *testing.T) {
	s, err := rafter.NewSystem(rafter.SystemOptions{})
	require.NoError(t, err)
	o := rafter.DefaultOptions()
	o.DataDir = t.TempDir()
	o.StateMachine = func() rafter.StateMachine { return echo.New() }
	p := rafter.Peer{Name: "a"}
	require.NoError(t, s.StartNode(p, o))
	require.NoError(t, s.Shutdown())
	require.NoError(t, s.Shutdown())
	_, err = s.Op(context.Background(), p, []byte("x"))
	assert.ErrorIs(t, err, rafter.ErrStopped)
	assert.True(t, errors.Is(s.StartNode(rafter.Peer{Name: "b"}, o), rafter.ErrStopped))
}
