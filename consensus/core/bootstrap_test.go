package core

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rafter-go/rafter/rafterpb"
)

const testClusterID = 0x5eed_c1a5_7e40_0001

// blankNet is a network of blank peers with PreVote and CheckQuorum on.
func blankNet(t *testing.T, names ...string) *network {
	restored := map[string]Restored{}
	for _, name := range names {
		restored[name] = Restored{}
	}
	return newNetwork(t, names, netOpt{
		cfg:      func(o *Options) { o.PreVote, o.CheckQuorum = true, true },
		restored: restored,
	})
}

// bootstrapAll bootstraps every named peer with request id 1 and returns
// each one's Result.
func bootstrapAll(t *testing.T, n *network, clusterID uint64, names ...string) map[string]Result {
	out := map[string]Result{}
	for _, name := range names {
		n.core(name).Bootstrap(1, peers(n.names...), clusterID)
		n.drain(name)
		r, ok := n.result(name, 1)
		require.True(t, ok, "%s answered", name)
		out[name] = r
	}
	return out
}

// Every initial member writes the same first entry (index 1, term 1, the
// stable configuration with the cluster's identity) before any election,
// and the cluster then elects a leader in term 2 and commits, with PreVote
// and CheckQuorum on.
func TestBootstrap_SameFirstEntryThenElection(t *testing.T) {
	n := blankNet(t, "a", "b", "c")
	var first []*rafterpb.Entry
	for _, name := range n.names {
		c := n.core(name)
		c.Bootstrap(1, peers("a", "b", "c"), testClusterID)
		rd := c.Ready()
		require.NotNil(t, rd.Meta, "%s: the term reaches the disk with the entry", name)
		assert.Equal(t, uint64(1), rd.Meta.GetTerm())
		assert.Nil(t, rd.Meta.GetVotedFor())
		require.Len(t, rd.Entries, 1)
		assert.Empty(t, rd.Results, "%s answers only once the entry is durable", name)
		first = append(first, rd.Entries[0])
		c.Advance(rd)
		c.Persisted(1, 1)
		rd = c.Ready()
		require.Len(t, rd.Results, 1)
		assert.Equal(t, Result{ID: 1, Index: 1}, rd.Results[0])
		c.Advance(rd)
	}
	for _, e := range first {
		assert.Equal(t, uint64(1), e.GetIndex())
		assert.Equal(t, uint64(1), e.GetTerm())
		assert.Equal(t, rafterpb.EntryType_ENTRY_TYPE_CONFIG, e.GetType())
		assert.Equal(t, rafterpb.ConfigState_CONFIG_STATE_STABLE, e.GetConfig().GetState())
		assert.Equal(t, uint64(testClusterID), e.GetConfig().GetClusterId())
		assert.Equal(t, entryHash(first[0]), entryHash(e), "identical first entries")
	}

	leader := electSomeone(t, n)
	st := n.core(leader).Status()
	assert.Equal(t, uint64(2), st.Term, "the first election is of term 2")
	n.core(leader).Propose(7, []byte("x"))
	n.stabilize()
	n.tick(leader)
	for _, name := range n.names {
		assert.Equal(t, uint64(3), n.core(name).Status().CommitIndex, "%s: config, no-op and x committed", name)
		assert.Equal(t, uint64(testClusterID), n.core(name).Status().Config.GetClusterId())
	}
}

// electSomeone ticks every peer until one leads, and returns it.
func electSomeone(t *testing.T, n *network) string {
	for i := 0; i < 1000; i++ {
		for _, name := range n.names {
			if n.core(name).Status().Role == Leader {
				return name
			}
		}
		n.tick()
	}
	require.FailNow(t, "no leader")
	return ""
}

func entryHash(e *rafterpb.Entry) string { return e.String() }

