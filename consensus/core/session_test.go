package core

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rafter-go/rafter/rafterpb"
)

// Raft thesis §6.3: a session's registration and its commands are log
// entries like any command; the leader appends them as given and answers
// the request with the committed entry, fields intact, on every peer.
func TestProposeSession_CommitsTheEntryAsGiven(t *testing.T) {
	n := newNetwork(t, []string{"a", "b", "c"}, netOpt{})
	n.elect("a")
	n.core("a").ProposeSession(7, &rafterpb.Entry{Type: rafterpb.EntryType_ENTRY_TYPE_SESSION, Stamp: 42})
	n.core("a").ProposeSession(8, &rafterpb.Entry{Type: rafterpb.EntryType_ENTRY_TYPE_OP, Cmd: []byte("x"),
		ClientId: 3, Sequence: 1, SessionFloor: 1, Stamp: 43})
	n.stabilize()
	n.tick("a")
	n.stabilize()
	for _, name := range n.names {
		var got []*rafterpb.Entry
		for _, c := range n.committed[name] {
			if c.Entry.GetStamp() != 0 {
				got = append(got, c.Entry)
			}
		}
		require.Len(t, got, 2, name)
		assert.Equal(t, rafterpb.EntryType_ENTRY_TYPE_SESSION, got[0].GetType(), name)
		assert.Equal(t, uint64(42), got[0].GetStamp(), name)
		assert.Equal(t, []uint64{3, 1, 1, 43}, []uint64{got[1].GetClientId(), got[1].GetSequence(), got[1].GetSessionFloor(), got[1].GetStamp()}, name)
	}
	ids := map[RequestID]bool{}
	for _, c := range n.committed["a"] {
		ids[c.ID] = true
	}
	assert.True(t, ids[7] && ids[8], "the leader's committed entries answer requests 7 and 8")
}

func TestProposeSession_RefusesOtherEntries(t *testing.T) {
	n := newNetwork(t, []string{"a", "b", "c"}, netOpt{})
	n.elect("a")
	last := n.core("a").Status().LastIndex
	for id, e := range map[RequestID]*rafterpb.Entry{
		1: {Type: rafterpb.EntryType_ENTRY_TYPE_NOOP},
		2: {Type: rafterpb.EntryType_ENTRY_TYPE_CONFIG},
		3: {Type: rafterpb.EntryType_ENTRY_TYPE_OP, Cmd: []byte("no session")},
		4: {Type: rafterpb.EntryType_ENTRY_TYPE_OP, ClientId: 3},           // no sequence
		5: {Type: rafterpb.EntryType_ENTRY_TYPE_SESSION, ClientId: 3},      // a registration names no session
		6: {Type: rafterpb.EntryType_ENTRY_TYPE_SESSION, Cmd: []byte("x")}, // nor a command
	} {
		n.core("a").ProposeSession(id, e)
		n.drain("a")
		r, ok := n.result("a", id)
		require.True(t, ok, "request %d answered", id)
		assert.ErrorIs(t, r.Err, ErrInvalidArgument, "request %d", id)
	}
	assert.Equal(t, last, n.core("a").Status().LastIndex, "nothing appended")
	// A follower refuses as for Propose (the shell forwards).
	n.core("b").ProposeSession(9, &rafterpb.Entry{Type: rafterpb.EntryType_ENTRY_TYPE_SESSION})
	n.drain("b")
	r, ok := n.result("b", 9)
	require.True(t, ok)
	assert.ErrorIs(t, r.Err, ErrNotLeader)
}
