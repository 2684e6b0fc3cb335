package core

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rafter-go/rafter/rafterpb"
)

// ownershipShell drives one leader core as a shell would, but with every
// report in a random order: Readies built and advanced late and several at
// a time, Persisted for any durable prefix, peer messages delivered out of
// order. It keeps its own applied index (what its state machine holds) and
// checks each read against it: the shell holds no read buffer of its own,
// so a read the core releases must be answerable at once.
type ownershipShell struct {
	t   *testing.T
	rng *rand.Rand
	n   *network
	a   *Core

	queue    []*rafterpb.RaftMessage // in flight, to any peer
	readies  []Ready                 // built, not yet advanced
	applied  uint64                  // the shell's state machine
	handed   []*rafterpb.Entry       // given to the log server, in order
	nextID   RequestID
	floor    map[RequestID]uint64 // read -> commit index when it was asked
	ended    map[RequestID]string // read -> how it ended
	reads    int
	released int
}

func newOwnershipShell(t *testing.T, seed uint64) *ownershipShell {
	n := newNetwork(t, []string{"a", "b", "c"}, netOpt{})
	n.elect("a")
	n.tick("a")
	s := &ownershipShell{t: t, rng: rand.New(rand.NewPCG(seed, seed)), n: n, a: n.core("a"),
		floor: map[RequestID]uint64{}, ended: map[RequestID]string{}}
	s.applied = s.a.Status().Applied
	require.Equal(t, s.a.Status().CommitIndex, s.applied, "setup drained a")
	return s
}

// buildReady takes a Ready and checks the reads it releases.
func (s *ownershipShell) buildReady() {
	if !s.a.HasReady() {
		return
	}
	rd := s.a.Ready()
	require.Equal(s.t, s.a.Status().CommitIndex, rd.Commit)
	for _, r := range rd.Reads {
		require.Contains(s.t, s.floor, r.ID, "released a read never asked")
		require.Empty(s.t, s.ended[r.ID], "read %d released twice", r.ID)
		s.ended[r.ID] = "released"
		s.released++
		require.GreaterOrEqual(s.t, r.Index, s.floor[r.ID], "read %d below the commit index it was asked at", r.ID)
		require.LessOrEqual(s.t, r.Index, s.applied, "read %d released before the shell applied its index", r.ID)
	}
	for _, r := range rd.Results {
		if _, isRead := s.floor[r.ID]; isRead {
			require.Empty(s.t, s.ended[r.ID], "read %d ended twice", r.ID)
			s.ended[r.ID] = "failed"
		}
	}
	s.queue = append(s.queue, rd.Messages...)
	s.queue = append(s.queue, rd.MessagesAfterPersist...)
	s.handed = append(s.handed, rd.Entries...)
	s.readies = append(s.readies, rd)
}

// advanceOldest applies the oldest built Ready and reports it.
func (s *ownershipShell) advanceOldest() {
	if len(s.readies) == 0 {
		return
	}
	rd := s.readies[0]
	s.readies = s.readies[1:]
	for _, c := range rd.Committed {
		require.Equal(s.t, s.applied+1, c.Entry.GetIndex(), "applied out of order")
		s.applied = c.Entry.GetIndex()
	}
	s.a.Advance(rd)
	require.Equal(s.t, s.applied, s.a.Status().Applied, "core and shell disagree on applied")
}

// persistSome reports a random prefix of what was handed out as durable.
func (s *ownershipShell) persistSome() {
	if len(s.handed) == 0 {
		return
	}
	e := s.handed[s.rng.IntN(len(s.handed))]
	s.a.Persisted(e.GetIndex(), e.GetTerm())
}

// deliverOne delivers a random message in flight.
func (s *ownershipShell) deliverOne() {
	if len(s.queue) == 0 {
		return
	}
	i := s.rng.IntN(len(s.queue))
	m := s.queue[i]
	s.queue = append(s.queue[:i], s.queue[i+1:]...)
	to := m.GetTo().GetName()
	require.NoError(s.t, s.n.core(to).Step(m))
	if to != "a" {
		s.n.drain(to)
		s.queue = append(s.queue, s.n.queue...)
		s.n.queue = nil
	}
}

func (s *ownershipShell) step() {
	switch s.rng.IntN(8) {
	case 0:
		s.nextID++
		s.a.Propose(s.nextID, []byte("w"))
	case 1:
		s.nextID++
		s.floor[s.nextID] = s.a.Status().CommitIndex
		s.reads++
		s.a.Read(s.nextID)
	case 2:
		s.buildReady()
	case 3:
		s.advanceOldest()
	case 4:
		s.persistSome()
	default:
		s.deliverOne()
	}
}

// settle runs every report to the end.
func (s *ownershipShell) settle() {
	for range 10000 {
		for len(s.queue) > 0 {
			s.deliverOne()
		}
		if len(s.handed) > 0 {
			last := s.handed[len(s.handed)-1]
			s.a.Persisted(last.GetIndex(), last.GetTerm())
		}
		s.buildReady()
		for len(s.readies) > 0 {
			s.advanceOldest()
		}
		if !s.a.HasReady() && len(s.queue) == 0 {
			return
		}
	}
	s.t.Fatal("the leader does not settle")
}

// Each index has one owner (core/api.go): the shell keeps no applied index
// or read buffer of its own, and however the reports interleave, every read
// is released exactly once, at an index at or above the commit index it was
// asked at, and only once the shell has applied that index.
func TestOwnership_ReadsReleasedOnceAtTheRightIndex(t *testing.T) {
	for seed := range uint64(300) {
		s := newOwnershipShell(t, seed)
		for range 300 {
			s.step()
		}
		s.settle()
		require.Equal(t, Leader, s.a.Status().Role, "seed %d: no ticks, so no step-down", seed)
		require.Len(t, s.ended, s.reads, "seed %d: every read ends", seed)
		for id, how := range s.ended {
			require.Equal(t, "released", how, "seed %d: read %d", seed, id)
		}
		require.Equal(t, s.a.Status().CommitIndex, s.applied, "seed %d", seed)
	}
}
