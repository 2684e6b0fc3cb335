package core

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rafter-go/rafter/rafterpb"
)

// fakeDisk is one peer's snapshot file in the test network: the newest
// snapshot (its "file" is size bytes, all equal to the low byte of its
// index, so a chunk from another snapshot shows), and the install in
// progress.
type fakeDisk struct {
	snap     *rafterpb.SnapshotMeta
	partial  []byte
	partOf   [2]uint64 // index, term of the partial install
	restored []uint64  // the snapshot indexes the state machine was restored from
}

const fakeSnapSize = 10

func (n *network) disk(name string) *fakeDisk {
	if n.disks[name] == nil {
		n.disks[name] = &fakeDisk{}
	}
	return n.disks[name]
}

// snapshotEffects saves Ready.Snapshot at once and fills the data of the
// InstallSnapshot chunks the Ready sends.
func (n *network) snapshotEffects(name string, rd Ready) {
	d, c := n.disk(name), n.cores[name]
	if s := rd.Snapshot; s != nil {
		saved := &rafterpb.SnapshotMeta{Index: s.Index, Term: s.Term, Config: s.Config, Size: fakeSnapSize}
		d.snap = saved
		defer c.SnapshotSaved(saved, nil)
	}
	for _, m := range rd.Messages {
		in := m.GetInstallSnapshot()
		if in == nil {
			continue
		}
		require.Equal(n.t, d.snap.GetIndex(), in.GetLastIncludedIndex(), "%s sends a snapshot it does not have", name)
		end := min(in.GetOffset()+in.GetTotalSize(), in.GetTotalSize()) // chunk bytes are capped by the options
		end = min(end, in.GetOffset()+c.opts.SnapshotChunkBytes)
		in.Data = make([]byte, end-in.GetOffset())
		for i := range in.Data {
			in.Data[i] = byte(in.GetLastIncludedIndex())
		}
		in.Done = end == in.GetTotalSize()
	}
}

// installs plays the log server for the received chunks.
func (n *network) installs(name string, rd Ready) {
	d, c := n.disk(name), n.cores[name]
	for _, ch := range rd.Install {
		in := ch.Msg
		key := [2]uint64{in.GetLastIncludedIndex(), in.GetLastIncludedTerm()}
		if key != d.partOf {
			d.partial, d.partOf = nil, key
		}
		r := InstallReply{NextOffset: uint64(len(d.partial))}
		if in.GetOffset() == uint64(len(d.partial)) {
			for _, b := range in.GetData() {
				require.Equal(n.t, byte(in.GetLastIncludedIndex()), b, "%s got a chunk of another snapshot", name)
			}
			d.partial = append(d.partial, in.GetData()...)
			r.NextOffset = uint64(len(d.partial))
			if r.NextOffset == in.GetTotalSize() {
				// Find the configuration in force at the index from the
				// sender's own snapshot: the file's header holds it.
				sender := n.disk(ch.From.GetName()).snap
				r.Done, r.Snapshot = true, &rafterpb.SnapshotMeta{Index: key[0], Term: key[1],
					Config: sender.GetConfig(), Size: in.GetTotalSize()}
				d.snap, d.partial, d.partOf = r.Snapshot, nil, [2]uint64{}
			}
		}
		if c.InstallProgress(ch, r) {
			d.restored = append(d.restored, key[0])
		}
	}
}

func propose(n *network, leader string, k int) {
	for i := range k {
		n.core(leader).Propose(RequestID(1000+i), []byte(fmt.Sprint(i)))
		n.drain(leader)
	}
	n.stabilize()
	n.tick(leader) // a heartbeat carries the commit index to the followers
}

// The leader snapshots every few entries and keeps TrailingEntries; a
// follower cut off meanwhile catches up by snapshot, restores it once, then
// by entries, and memory stays bounded.
func TestSnapshot_LaggingFollowerInstalls(t *testing.T) {
	n := newNetwork(t, []string{"a", "b", "c"}, netOpt{cfg: func(o *Options) {
		o.SnapshotEntries, o.TrailingEntries, o.SnapshotChunkBytes, o.MaxSnapshotInflight = 5, 2, 3, 2
	}})
	n.elect("a")
	n.isolate("c")
	propose(n, "a", 40)
	a := n.core("a").Status()
	require.Greater(t, a.SnapshotIndex, uint64(30))
	assert.LessOrEqual(t, a.LastIndex-a.FirstIndex+1, uint64(5+2+1), "memory bounded by SnapshotEntries+TrailingEntries")
	b := n.core("b").Status()
	assert.Greater(t, b.SnapshotIndex, uint64(30), "followers snapshot on their own")
	assert.Greater(t, b.FirstIndex, uint64(20))

	n.heal()
	for range 3 {
		n.tick("a")
	}
	c := n.core("c").Status()
	require.Equal(t, a.LastIndex, c.LastIndex)
	require.Equal(t, a.CommitIndex, c.CommitIndex)
	require.Len(t, n.disk("c").restored, 1)
	assert.Equal(t, uint64(1), n.core("a").Status().SnapshotsSent)
	assert.Zero(t, n.core("a").Status().RepeatedSnapshots)
	// It keeps replicating, and applies exactly what follows its snapshot.
	n.committed["c"] = nil
	propose(n, "a", 3)
	assert.Equal(t, n.core("a").Status().LastIndex, n.core("c").Status().LastIndex)
	require.NotEmpty(t, n.committed["c"])
	assert.Equal(t, max(n.disk("c").restored[0], c.CommitIndex)+1, n.committed["c"][0].Entry.GetIndex())
}

