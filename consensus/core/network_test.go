package core

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rafter-go/rafter/config"
	"github.com/rafter-go/rafter/rafterpb"
)

// network is a tiny in-test cluster: it routes Ready messages between cores
// in rounds, acknowledges persistence at once (unless held), and records
// what each core handed to its shell. No goroutines, no clocks.
type network struct {
	t      testing.TB
	names  []string
	cores  map[string]*Core
	queue  []*rafterpb.RaftMessage
	cut    map[[2]string]bool // directed links that drop messages
	hold   map[string]bool    // peers whose Persisted acks are withheld
	filter func(m *rafterpb.RaftMessage) bool

	committed map[string][]Committed
	reads     map[string][]ReadState
	results   map[string][]Result
	sent      []*rafterpb.RaftMessage // every message delivered, in order
	// disks model each peer's snapshot file and install (snapshot_test.go).
	disks map[string]*fakeDisk
}

func peer(name string) *rafterpb.Peer { return &rafterpb.Peer{Name: name} }

func peers(names ...string) []*rafterpb.Peer {
	out := make([]*rafterpb.Peer, len(names))
	for i, n := range names {
		out[i] = peer(n)
	}
	return out
}

func testConfig(name string, seed int64) Options {
	return Options{
		ID: peer(name), ElectionTicks: 10, HeartbeatTicks: 1, Seed: seed,
		MaxMsgEntries: 64, MaxMsgBytes: 1 << 20, MaxInflight: 16,
	}
}

// stableEntry is index 1 of a configured cluster's log.
func stableEntry(names ...string) *rafterpb.Entry {
	return &rafterpb.Entry{Term: 1, Index: 1, Type: rafterpb.EntryType_ENTRY_TYPE_CONFIG,
		Config: &rafterpb.Config{State: rafterpb.ConfigState_CONFIG_STATE_STABLE, OldServers: peers(names...)}}
}

// configured is the restored state of a member of a fresh cluster whose
// stable configuration (index 1, term 1) is committed.
func configured(names ...string) Restored {
	return Restored{Meta: &rafterpb.Meta{Term: 1}, Entries: []*rafterpb.Entry{stableEntry(names...)}}
}

// opEntries makes entries lo..hi of term t.
func opEntries(lo, hi, t uint64) []*rafterpb.Entry {
	var out []*rafterpb.Entry
	for i := lo; i <= hi; i++ {
		out = append(out, &rafterpb.Entry{Term: t, Index: i, Type: rafterpb.EntryType_ENTRY_TYPE_OP, Cmd: []byte("x")})
	}
	return out
}

type netOpt struct {
	cfg      func(*Options)
	restored map[string]Restored // default: configured(all names)
}

func newNetwork(t testing.TB, names []string, o netOpt) *network {
	n := &network{
		t: t, names: names, cores: map[string]*Core{},
		cut: map[[2]string]bool{}, hold: map[string]bool{},
		committed: map[string][]Committed{}, reads: map[string][]ReadState{}, results: map[string][]Result{},
		disks: map[string]*fakeDisk{},
	}
	for i, name := range names {
		cfg := testConfig(name, int64(i+1))
		if o.cfg != nil {
			o.cfg(&cfg)
		}
		r, ok := o.restored[name]
		if !ok {
			r = configured(names...)
		}
		c, err := New(cfg, r)
		require.NoError(t, err)
		n.cores[name] = c
	}
	return n
}

// add starts one more (blank) peer.
func (n *network) add(name string, o netOpt) {
	cfg := testConfig(name, int64(len(n.names)+1))
	if o.cfg != nil {
		o.cfg(&cfg)
	}
	c, err := New(cfg, Restored{})
	require.NoError(n.t, err)
	n.names = append(n.names, name)
	n.cores[name] = c
}

func (n *network) core(name string) *Core { return n.cores[name] }

