package config

import (
	"testing"

	"github.com/rafter-go/rafter/rafterpb"
	"github.com/stretchr/testify/assert"
)

// Clauses of rafter's voters/1, followers/2 and has_vote/2.
func TestMembers(t *testing.T) {
	abc := []string{"a", "b", "c"}
	cde := []string{"c", "d", "e"}
	tests := []struct {
		name      string
		c         *rafterpb.Config
		voters    []string
		followers []string // of "a"
		aVotes    bool
		dVotes    bool
	}{
		{"blank", blank(), []string{}, []string{}, false, false},
		{"stable", stable(abc...), abc, []string{"b", "c"}, true, false},
		{"staging", staging(abc, cde), abc, []string{"b", "c", "d", "e"}, true, false},
		{"transitional", transitional(abc, cde), []string{"a", "b", "c", "d", "e"}, []string{"b", "c", "d", "e"}, true, true},
		{"stable without me", stable("b", "c", "d"), []string{"b", "c", "d"}, []string{"b", "c", "d"}, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.voters, names(Voters(tt.c)))
			assert.Equal(t, tt.followers, names(Followers(p("a"), tt.c)))
			assert.Equal(t, tt.aVotes, HasVote(p("a"), tt.c))
			assert.Equal(t, tt.dVotes, HasVote(p("d"), tt.c))
		})
	}
}

func TestPeerKeyDistinguishesNodes(t *testing.T) {
	a1 := &rafterpb.Peer{Name: "a", Node: "h1:1"}
	a2 := &rafterpb.Peer{Name: "a", Node: "h2:1"}
	assert.Equal(t, "a@h1:1", PeerKey(a1))
	assert.Equal(t, "a@", PeerKey(p("a")))
	assert.NotEqual(t, PeerKey(a1), PeerKey(a2))
	c := &rafterpb.Config{State: rafterpb.ConfigState_CONFIG_STATE_STABLE, OldServers: []*rafterpb.Peer{a1, a2}}
	assert.True(t, HasVote(a2, c))
	assert.False(t, HasVote(p("a"), c))
	assert.Len(t, Followers(a1, c), 1)
}