// A follower that has installed a snapshot and has not yet caught up on
// the entries after it keeps them on the leader across the leader's next
// snapshots (up to the bound a transfer's floor has): cutting them would
// send it a second snapshot at once, and a follower with a slow restore
// behind a busy leader could then install snapshots for ever.
func TestSnapshot_InstalledFollowerKeepsItsEntries(t *testing.T) {
	n := newNetwork(t, []string{"a", "b", "c"}, netOpt{cfg: func(o *Options) {
		o.SnapshotEntries, o.TrailingEntries, o.SnapshotChunkBytes = 5, 2, 1000
	}})
	n.elect("a")
	n.isolate("c")
	propose(n, "a", 20)
	n.heal()
	// c gets the snapshot, but no entry after it yet.
	n.filter = func(m *rafterpb.RaftMessage) bool {
		return m.GetTo().GetName() == "c" && len(m.GetAppendEntries().GetEntries()) > 0
	}
	for range 3 {
		n.tick("a")
	}
	installed := n.core("c").Status().SnapshotIndex
	require.Len(t, n.disk("c").restored, 1, "c installed the leader's snapshot")
	propose(n, "a", 15) // the leader snapshots three more times
	a := n.core("a").Status()
	require.Greater(t, a.SnapshotIndex, installed+10)
	assert.LessOrEqual(t, a.FirstIndex, installed+1, "the entries c needs next are kept")

	n.filter = nil
	for range 3 {
		n.tick("a")
	}
	a = n.core("a").Status()
	assert.Equal(t, a.LastIndex, n.core("c").Status().LastIndex, "c caught up by entries")
	assert.Equal(t, uint64(1), a.SnapshotsSent)
	assert.Zero(t, a.RepeatedSnapshots)
	assert.Len(t, n.disk("c").restored, 1)
}

// Lost chunks are sent again from the offset the follower expects.
func TestSnapshot_LostChunksResent(t *testing.T) {
	n := newNetwork(t, []string{"a", "b", "c"}, netOpt{cfg: func(o *Options) {
		o.SnapshotEntries, o.TrailingEntries, o.SnapshotChunkBytes, o.MaxSnapshotInflight = 4, 0, 2, 3
	}})
	n.elect("a")
	n.isolate("c")
	propose(n, "a", 20)
	n.heal()
	dropped := 0
	n.filter = func(m *rafterpb.RaftMessage) bool {
		if in := m.GetInstallSnapshot(); in != nil && in.GetOffset() == 4 && dropped < 2 {
			dropped++
			return true
		}
		return false
	}
	for i := 0; n.core("c").Status().LastIndex != n.core("a").Status().LastIndex; i++ {
		require.Less(t, i, 50, "c never catches up")
		n.tick("a")
	}
	assert.Equal(t, 2, dropped)
	assert.Len(t, n.disk("c").restored, 1)
}

// A restart from a snapshot starts with it committed and applied, and hands
// out only the entries after it.
func TestSnapshot_RestartFromSnapshot(t *testing.T) {
	conf := stableEntry("a", "b", "c").GetConfig()
	r := Restored{
		Meta:     &rafterpb.Meta{Term: 3},
		Snapshot: &rafterpb.SnapshotMeta{Index: 10, Term: 2, Config: conf, Size: 7},
		Entries:  opEntries(11, 12, 3),
	}
	c, err := New(testConfig("b", 1), r)
	require.NoError(t, err)
	st := c.Status()
	assert.Equal(t, uint64(10), st.CommitIndex)
	assert.Equal(t, uint64(10), st.Applied)
	assert.Equal(t, uint64(11), st.FirstIndex)
	assert.Equal(t, uint64(12), st.LastIndex)
	assert.True(t, st.Member)

	_, err = New(testConfig("b", 1), Restored{Meta: r.Meta, Snapshot: r.Snapshot, Entries: opEntries(12, 12, 3)})
	assert.ErrorIs(t, err, ErrInvalidRestored, "a gap after the snapshot")
	_, err = New(testConfig("b", 1), Restored{Meta: &rafterpb.Meta{Term: 1}, Snapshot: r.Snapshot})
	assert.ErrorIs(t, err, ErrInvalidRestored, "a snapshot term above the stored term")
}

// ForceSnapshot answers once a snapshot at the applied index is durable.
func TestSnapshot_Force(t *testing.T) {
	n := newNetwork(t, []string{"a", "b", "c"}, netOpt{})
	n.elect("a")
	propose(n, "a", 3)
	a := n.core("a")
	a.ForceSnapshot(7)
	n.drain("a")
	r, ok := n.result("a", 7)
	require.True(t, ok)
	require.NoError(t, r.Err)
	assert.Equal(t, a.Status().Applied, r.Index)
	assert.Equal(t, r.Index, a.Status().SnapshotIndex)
}
