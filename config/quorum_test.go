package config

import (
	"testing"

	"github.com/rafter-go/rafter/rafterpb"
	"github.com/stretchr/testify/assert"
)

// Clauses of rafter's quorum/3.
func TestQuorum(t *testing.T) {
	abc := []string{"a", "b", "c"}
	cde := []string{"c", "d", "e"}
	tests := []struct {
		name  string
		me    string
		c     *rafterpb.Config
		votes map[string]bool
		want  bool
	}{
		{"blank never", "a", blank(), yes("a", "b", "c"), false},
		{"nil config is blank", "a", nil, yes("a"), false},
		{"stable me alone of 3", "a", stable(abc...), yes(), false},
		{"stable me plus one of 3", "a", stable(abc...), yes("b"), true},
		{"stable no for me overrides implicit vote", "a", stable(abc...), map[string]bool{"a@": false, "b@": true}, false},
		{"stable false votes do not count", "a", stable(abc...), map[string]bool{"b@": false, "c@": false}, false},
		{"stable non-member votes ignored", "a", stable(abc...), yes("x", "y"), false},
		{"stable me not member needs majority of others", "x", stable(abc...), yes("a"), false},
		{"stable me not member with two", "x", stable(abc...), yes("a", "b"), true},
		{"stable single member me", "a", stable("a"), yes(), true},
		{"stable even size needs 3 of 4", "a", stable("a", "b", "c", "d"), yes("b"), false},
		{"stable even size 3 of 4", "a", stable("a", "b", "c", "d"), yes("b", "c"), true},
		{"staging counts old only", "a", staging(abc, []string{"a", "b", "c", "d", "e"}), yes("d", "e"), false},
		{"staging old majority", "a", staging(abc, []string{"a", "b", "c", "d", "e"}), yes("b"), true},
		{"transitional old only", "a", transitional(abc, cde), yes("b"), false},
		{"transitional new only", "a", transitional(abc, cde), yes("d", "e"), false},
		{"transitional both", "a", transitional(abc, cde), yes("b", "d", "e"), true},
		{"transitional shared member", "a", transitional(abc, cde), yes("c", "d"), true},
		{"transitional leader leaving needs others", "a", transitional(abc, []string{"b", "c", "d"}), yes("b"), false},
		{"transitional leader leaving, two new", "a", transitional(abc, []string{"b", "c", "d"}), yes("b", "c"), true},
		{"transitional empty new list", "a", transitional(abc, nil), yes("b", "c"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Quorum(p(tt.me), tt.c, tt.votes))
		})
	}
}

// Clauses of rafter's quorum_max/3.
func TestQuorumMax(t *testing.T) {
	abc := []string{"a", "b", "c"}
	tests := []struct {
		name  string
		me    string
		c     *rafterpb.Config
		match map[string]uint64
		want  uint64
	}{
		{"blank", "a", blank(), idx("a", 5, "b", 5), 0},
		{"stable empty list", "a", stable(), idx("a", 5), 0},
		{"stable no responses, me durable", "a", stable(abc...), idx("a", 9), 0},
		{"stable odd", "a", stable(abc...), idx("a", 9, "b", 4, "c", 7), 7},
		{"stable me not yet durable", "a", stable(abc...), idx("a", 3, "b", 4, "c", 7), 4},
		{"stable me implicit is the maximum", "a", stable(abc...), idx("b", 4, "c", 7), 7},
		{"stable even", "a", stable("a", "b", "c", "d"), idx("a", 9, "b", 8, "c", 7, "d", 1), 7},
		{"stable single server implicit", "a", stable("a"), idx(), 0},
		{"stable single server durable", "a", stable("a"), idx("a", 6), 6},
		{"stable non-members ignored", "a", stable(abc...), idx("a", 9, "x", 9, "y", 9), 0},
		{"staging ignores new", "a", staging(abc, []string{"d", "e"}), idx("a", 5, "b", 5, "d", 9, "e", 9), 5},
		{"transitional min of groups", "a", transitional(abc, []string{"c", "d", "e"}),
			idx("a", 9, "b", 8, "c", 3, "d", 6, "e", 2), 3},
		{"transitional new group lower", "a", transitional(abc, []string{"a", "d", "e"}),
			idx("a", 9, "b", 8, "d", 6, "e", 2), 6},
		{"transitional leader only old member implicit", "a", transitional([]string{"a"}, []string{"a", "b", "c"}),
			idx("b", 4, "c", 2), 4},
		{"transitional leader leaving", "a", transitional(abc, []string{"b", "c", "d"}),
			idx("a", 9, "b", 8, "c", 7, "d", 1), 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, QuorumMax(p(tt.me), tt.c, tt.match))
		})
	}
}

// QuorumMaxFunc with enough scratch space does not allocate: the consensus
// core calls it on every AppendEntries reply.
func TestQuorumMaxFuncDoesNotAllocate(t *testing.T) {
	c := transitional([]string{"a", "b", "c"}, []string{"c", "d", "e", "f", "g"})
	match := []uint64{0, 8, 3, 6, 2, 7, 1}
	lookup := func(q *rafterpb.Peer) (uint64, bool) {
		i := int(q.GetName()[0] - 'a')
		return match[i], i != 0 // "a" is me: implicit
	}
	scratch := make([]uint64, 0, 5)
	var got uint64
	allocs := testing.AllocsPerRun(100, func() { got = QuorumMaxFunc(p("a"), c, lookup, scratch) })
	assert.Zero(t, allocs)
	// a counts as the voters' maximum, 8. Old {8, 8, 3}: 8; new {c=3, d=6, e=2, f=7, g=1}: 3.
	assert.Equal(t, uint64(3), got)
	assert.Equal(t, got, QuorumMax(p("a"), c, idx("b", 8, "c", 3, "d", 6, "e", 2, "f", 7, "g", 1)))
}
