package core

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/rafter-go/rafter/rafterpb"
)

// Malformed messages are refused with an error and change nothing.
func TestStep_MalformedMessagesChangeNothing(t *testing.T) {
	ae := func(prev, prevTerm uint64, es ...*rafterpb.Entry) *rafterpb.RaftMessage_AppendEntries {
		return &rafterpb.RaftMessage_AppendEntries{AppendEntries: &rafterpb.AppendEntries{
			PrevLogIndex: prev, PrevLogTerm: prevTerm, Entries: es}}
	}
	e := func(i, t uint64) *rafterpb.Entry { return &rafterpb.Entry{Index: i, Term: t} }
	tests := []struct {
		name string
		m    *rafterpb.RaftMessage
		err  error
	}{
		{"nil", nil, ErrInvalidMessage},
		{"no sender", &rafterpb.RaftMessage{Term: 3, Body: ae(0, 0)}, ErrInvalidMessage},
		{"from self", &rafterpb.RaftMessage{From: peer("b"), Term: 3, Body: ae(0, 0)}, ErrInvalidMessage},
		{"misrouted", &rafterpb.RaftMessage{From: peer("a"), To: peer("c"), Term: 3, Body: ae(0, 0)}, ErrInvalidMessage},
		{"term 0", &rafterpb.RaftMessage{From: peer("a"), Body: ae(0, 0)}, ErrInvalidMessage},
		{"no body", &rafterpb.RaftMessage{From: peer("a"), Term: 3}, ErrInvalidMessage},
		{"term past MaxTerm", &rafterpb.RaftMessage{From: peer("a"), Term: 1<<64 - 1, Body: ae(0, 0)}, ErrInvalidMessage},
		{"gap in entries", &rafterpb.RaftMessage{From: peer("a"), Term: 3, Body: ae(1, 1, e(2, 3), e(4, 3))}, ErrInvalidMessage},
		{"entry term above message term", &rafterpb.RaftMessage{From: peer("a"), Term: 3, Body: ae(1, 1, e(2, 4))}, ErrInvalidMessage},
		{"entry terms decrease", &rafterpb.RaftMessage{From: peer("a"), Term: 3, Body: ae(1, 1, e(2, 3), e(3, 2))}, ErrInvalidMessage},
		{"prev term without index", &rafterpb.RaftMessage{From: peer("a"), Term: 3, Body: ae(0, 1)}, ErrInvalidMessage},
		{"config entry without config", &rafterpb.RaftMessage{From: peer("a"), Term: 3, Body: ae(1, 1,
			&rafterpb.Entry{Index: 2, Term: 3, Type: rafterpb.EntryType_ENTRY_TYPE_CONFIG})}, ErrInvalidMessage},
		{"vote with future last term", &rafterpb.RaftMessage{From: peer("a"), Term: 3, Body: &rafterpb.RaftMessage_RequestVote{
			RequestVote: &rafterpb.RequestVote{LastLogIndex: 5, LastLogTerm: 4}}}, ErrInvalidMessage},
		{"empty snapshot chunk", &rafterpb.RaftMessage{From: peer("a"), Term: 3, Body: &rafterpb.RaftMessage_InstallSnapshot{
			InstallSnapshot: &rafterpb.InstallSnapshot{}}}, ErrInvalidMessage},
		{"snapshot of a future term", &rafterpb.RaftMessage{From: peer("a"), Term: 3, Body: &rafterpb.RaftMessage_InstallSnapshot{
			InstallSnapshot: &rafterpb.InstallSnapshot{LastIncludedIndex: 5, LastIncludedTerm: 4, TotalSize: 10, Data: []byte("x")}}}, ErrInvalidMessage},
		{"snapshot chunk past its size", &rafterpb.RaftMessage{From: peer("a"), Term: 3, Body: &rafterpb.RaftMessage_InstallSnapshot{
			InstallSnapshot: &rafterpb.InstallSnapshot{LastIncludedIndex: 5, LastIncludedTerm: 2, Offset: 8, TotalSize: 10, Data: []byte("xyz")}}}, ErrInvalidMessage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(testConfig("b", 1), configured("a", "b", "c"))
			require.NoError(t, err)
			before := c.Status()
			assert.ErrorIs(t, c.Step(tt.m), tt.err)
			assert.Equal(t, before, c.Status())
			assert.False(t, c.HasReady())
		})
	}
}

// A leader refuses an AppendEntries reply claiming entries it never had.
func TestStep_ReplyPastLastIndexRefused(t *testing.T) {
	n := newNetwork(t, []string{"a", "b", "c"}, netOpt{})
	n.elect("a")
	a := n.core("a")
	err := a.Step(&rafterpb.RaftMessage{From: peer("b"), To: peer("a"), Term: 2,
		Body: &rafterpb.RaftMessage_AppendEntriesReply{AppendEntriesReply: &rafterpb.AppendEntriesReply{Success: true, Index: 99}}})
	assert.ErrorIs(t, err, ErrInvalidMessage)
	assert.Less(t, a.leading.progress[keyOf("b")].match, uint64(99))
}

// New refuses bad settings and inconsistent restored logs.
func TestNew_Validates(t *testing.T) {
	_, err := New(Options{ID: peer("a"), ElectionTicks: 1, HeartbeatTicks: 1}, Restored{})
	assert.ErrorIs(t, err, ErrInvalidOptions)
	_, err = New(testConfig("a", 1), Restored{Meta: &rafterpb.Meta{Term: 1}, Entries: opEntries(2, 3, 1)})
	assert.ErrorIs(t, err, ErrInvalidRestored)
	_, err = New(testConfig("a", 1), Restored{Meta: &rafterpb.Meta{Term: 1}, Entries: opEntries(1, 2, 2)})
	assert.ErrorIs(t, err, ErrInvalidRestored, "entry term above the restored term")
}

// The same seed and inputs produce the same outputs (what lets the
// simulator replay a seed).
func TestDeterminism_SameSeedSameRun(t *testing.T) {
	run := func() []*rafterpb.RaftMessage {
		n := newNetwork(t, []string{"a", "b", "c"}, netOpt{cfg: func(c *Options) { c.PreVote = true }})
		for i := range 60 {
			n.tick()
			if i == 30 {
				n.isolate("a")
			}
			if l := n.leaderOf("b"); l != "" && n.core(l).Status().Role == Leader {
				n.core(l).Propose(RequestID(i+1), []byte{byte(i)})
			}
		}
		return n.sent
	}
	a, b := run(), run()
	require.Equal(t, len(a), len(b))
	for i := range a {
		require.True(t, proto.Equal(a[i], b[i]), "message %d differs", i)
	}
}
