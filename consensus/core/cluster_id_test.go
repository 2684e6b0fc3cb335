package core

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/rafter-go/rafter/rafterpb"
)

// bootstrapped is a blank 3-peer network given its initial configuration
// through a (rafter's way), so its first configuration has a cluster ID
// drawn from a's seed.
func bootstrapped(t *testing.T, seed int64) *network {
	n := newNetwork(t, []string{"a", "b", "c"}, netOpt{
		cfg:      func(o *Options) { o.Seed += seed },
		restored: map[string]Restored{"a": {}, "b": {}, "c": {}},
	})
	n.core("a").SetConfig(1, peers("a", "b", "c"))
	n.stabilize()
	n.tick("a")
	require.Equal(t, Leader, n.core("a").Status().Role)
	return n
}

// Two clusters whose peers have the same names never take each other's
// messages: every peer logs its cluster's identity with the first
// configuration and keeps it through changes; a message of the other
// cluster is refused with ErrOtherCluster and changes nothing.
func TestClusterID_TwoClustersWithTheSameNames(t *testing.T) {
	left, right := bootstrapped(t, 100), bootstrapped(t, 200)
	id := left.core("b").Status().Config.GetClusterId()
	require.NotZero(t, id)
	require.NotEqual(t, id, right.core("b").Status().Config.GetClusterId())
	for _, name := range []string{"a", "c"} {
		assert.Equal(t, id, left.core(name).Status().Config.GetClusterId(), "one identity per cluster")
	}

	// left's leader, in a much newer term, talks to right's follower b.
	before := right.core("b").Status()
	for range 3 {
		left.core("a").Tick()
		left.drain("a")
	}
	var sent int
	for _, sent0 := range left.queue {
		if sent0.GetTo().GetName() != "b" {
			continue
		}
		m := proto.Clone(sent0).(*rafterpb.RaftMessage)
		m.Term = before.Term + 100
		assert.Equal(t, id, m.GetClusterId(), "messages carry the sender's cluster")
		err := right.core("b").Step(m)
		assert.ErrorIs(t, err, ErrOtherCluster)
		sent++
	}
	require.NotZero(t, sent)
	after := right.core("b").Status()
	assert.Equal(t, before.Term, after.Term, "the other cluster's term did not reach b")
	assert.Equal(t, before.Leader.GetName(), after.Leader.GetName())
	assert.False(t, right.core("b").HasReady(), "no answer to the other cluster")

	// The identity survives a membership change.
	left.add("d", netOpt{})
	r := changeConfig(t, left, "a", 2, "a", "b", "c", "d")
	require.NoError(t, r.Err)
	assert.Equal(t, id, left.core("d").Status().Config.GetClusterId(), "a new peer takes the identity")
	assert.Equal(t, rafterpb.ConfigState_CONFIG_STATE_STABLE, left.core("a").Status().Config.GetState())
	assert.Equal(t, id, left.core("a").Status().Config.GetClusterId())
}
