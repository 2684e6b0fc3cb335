package rafter_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/rafter-go/rafter"
	"github.com/rafter-go/rafter/internal/cluster"
	"github.com/rafter-go/rafter/kvsm"
	"github.com/rafter-go/rafter/kvsm/kvsmpb"
	"github.com/rafter-go/rafter/rafterpb"
)

func startSessionCluster(t *testing.T, opts func(o *rafter.Options)) *cluster.Cluster {
	c := cluster.Start(t, cluster.Config{N: 3, Options: func(_ int, o *rafter.Options) {
		o.StateMachine = kvsm.Factory()
		if opts != nil {
			opts(o)
		}
	}})
	c.Bootstrap()
	c.WaitLeader()
	ctx, cancel := context.WithTimeout(context.Background(), cluster.Patience)
	defer cancel()
	require.NoError(t, kvsm.NewClient(c.Client(), c.Peers[0], kvsm.WithoutSession()).NewTable(ctx, "t"))
	return c
}

func incrCmd(t *testing.T) []byte {
	b, err := proto.Marshal(&kvsmpb.Command{Op: &kvsmpb.Command_Incr{Incr: &kvsmpb.Incr{Table: "t", Key: "n", Delta: 1}}})
	require.NoError(t, err)
	return b
}

func incrValue(t *testing.T, res []byte) int64 {
	var r kvsmpb.Result
	require.NoError(t, proto.Unmarshal(res, &r))
	return r.GetIncr().GetValue()
}

// A retried sequence is answered with the result of its first application
// and not applied again, also after every peer restarted from a snapshot
// (holding the first two results) and the log after it (the third).
func TestSessionRetryAnsweredFromTheTableAcrossRestarts(t *testing.T) {
	c := startSessionCluster(t, nil)
	s := c.Client()
	ctx, cancel := context.WithTimeout(context.Background(), cluster.Patience)
	defer cancel()
	via := c.Peers[1]
	se, err := s.NewSession(ctx, via)
	require.NoError(t, err)
	assert.NotZero(t, se.ID())

	first := map[uint64][]byte{}
	for seq := uint64(1); seq <= 2; seq++ {
		res, applyErr, err := rafter.SessionOpAt(ctx, se, seq, 1, incrCmd(t))
		require.NoError(t, err)
		require.Empty(t, applyErr)
		first[seq] = res
		again, _, err := rafter.SessionOpAt(ctx, se, seq, 1, incrCmd(t))
		require.NoError(t, err)
		assert.Equal(t, res, again, "a retry of sequence %d answers the first result", seq)
	}
	assert.Equal(t, int64(2), incrValue(t, first[2]))
	for _, p := range c.Peers {
		_, err := s.Snapshot(ctx, p)
		require.NoError(t, err, "snapshot %s", p)
	}
	res, _, err := rafter.SessionOpAt(ctx, se, 3, 1, incrCmd(t))
	require.NoError(t, err)
	first[3] = res
	for _, p := range c.Peers {
		c.Restart(p)
	}
	c.WaitLeader()
	for seq := uint64(1); seq <= 3; seq++ {
		var again []byte
		require.True(t, c.Poll(func(ctx context.Context) bool {
			again, _, err = rafter.SessionOpAt(ctx, se, seq, 1, incrCmd(t))
			return err == nil
		}), "retry sequence %d after the restart: %v", seq, err)
		assert.Equal(t, first[seq], again, "sequence %d after the restart", seq)
	}
	res, err = se.Op(ctx, incrCmd(t))
	require.NoError(t, err)
	assert.Equal(t, int64(4), incrValue(t, res), "three increments applied before, once each")
}