// A retry is answered like the first call; another cluster's bootstrap, or
// one that reaches a peer holding SetConfig's initial configuration, is
// refused (definite), and nothing changes.
func TestBootstrap_RetryAndRefusals(t *testing.T) {
	n := blankNet(t, "a", "b", "c")
	for name, r := range bootstrapAll(t, n, testClusterID, "a", "b", "c") {
		require.NoError(t, r.Err, name)
	}
	before := n.core("a").Status()

	n.core("a").Bootstrap(2, peers("a", "b", "c"), testClusterID)
	n.drain("a")
	r, ok := n.result("a", 2)
	require.True(t, ok)
	assert.NoError(t, r.Err, "a retry succeeds")
	assert.Equal(t, uint64(1), r.Index)

	n.core("a").Bootstrap(3, peers("a", "b", "c"), testClusterID+2)
	n.drain("a")
	r, _ = n.result("a", 3)
	assert.ErrorIs(t, r.Err, ErrAlreadyBootstrapped)
	assert.Equal(t, before, n.core("a").Status(), "a refused bootstrap changes nothing")

	// The legacy path: a blank peer campaigning with SetConfig's list.
	legacy := blankNet(t, "a", "b", "c")
	legacy.core("a").SetConfig(1, peers("a", "b", "c"))
	legacy.drain("a")
	legacy.core("a").Bootstrap(2, peers("a", "b", "c"), testClusterID)
	legacy.drain("a")
	r, _ = legacy.result("a", 2)
	assert.ErrorIs(t, r.Err, ErrAlreadyBootstrapped)

	for _, tc := range []struct {
		name      string
		peers     []*rafterpb.Peer
		clusterID uint64
		want      error
	}{
		{"no cluster ID", peers("a", "b"), 0, ErrInvalidArgument},
		{"duplicate peer", peers("a", "b", "b"), 1, ErrInvalidArgument},
		{"empty list", nil, 1, ErrInvalidArgument},
		{"not listed", peers("b", "c"), 1, ErrInvalidInitialConfig},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fresh := blankNet(t, "a")
			fresh.core("a").Bootstrap(1, tc.peers, tc.clusterID)
			fresh.drain("a")
			r, _ := fresh.result("a", 1)
			assert.ErrorIs(t, r.Err, tc.want)
			assert.Zero(t, fresh.core("a").Status().LastIndex, "nothing written")
		})
	}
}

// The answer waits for the log server: a peer whose write is not durable
// yet does not answer, also on a retry.
func TestBootstrap_AnswersOnlyWhenDurable(t *testing.T) {
	n := blankNet(t, "a", "b", "c")
	n.hold["a"] = true
	n.core("a").Bootstrap(1, peers("a", "b", "c"), testClusterID)
	n.drain("a")
	n.core("a").Bootstrap(2, peers("a", "b", "c"), testClusterID)
	n.drain("a")
	assert.Empty(t, n.results["a"])
	n.persist("a")
	for _, id := range []RequestID{1, 2} {
		r, ok := n.result("a", id)
		require.True(t, ok, "request %d answered", id)
		assert.NoError(t, r.Err)
	}
}

// A member bootstrapped late, after the others elected a leader that
// already sent it the first entry (or asked it for its vote), takes its
// Bootstrap: the entry is the one the leader holds. A bootstrapped peer
// never takes SetConfig for an initial configuration again.
func TestBootstrap_LateMember(t *testing.T) {
	n := blankNet(t, "a", "b", "c")
	bootstrapAll(t, n, testClusterID, "a", "b")
	leader := electSomeone(t, n)
	require.NotEqual(t, "c", leader)
	stC := n.core("c").Status()
	require.Equal(t, uint64(testClusterID), stC.Config.GetClusterId(), "the leader sent c the configuration")

	n.core("c").Bootstrap(5, peers("a", "b", "c"), testClusterID)
	n.drain("c")
	r, ok := n.result("c", 5)
	require.True(t, ok)
	assert.NoError(t, r.Err)
	assert.Equal(t, stC.LastIndex, n.core("c").Status().LastIndex, "nothing appended")

	// A blank peer that granted its vote in term 2 before its Bootstrap.
	v := blankNet(t, "a", "b", "c")
	bootstrapAll(t, v, testClusterID, "a")
	rv := &rafterpb.RaftMessage{From: peer("a"), To: peer("c"), Term: 2, ClusterId: testClusterID,
		Body: &rafterpb.RaftMessage_RequestVote{RequestVote: &rafterpb.RequestVote{LastLogIndex: 1, LastLogTerm: 1}}}
	require.NoError(t, v.core("c").Step(rv))
	require.Equal(t, "a", v.core("c").Status().VotedFor.GetName())
	v.core("c").Bootstrap(1, peers("a", "b", "c"), testClusterID)
	v.drain("c")
	r, _ = v.result("c", 1)
	require.NoError(t, r.Err)
	st := v.core("c").Status()
	assert.Equal(t, uint64(2), st.Term, "the term stays")
	assert.Equal(t, "a", st.VotedFor.GetName(), "the vote stays")
	assert.Equal(t, uint64(1), st.LastTerm)

	// SetConfig on a bootstrapped follower is an ordinary change: it is
	// refused there, and the peer does not campaign for it.
	n.core("c").SetConfig(6, peers("c", "d", "e"))
	n.drain("c")
	r, _ = n.result("c", 6)
	assert.ErrorIs(t, r.Err, ErrNotLeader)
	assert.Equal(t, Follower, n.core("c").Status().Role)
	assert.Equal(t, uint64(testClusterID), n.core("c").Status().Config.GetClusterId())
}

