package config

import (
	"testing"

	"github.com/rafter-go/rafter/rafterpb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Clauses of rafter's allow_config/2, plus validation.
func TestAllowChange(t *testing.T) {
	abc := []string{"a", "b", "c"}
	tests := []struct {
		name  string
		c     *rafterpb.Config
		peers []*rafterpb.Peer
		want  error
	}{
		{"blank accepts", blank(), ps(abc...), nil},
		{"stable accepts a different list", stable(abc...), ps("a", "b", "c", "d", "e"), nil},
		{"stable same list", stable(abc...), ps(abc...), ErrNotModified},
		{"stable same list reordered", stable(abc...), ps("c", "a", "b"), ErrNotModified},
		{"staging in progress", staging(abc, []string{"d"}), ps("a", "d"), ErrConfigInProgress},
		{"transitional in progress", transitional(abc, []string{"d"}), ps("x"), ErrConfigInProgress},
		{"transitional same as old is in progress", transitional(abc, []string{"d"}), ps(abc...), ErrConfigInProgress},
		{"empty list", stable(abc...), nil, ErrEmpty},
		{"duplicate", blank(), ps("a", "b", "a"), ErrDuplicatePeer},
		{"unnamed", blank(), []*rafterpb.Peer{p("a"), {Node: "h:1"}}, ErrEmptyName},
		{"nil peer", blank(), []*rafterpb.Peer{nil}, ErrEmptyName},
		{"node with @", blank(), []*rafterpb.Peer{{Name: "a", Node: "x@y"}}, ErrBadNode},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := AllowChange(tt.c, tt.peers)
			if tt.want == nil {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, tt.want)
			}
		})
	}
}

func TestAllowOneChangeAtATime(t *testing.T) {
	assert.NoError(t, allow(nil))
	assert.NoError(t, allow(blank()))
	assert.NoError(t, allow(stable("a")))
	assert.ErrorIs(t, allow(staging([]string{"a"}, []string{"b"})), ErrConfigInProgress)
	assert.ErrorIs(t, allow(transitional([]string{"a"}, []string{"b"})), ErrConfigInProgress)
}

// Clauses of rafter's reconfig/2, and the commit of a transitional entry.
func TestReconfigLifecycle(t *testing.T) {
	c := Reconfig(blank(), ps("a", "b", "c"))
	require.Equal(t, rafterpb.ConfigState_CONFIG_STATE_STABLE, c.GetState())
	assert.Equal(t, []string{"a", "b", "c"}, names(c.GetOldServers()))
	assert.Empty(t, c.GetNewServers())

	c = Reconfig(c, ps("c", "d", "e"))
	require.Equal(t, rafterpb.ConfigState_CONFIG_STATE_TRANSITIONAL, c.GetState())
	assert.Equal(t, []string{"a", "b", "c"}, names(c.GetOldServers()))
	assert.Equal(t, []string{"c", "d", "e"}, names(c.GetNewServers()))
	assert.Panics(t, func() { Reconfig(c, ps("x")) })

	c = Finish(c)
	require.Equal(t, rafterpb.ConfigState_CONFIG_STATE_STABLE, c.GetState())
	assert.Equal(t, []string{"c", "d", "e"}, names(c.GetOldServers()))
	assert.Empty(t, c.GetNewServers())
	assert.Same(t, c, Finish(c))

	s := staging([]string{"c", "d", "e"}, []string{"c", "d", "e", "f"})
	require.Equal(t, rafterpb.ConfigState_CONFIG_STATE_STAGING, s.GetState())
	assert.True(t, HasVote(p("c"), s))
	assert.False(t, HasVote(p("f"), s))
	assert.Equal(t, []string{"d", "e", "f"}, names(Followers(p("c"), s)))
	tr := Reconfig(s, ps("c", "d", "e", "f"))
	assert.Equal(t, rafterpb.ConfigState_CONFIG_STATE_TRANSITIONAL, tr.GetState())
}

func TestReconfigDoesNotAlias(t *testing.T) {
	in := ps("a", "b")
	c := Reconfig(blank(), in)
	in[0].Name = "z"
	assert.Equal(t, "a", c.GetOldServers()[0].GetName())
}

func TestSameServers(t *testing.T) {
	assert.True(t, SameServers(ps("a", "b"), ps("b", "a")))
	assert.True(t, SameServers(nil, nil))
	assert.False(t, SameServers(ps("a", "b"), ps("a")))
	assert.False(t, SameServers(ps("a", "b"), ps("a", "c")))
}