// A sequence below the floor the client sent is forgotten: its retry is
// refused, never applied a second time.
func TestSessionFloorForgetsResults(t *testing.T) {
	c := startSessionCluster(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), cluster.Patience)
	defer cancel()
	se, err := c.Client().NewSession(ctx, c.Peers[0])
	require.NoError(t, err)
	_, _, err = rafter.SessionOpAt(ctx, se, 1, 1, incrCmd(t))
	require.NoError(t, err)
	_, _, err = rafter.SessionOpAt(ctx, se, 2, 2, incrCmd(t))
	require.NoError(t, err)
	_, _, err = rafter.SessionOpAt(ctx, se, 1, 1, incrCmd(t))
	require.ErrorIs(t, err, rafter.ErrSessionExpired)
	v, _, err := kvsm.NewClient(c.Client(), c.Peers[0]).Get(ctx, "t", "n")
	require.NoError(t, err)
	assert.Equal(t, "2", string(v))
}

// Sessions expire by logged time: once another session's entries carry a
// stamp past SessionTimeout after the first's last command, every replica
// has dropped it. Its next command's first attempt is refused: definite.
// After that the Session refuses at once, definite too.
func TestSessionExpiresByLoggedTime(t *testing.T) {
	c := startSessionCluster(t, func(o *rafter.Options) { o.SessionTimeout = 300 * time.Millisecond })
	s := c.Client()
	ctx, cancel := context.WithTimeout(context.Background(), cluster.Patience)
	defer cancel()
	old, err := s.NewSession(ctx, c.Peers[0])
	require.NoError(t, err)
	_, err = old.Op(ctx, incrCmd(t))
	require.NoError(t, err)
	idle := time.Now()
	busy, err := s.NewSession(ctx, c.Peers[0])
	require.NoError(t, err)
	// Logged time moves only with session entries: keep busy's coming
	// until one is stamped well past the timeout.
	require.True(t, c.Poll(func(ctx context.Context) bool {
		_, err := busy.Op(ctx, incrCmd(t))
		return err == nil && time.Since(idle) > 600*time.Millisecond
	}))
	_, err = old.Op(ctx, incrCmd(t))
	require.ErrorIs(t, err, rafter.ErrSessionExpired)
	assert.True(t, rafter.Definite(err), "the first attempt was refused: %v", err)
	_, err = old.Op(ctx, incrCmd(t))
	require.ErrorIs(t, err, rafter.ErrSessionExpired)
	assert.True(t, rafter.Definite(err))
	// The plain wire error alone does not say: it is of unknown outcome.
	assert.False(t, rafter.Definite(rafter.ErrSessionExpired))
}

// Malformed session requests from anyone are refused before they reach
// the log (definite), and nothing is applied.
func TestSessionMalformedRequestsRefused(t *testing.T) {
	c := startSessionCluster(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), cluster.Patience)
	defer cancel()
	leader := c.WaitLeader()
	for name, req := range map[string]*rafterpb.OpRequest{
		"registration with a command":  {RegisterSession: true, Cmd: incrCmd(t)},
		"registration with a session":  {RegisterSession: true, ClientId: 9},
		"registration with a sequence": {RegisterSession: true, Sequence: 1},
		"session without sequence":     {ClientId: 9, Cmd: incrCmd(t)},
		"sequence without session":     {Sequence: 3, Cmd: incrCmd(t)},
	} {
		err := rafter.RawOp(ctx, c.Client(), leader, req)
		assert.ErrorIs(t, err, rafter.ErrInvalidArgument, name)
		assert.True(t, rafter.Definite(err), name)
	}
	// An unknown session: refused at apply (the entry is logged, its
	// command is not applied).
	err := rafter.RawOp(ctx, c.Client(), leader, &rafterpb.OpRequest{ClientId: 999999, Sequence: 1, Cmd: incrCmd(t)})
	assert.ErrorIs(t, err, rafter.ErrSessionExpired)
	_, found, err := kvsm.NewClient(c.Client(), leader).Get(ctx, "t", "n")
	require.NoError(t, err)
	assert.False(t, found, "nothing was incremented")
}
