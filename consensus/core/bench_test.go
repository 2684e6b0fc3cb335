package core

import (
	"fmt"
	"testing"

	"github.com/rafter-go/rafter/rafterpb"
)

// BenchmarkLeaderPropose measures proposals per second through a leader with
// two in-memory followers at steady state: every batch proposals, the cores'
// Readies are executed (persistence acknowledged at once) and messages are
// routed until the network is quiet, so each op is a proposal committed on
// all three cores.
func BenchmarkLeaderPropose(b *testing.B) {
	for _, batch := range []int{1, 16, 256} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			n := newNetwork(b, []string{"a", "b", "c"}, netOpt{cfg: func(c *Options) {
				c.MaxMsgEntries, c.MaxInflight = 256, 64
			}})
			n.elect("a")
			n.tick("a")
			cores := []*Core{n.core("a"), n.core("b"), n.core("c")}
			byName := map[string]*Core{"a": cores[0], "b": cores[1], "c": cores[2]}
			var queue []*rafterpb.RaftMessage
			drain := func(c *Core) {
				for c.HasReady() {
					rd := c.Ready()
					queue = append(queue, rd.Messages...)
					queue = append(queue, rd.MessagesAfterPersist...)
					c.Advance(rd)
					if k := len(rd.Entries); k > 0 {
						c.Persisted(rd.Entries[k-1].GetIndex(), rd.Entries[k-1].GetTerm())
					}
				}
			}
			cmd := make([]byte, 16)
			leader := cores[0]
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				leader.Propose(RequestID(i+1), cmd)
				if (i+1)%batch != 0 && i != b.N-1 {
					continue
				}
				drain(leader)
				for len(queue) > 0 {
					q := queue
					queue = nil
					for _, m := range q {
						to := byName[m.GetTo().GetName()]
						if err := to.Step(m); err != nil {
							b.Fatal(err)
						}
						drain(to)
					}
				}
			}
			b.StopTimer()
			if got, want := leader.Status().CommitIndex, leader.Status().LastIndex; got != want {
				b.Fatalf("commit %d, last %d", got, want)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "proposals/s")
		})
	}
}

// BenchmarkFollowerAppend is a follower's core step for one AppendEntries
// of 64 new 100-byte entries: Step, Ready, Advance and the durability
// acknowledgement that releases its reply. Each op is one message. The log
// is never compacted here (no snapshots), so the growth of the core's entry
// slice is part of the figure, as it is between two compactions.
func BenchmarkFollowerAppend(b *testing.B) {
	n := newNetwork(b, []string{"a", "b", "c"}, netOpt{})
	n.elect("a")
	f := n.core("b")
	st := f.Status()
	cmd := make([]byte, 100)
	term, last := st.Term, st.LastIndex
	const batch = 64
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		es := make([]*rafterpb.Entry, batch)
		for i := range es {
			es[i] = &rafterpb.Entry{Term: term, Index: last + 1 + uint64(i), Type: rafterpb.EntryType_ENTRY_TYPE_OP, Cmd: cmd}
		}
		m := &rafterpb.RaftMessage{From: st.Leader, To: st.ID, Term: term, Body: &rafterpb.RaftMessage_AppendEntries{
			AppendEntries: &rafterpb.AppendEntries{PrevLogIndex: last, PrevLogTerm: term, Entries: es, CommitIndex: last}}}
		if err := f.Step(m); err != nil {
			b.Fatal(err)
		}
		for f.HasReady() {
			rd := f.Ready()
			f.Advance(rd)
			if k := len(rd.Entries); k > 0 {
				f.Persisted(rd.Entries[k-1].GetIndex(), rd.Entries[k-1].GetTerm())
			}
		}
		last += batch
	}
	b.StopTimer()
	if got := f.Status().LastIndex; got != last {
		b.Fatalf("last index %d, want %d", got, last)
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "entries/s")
}
