package core

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rafter-go/rafter/rafterpb"
)

// Entries handed to the shell stay unchanged when the core later truncates a
// conflicting suffix (Raft §5.3) and appends in its place: the shell may
// still be writing or serializing them on another goroutine. (Found by the
// race detector in the multi-process test: truncation used to clear and
// reuse the slots of the old array.)
func TestReplication_5_3_TruncationDoesNotTouchHandedOutEntries(t *testing.T) {
	f, err := New(testConfig("b", 2), configured("a", "b", "c"))
	require.NoError(t, err)

	// Leader a of term 2 sends entries 2..4.
	require.NoError(t, f.Step(&rafterpb.RaftMessage{From: peer("a"), To: peer("b"), Term: 2,
		Body: &rafterpb.RaftMessage_AppendEntries{AppendEntries: &rafterpb.AppendEntries{
			PrevLogIndex: 1, PrevLogTerm: 1, Entries: opEntries(2, 4, 2)}}}))
	first := f.Ready()
	require.Len(t, first.Entries, 3)
	handed := slices.Clone(first.Entries)

	// Leader c of term 3 overwrites index 3 on: truncate, then append.
	require.NoError(t, f.Step(&rafterpb.RaftMessage{From: peer("c"), To: peer("b"), Term: 3,
		Body: &rafterpb.RaftMessage_AppendEntries{AppendEntries: &rafterpb.AppendEntries{
			PrevLogIndex: 2, PrevLogTerm: 2, Entries: opEntries(3, 5, 3)}}}))
	second := f.Ready()
	require.Equal(t, uint64(3), second.Entries[0].GetIndex())
	require.Equal(t, uint64(3), f.Status().LastTerm)

	for i := range handed {
		require.Same(t, handed[i], first.Entries[i], "handed-out entry %d was overwritten", i)
	}
}
