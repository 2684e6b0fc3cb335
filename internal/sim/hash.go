package sim

import (
	"github.com/rafter-go/rafter/rafterpb"
)

// FNV-1a over 64-bit words: a stable hash, the same on every run and
// platform (hash/maphash is seeded per process).
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func mix(h uint64, vs ...uint64) uint64 {
	if h == 0 {
		h = fnvOffset
	}
	for _, v := range vs {
		for i := 0; i < 8; i++ {
			h ^= v & 0xff
			h *= fnvPrime
			v >>= 8
		}
	}
	return h
}

func mixString(h uint64, s string) uint64 {
	if h == 0 {
		h = fnvOffset
	}
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= fnvPrime
	}
	return mix(h, uint64(len(s)))
}

func entryHash(e *rafterpb.Entry) uint64 {
	h := mix(0, e.GetTerm(), e.GetIndex(), uint64(e.GetType()))
	h = mixString(h, string(e.GetCmd()))
	if e.GetClientId() != 0 || e.GetStamp() != 0 { // a session entry (session.go)
		h = mix(h, e.GetClientId(), e.GetSequence(), e.GetSessionFloor(), e.GetStamp())
	}
	if c := e.GetConfig(); c != nil {
		h = mix(h, uint64(c.GetState()))
		for _, p := range c.GetOldServers() {
			h = mixString(h, "o"+p.GetName()+"@"+p.GetNode())
		}
		for _, p := range c.GetNewServers() {
			h = mixString(h, "n"+p.GetName()+"@"+p.GetNode())
		}
		for _, p := range c.GetLearners() {
			h = mixString(h, "l"+p.GetName()+"@"+p.GetNode())
		}
	}
	return h
}

// msgHash summarises a message for the trace hash.
func msgHash(m *rafterpb.RaftMessage) uint64 {
	h := mixString(0, m.GetFrom().GetName()+">"+m.GetTo().GetName())
	h = mix(h, m.GetTerm())
	switch b := m.GetBody().(type) {
	case *rafterpb.RaftMessage_RequestVote:
		h = mix(h, 1, b.RequestVote.GetLastLogIndex(), b.RequestVote.GetLastLogTerm(), boolU(b.RequestVote.GetPreVote()))
	case *rafterpb.RaftMessage_Vote:
		h = mix(h, 2, boolU(b.Vote.GetGranted()), boolU(b.Vote.GetPreVote()))
	case *rafterpb.RaftMessage_AppendEntries:
		a := b.AppendEntries
		h = mix(h, 3, a.GetPrevLogIndex(), a.GetPrevLogTerm(), a.GetCommitIndex(), a.GetSendClock(), uint64(len(a.GetEntries())))
		for _, e := range a.GetEntries() {
			h = mix(h, entryHash(e))
		}
	case *rafterpb.RaftMessage_AppendEntriesReply:
		r := b.AppendEntriesReply
		h = mix(h, 4, boolU(r.GetSuccess()), r.GetIndex(), r.GetSendClock(), r.GetRejectHintIndex(), r.GetRejectHintTerm())
	default:
		h = mix(h, 5)
	}
	return h
}

func boolU(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}
