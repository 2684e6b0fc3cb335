package sim

import (
	"fmt"

	"github.com/rafter-go/rafter/rafterpb"
)

// Deep copies of the messages that cross the simulated network, written out
// by hand: proto.Clone works by reflection and took a quarter of the
// simulator's time. TestCloneCoversEveryField fails if a field is added to
// rafter.proto and not copied here.

func clonePeer(p *rafterpb.Peer) *rafterpb.Peer {
	if p == nil {
		return nil
	}
	return &rafterpb.Peer{Name: p.Name, Node: p.Node}
}

func cloneConfig(c *rafterpb.Config) *rafterpb.Config {
	if c == nil {
		return nil
	}
	out := &rafterpb.Config{State: c.State, ClusterId: c.ClusterId}
	if c.OldServers != nil {
		out.OldServers = clonePeers(c.OldServers)
	}
	if c.Learners != nil {
		out.Learners = clonePeers(c.Learners)
	}
	if c.NewServers != nil {
		out.NewServers = clonePeers(c.NewServers)
	}
	return out
}

func cloneEntry(e *rafterpb.Entry) *rafterpb.Entry {
	if e == nil {
		return nil
	}
	out := &rafterpb.Entry{Term: e.Term, Index: e.Index, Type: e.Type, Config: cloneConfig(e.Config),
		ClientId: e.ClientId, Sequence: e.Sequence, SessionFloor: e.SessionFloor, Stamp: e.Stamp}
	if e.Cmd != nil {
		out.Cmd = append([]byte{}, e.Cmd...)
	}
	return out
}

func cloneEntries(es []*rafterpb.Entry) []*rafterpb.Entry {
	if es == nil {
		return nil
	}
	out := make([]*rafterpb.Entry, len(es))
	for i, e := range es {
		out[i] = cloneEntry(e)
	}
	return out
}

func cloneMeta(m *rafterpb.Meta) *rafterpb.Meta {
	if m == nil {
		return nil
	}
	return &rafterpb.Meta{Term: m.Term, VotedFor: clonePeer(m.VotedFor)}
}

func cloneMsg(m *rafterpb.RaftMessage) *rafterpb.RaftMessage {
	out := &rafterpb.RaftMessage{From: clonePeer(m.From), To: clonePeer(m.To), Term: m.Term, ClusterId: m.ClusterId}
	switch b := m.Body.(type) {
	case nil:
	case *rafterpb.RaftMessage_RequestVote:
		v := b.RequestVote
		if v != nil {
			v = &rafterpb.RequestVote{LastLogIndex: v.LastLogIndex, LastLogTerm: v.LastLogTerm, PreVote: v.PreVote, Transfer: v.Transfer}
		}
		out.Body = &rafterpb.RaftMessage_RequestVote{RequestVote: v}
	case *rafterpb.RaftMessage_Vote:
		v := b.Vote
		if v != nil {
			v = &rafterpb.Vote{Granted: v.Granted, PreVote: v.PreVote}
		}
		out.Body = &rafterpb.RaftMessage_Vote{Vote: v}
	case *rafterpb.RaftMessage_AppendEntries:
		a := b.AppendEntries
		if a != nil {
			a = &rafterpb.AppendEntries{PrevLogIndex: a.PrevLogIndex, PrevLogTerm: a.PrevLogTerm,
				Entries: cloneEntries(a.Entries), CommitIndex: a.CommitIndex, SendClock: a.SendClock}
		}
		out.Body = &rafterpb.RaftMessage_AppendEntries{AppendEntries: a}
	case *rafterpb.RaftMessage_AppendEntriesReply:
		r := b.AppendEntriesReply
		if r != nil {
			r = &rafterpb.AppendEntriesReply{Success: r.Success, Index: r.Index, SendClock: r.SendClock,
				RejectHintIndex: r.RejectHintIndex, RejectHintTerm: r.RejectHintTerm}
		}
		out.Body = &rafterpb.RaftMessage_AppendEntriesReply{AppendEntriesReply: r}
	case *rafterpb.RaftMessage_TimeoutNow:
		t := b.TimeoutNow
		if t != nil {
			t = &rafterpb.TimeoutNow{}
		}
		out.Body = &rafterpb.RaftMessage_TimeoutNow{TimeoutNow: t}
	case *rafterpb.RaftMessage_InstallSnapshot:
		s := b.InstallSnapshot
		if s != nil {
			s = &rafterpb.InstallSnapshot{LastIncludedIndex: s.LastIncludedIndex, LastIncludedTerm: s.LastIncludedTerm,
				Config: cloneConfig(s.Config), Offset: s.Offset, Data: append([]byte(nil), s.Data...), Done: s.Done,
				TotalSize: s.TotalSize}
		}
		out.Body = &rafterpb.RaftMessage_InstallSnapshot{InstallSnapshot: s}
	case *rafterpb.RaftMessage_InstallSnapshotReply:
		r := b.InstallSnapshotReply
		if r != nil {
			r = &rafterpb.InstallSnapshotReply{LastIncludedIndex: r.LastIncludedIndex, Success: r.Success,
				NextOffset: r.NextOffset, Done: r.Done, LastIncludedTerm: r.LastIncludedTerm, Offset: r.Offset}
		}
		out.Body = &rafterpb.RaftMessage_InstallSnapshotReply{InstallSnapshotReply: r}
	default:
		panic(fmt.Sprintf("sim: cloneMsg: unknown body %T", b))
	}
	return out
}
