package rafter_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rafter-go/rafter"
	"github.com/rafter-go/rafter/internal/cluster"
	"github.com/rafter-go/rafter/rafterpb"
)

// Learners through the public API: AddLearner gives a 3-peer cluster a read
// replica that Status shows, that serves StaleReadOp itself and forwards
// Op and ReadOp, that is no transfer target; bad input fails definitely;
// RemoveLearner removes it for good (ErrNotMember).
func TestLearnerReadReplica(t *testing.T) {
	c := cluster.Start(t, cluster.Config{N: 4, Remote: true})
	s := c.Client()
	three, fourth := c.Peers[:3], c.Peers[3]
	c.SetConfig(three[0], three)
	leader := c.WaitLeader(three...)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	_, err := s.Op(ctx, leader, []byte("before"))
	require.NoError(t, err)
	require.NoError(t, s.AddLearner(ctx, three[1], fourth), "through a follower: forwarded")

	err = s.AddLearner(ctx, leader, fourth)
	assert.ErrorIs(t, err, rafter.ErrNotModified)
	assert.True(t, rafter.Definite(err))
	err = s.AddLearner(ctx, leader, three[2])
	assert.ErrorIs(t, err, rafter.ErrInvalidArgument, "a voter")
	assert.True(t, rafter.Definite(err))
	assert.ErrorIs(t, s.RemoveLearner(ctx, leader, three[2]), rafter.ErrInvalidArgument, "not a learner")
	assert.ErrorIs(t, s.AddLearner(ctx, leader, rafter.Peer{}), rafter.ErrInvalidArgument)

	// The learner catches up and shows itself as one.
	ok := c.Poll(func(ctx context.Context) bool {
		st, err := s.Status(ctx, fourth)
		return err == nil && st.Learner() && st.AppliedIndex > 0 && st.Leader == leader
	})
	require.True(t, ok, "the learner did not catch up")
	lst, err := s.Status(ctx, leader)
	require.NoError(t, err)
	assert.Equal(t, []rafter.Peer{fourth}, lst.Learners())
	assert.True(t, samePeers(three, lst.Members()), "a learner is not a member that votes: %v", lst.Members())
	assert.False(t, lst.Learner())

	// Writes through the learner are forwarded; its stale reads are its own.
	_, err = s.Op(ctx, fourth, []byte("via learner"))
	require.NoError(t, err)
	_, err = s.ReadOp(ctx, fourth, nil)
	require.NoError(t, err)
	_, err = s.StaleReadOp(ctx, fourth, nil)
	require.NoError(t, err)
	err = s.TransferLeadership(ctx, leader, fourth)
	assert.ErrorIs(t, err, rafter.ErrInvalidArgument, "a learner is no transfer target")

	// A change of the voters keeps the learner.
	require.NoError(t, s.SetConfig(ctx, leader, []rafter.Peer{leader, otherThan(three, leader)}))
	st, err := s.Status(ctx, leader)
	require.NoError(t, err)
	assert.Equal(t, []rafter.Peer{fourth}, st.Learners())

	require.NoError(t, s.RemoveLearner(ctx, leader, fourth))
	ok = c.Poll(func(ctx context.Context) bool {
		st, err := s.Status(ctx, fourth)
		return err == nil && !st.Learner() && st.Leader.IsZero()
	})
	require.True(t, ok, "the removed learner still names a leader")
	_, err = s.StaleReadOp(ctx, fourth, nil)
	assert.ErrorIs(t, err, rafter.ErrNotMember)
	_, err = s.Op(ctx, fourth, []byte("x"))
	assert.ErrorIs(t, err, rafter.ErrNotMember)
}

// A SetConfig whose new server cannot catch up (it is not running) is
// given up after CatchUpTimeout with ErrCatchUpTimeout, a definite error:
// the old configuration is in force again and takes the next change.
func TestSetConfigCatchUpTimeout(t *testing.T) {
	c := cluster.Start(t, cluster.Config{N: 4, Options: func(_ int, o *rafter.Options) {
		o.CatchUpTimeout = time.Second
	}})
	s := c.Client()
	three, fourth := c.Peers[:3], c.Peers[3]
	c.SetConfig(three[0], three)
	leader := c.WaitLeader(three...)
	require.NoError(t, s.StopNode(fourth))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := s.SetConfig(ctx, leader, c.Peers)
	require.ErrorIs(t, err, rafter.ErrCatchUpTimeout)
	assert.True(t, rafter.Definite(err))
	st, err := s.Status(ctx, leader)
	require.NoError(t, err)
	assert.Equal(t, rafterpb.ConfigState_CONFIG_STATE_STABLE, st.Config.GetState())
	assert.True(t, samePeers(three, st.Members()))
	assert.Empty(t, st.Learners())
	require.NoError(t, s.SetConfig(ctx, leader, three[:2]), "the next change is taken")
}

func otherThan(ps []rafter.Peer, p rafter.Peer) rafter.Peer {
	for _, q := range ps {
		if q != p {
			return q
		}
	}
	return rafter.Peer{}
}