// A restarted member keeps its configuration and identity: its log is the
// bootstrap entry and its term 1.
func TestBootstrap_Restart(t *testing.T) {
	n := blankNet(t, "a")
	n.core("a").Bootstrap(1, peers("a", "b", "c"), testClusterID)
	rd := n.core("a").Ready()
	c, err := New(testConfig("a", 9), Restored{Meta: rd.Meta, Entries: rd.Entries})
	require.NoError(t, err)
	st := c.Status()
	assert.Equal(t, uint64(testClusterID), st.Config.GetClusterId())
	assert.True(t, st.Member)
	c.Bootstrap(2, peers("a", "b", "c"), testClusterID)
	require.True(t, c.HasReady())
	assert.Equal(t, []Result{{ID: 2, Index: 1}}, c.Ready().Results, "the restored log is durable")
}

// A blank peer whose log server is installing a leader's snapshot (it is
// joining a cluster) does not write the first entry for a Bootstrap asked
// meanwhile: the log must not change until the install is answered. The
// install decides: a snapshot of the same cluster answers the Bootstrap
// with success, one of another cluster with ErrAlreadyBootstrapped, and a
// failed install leaves the log blank, so the Bootstrap is taken then.
func TestBootstrap_DuringAnInstall(t *testing.T) {
	members := peers("a", "b", "c", "d")
	for _, tc := range []struct {
		name    string
		cluster uint64 // the installed snapshot's cluster; 0: the install fails
		wantErr error
		writes  bool // the Bootstrap writes entry 1 after the install
	}{
		{"same cluster", testClusterID, nil, false},
		{"other cluster", testClusterID + 1, ErrAlreadyBootstrapped, false},
		{"install failed", 0, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := New(testConfig("d", 1), Restored{})
			require.NoError(t, err)
			snapID := tc.cluster
			if snapID == 0 {
				snapID = testClusterID
			}
			in := &rafterpb.InstallSnapshot{LastIncludedIndex: 5, LastIncludedTerm: 2, Offset: 0, TotalSize: 10,
				Data: make([]byte, 10), Done: true}
			require.NoError(t, c.Step(&rafterpb.RaftMessage{From: peer("a"), To: peer("d"), Term: 2, ClusterId: snapID,
				Body: &rafterpb.RaftMessage_InstallSnapshot{InstallSnapshot: in}}))
			rd := c.Ready()
			require.Len(t, rd.Install, 1, "the chunk goes to the log server")
			c.Advance(rd)

			c.Bootstrap(7, members, testClusterID)
			rd = c.Ready()
			assert.Empty(t, rd.Entries, "no entry while the install runs")
			assert.Empty(t, rd.Results, "no answer before the install's")
			c.Advance(rd)

			reply := InstallReply{NextOffset: 10, Done: true, Snapshot: &rafterpb.SnapshotMeta{Index: 5, Term: 2, Size: 10,
				Config: &rafterpb.Config{State: rafterpb.ConfigState_CONFIG_STATE_STABLE, OldServers: members, ClusterId: tc.cluster}}}
			if tc.cluster == 0 {
				reply = InstallReply{NextOffset: 0, Err: fmt.Errorf("disk full")}
			}
			assert.Equal(t, tc.cluster != 0, c.InstallProgress(InstallChunk{From: peer("a"), Term: 2, Msg: in}, reply))
			rd = c.Ready()
			if tc.writes {
				require.Len(t, rd.Entries, 1, "the Bootstrap's first entry, once the log is known blank")
				assert.Equal(t, uint64(1), rd.Entries[0].GetIndex())
				c.Advance(rd)
				c.Persisted(1, 1)
				rd = c.Ready()
			} else {
				assert.Empty(t, rd.Entries)
			}
			var got *Result
			for i := range rd.Results {
				if rd.Results[i].ID == 7 {
					got = &rd.Results[i]
				}
			}
			require.NotNil(t, got, "the Bootstrap is answered")
			if tc.wantErr != nil {
				assert.ErrorIs(t, got.Err, tc.wantErr)
			} else {
				assert.NoError(t, got.Err)
			}
		})
	}
}