// drain executes the core's Readies until it has nothing left.
func (n *network) drain(name string) {
	c := n.cores[name]
	for c.HasReady() {
		rd := c.Ready()
		n.snapshotEffects(name, rd)
		n.queue = append(n.queue, rd.Messages...)
		n.queue = append(n.queue, rd.MessagesAfterPersist...)
		n.committed[name] = append(n.committed[name], rd.Committed...)
		n.reads[name] = append(n.reads[name], rd.Reads...)
		n.results[name] = append(n.results[name], rd.Results...)
		c.Advance(rd)
		if k := len(rd.Entries); k > 0 && !n.hold[name] {
			c.Persisted(rd.Entries[k-1].GetIndex(), rd.Entries[k-1].GetTerm())
		}
		n.installs(name, rd)
	}
}

func (n *network) drainAll() {
	for _, name := range n.names {
		n.drain(name)
	}
}

// persist releases a held peer's acknowledgement of its whole log.
func (n *network) persist(name string) {
	c := n.cores[name]
	c.Persisted(c.log.lastIndex(), c.log.lastTerm())
	n.drain(name)
}

func (n *network) blocked(m *rafterpb.RaftMessage) bool {
	from, to := m.GetFrom().GetName(), m.GetTo().GetName()
	return n.cut[[2]string{from, to}] || n.cores[to] == nil || (n.filter != nil && n.filter(m))
}

// deliverRound delivers the messages queued now (not those they cause) and
// returns how many were delivered.
func (n *network) deliverRound() int {
	n.drainAll()
	q := n.queue
	n.queue = nil
	delivered := 0
	for _, m := range q {
		if n.blocked(m) {
			continue
		}
		delivered++
		n.sent = append(n.sent, m)
		to := m.GetTo().GetName()
		require.NoError(n.t, n.cores[to].Step(m))
		n.drain(to)
	}
	n.drainAll()
	n.checkOneLeaderPerTerm()
	return delivered
}

// stabilize delivers rounds until no message is in flight; it returns the
// number of rounds.
func (n *network) stabilize() int {
	rounds := 0
	n.drainAll()
	for len(n.queue) > 0 {
		n.deliverRound()
		rounds++
		require.Less(n.t, rounds, 100000, "network does not settle")
	}
	return rounds
}

func (n *network) checkOneLeaderPerTerm() {
	leaders := map[uint64]string{}
	for _, name := range n.names {
		st := n.cores[name].Status()
		if st.Role != Leader {
			continue
		}
		other, ok := leaders[st.Term]
		require.False(n.t, ok, "two leaders in term %d: %s and %s", st.Term, other, name)
		leaders[st.Term] = name
	}
}

// tick ticks the named cores (all if none) once and settles the network.
func (n *network) tick(names ...string) {
	if len(names) == 0 {
		names = n.names
	}
	for _, name := range names {
		n.cores[name].Tick()
		n.drain(name)
	}
	n.stabilize()
}

// elect ticks only name until it is the leader.
func (n *network) elect(name string) {
	for i := 0; n.cores[name].Status().Role != Leader; i++ {
		require.Less(n.t, i, 1000, "%s not elected", name)
		n.tick(name)
	}
}

// isolate cuts every link to and from name; heal restores all links.
func (n *network) isolate(name string) {
	for _, o := range n.names {
		if o != name {
			n.cut[[2]string{name, o}] = true
			n.cut[[2]string{o, name}] = true
		}
	}
}

func (n *network) heal() { n.cut = map[[2]string]bool{} }

func (n *network) leaderOf(name string) string { return n.cores[name].Status().Leader.GetName() }

// lastResult is the latest Result of request id on name.
func (n *network) result(name string, id RequestID) (Result, bool) {
	for i := len(n.results[name]) - 1; i >= 0; i-- {
		if n.results[name][i].ID == id {
			return n.results[name][i], true
		}
	}
	return Result{}, false
}

func keyOf(name string) string { return config.PeerKey(peer(name)) }
