// Package cluster starts whole rafter clusters for tests: N peers with the
// echo state machine and real data directories under t.TempDir(), either
// all in one System or one System per peer on 127.0.0.1 ports, and offers
// the polling helpers the tests share (wait for a leader, wait until every
// log is the same, read a whole log back).
//
//	c := cluster.Start(t, cluster.Config{N: 3})
//	c.Bootstrap()           // System.Bootstrap of all peers (Configure: legacy SetConfig)
//	leader := c.WaitLeader()
//	_, err := c.Client().Op(ctx, leader, []byte("x"))
//
// Everything is torn down by t.Cleanup. Polls use deadlines, never sleeps
// as synchronisation.
package cluster

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rafter-go/rafter"
	"github.com/rafter-go/rafter/internal/echo"
	"github.com/rafter-go/rafter/rafterpb"
)

// Config describes a test cluster.
type Config struct {
	// N is the number of peers started.
	N int
	// Remote puts each peer in its own System listening on 127.0.0.1:0,
	// plus a fourth, peerless client System; otherwise all peers share one
	// local System, which is also the client.
	Remote bool
	// Interceptor is installed in every System.
	Interceptor rafter.Interceptor
	// Options adjusts each peer's options (after the fast test defaults).
	Options func(i int, o *rafter.Options)
	// Logger receives every System's logs; nil discards them.
	Logger *slog.Logger
	// System adjusts the options of System i (i == N: the client System of
	// a remote cluster), e.g. to give each its TLS certificate.
	System func(i int, o *rafter.SystemOptions)
}

// Fast timing for tests: short enough for a quick suite, long enough for a
// loaded 2-core machine running -race.
const (
	Heartbeat   = 20 * time.Millisecond
	ElectionMin = 200 * time.Millisecond
	// Patience bounds the polls of the helpers.
	Patience = 20 * time.Second
)

// Cluster is a running test cluster.
type Cluster struct {
	t       testing.TB
	cfg     Config
	Peers   []rafter.Peer
	Systems []*rafter.System // Systems[i] hosts Peers[i] (all the same when local)
	Dirs    []string
	Opts    []rafter.Options
	client  *rafter.System
}

// Start starts the Systems and the N peers (blank, not configured).
func Start(t testing.TB, cfg Config) *Cluster {
	t.Helper()
	c := &Cluster{t: t, cfg: cfg}
	// Made before any System registers its Shutdown cleanup: cleanups run
	// last-registered first, so the Systems stop (and close their files)
	// before the directory is removed.
	base := t.TempDir()
	if !cfg.Remote {
		s := c.newSystem(0, "")
		c.client = s
	}
	for i := range cfg.N {
		s := c.client
		if cfg.Remote {
			s = c.newSystem(i, "127.0.0.1:0")
		}
		p := rafter.Peer{Name: fmt.Sprintf("p%d", i+1), Node: s.Address()}
		o := rafter.DefaultOptions()
		o.DataDir = filepath.Join(base, p.Name)
		o.StateMachine = func() rafter.StateMachine { return echo.New() }
		o.HeartbeatInterval = Heartbeat
		o.ElectionTimeoutMin = ElectionMin
		o.ElectionTimeoutMax = 2 * ElectionMin
		if cfg.Options != nil {
			cfg.Options(i, &o)
		}
		c.Peers = append(c.Peers, p)
		c.Systems = append(c.Systems, s)
		c.Dirs = append(c.Dirs, o.DataDir)
		c.Opts = append(c.Opts, o)
		require.NoError(t, s.StartNode(p, o), "start %s", p)
	}
	if cfg.Remote {
		c.client = c.newSystem(cfg.N, "127.0.0.1:0")
	}
	return c
}

func (c *Cluster) newSystem(i int, listen string) *rafter.System {
	o := rafter.SystemOptions{
		ListenAddr: listen, Logger: c.cfg.Logger, Interceptor: c.cfg.Interceptor,
	}
	if c.cfg.System != nil {
		c.cfg.System(i, &o)
	}
	s, err := rafter.NewSystem(o)
	require.NoError(c.t, err)
	c.t.Cleanup(func() { _ = s.Shutdown() })
	return s
}

// Client is the System tests call through: the shared System, or the
// peerless fourth System of a remote cluster.
func (c *Cluster) Client() *rafter.System { return c.client }

// Index returns the position of p in Peers.
func (c *Cluster) Index(p rafter.Peer) int {
	for i, q := range c.Peers {
		if q == p {
			return i
		}
	}
	c.t.Fatalf("cluster: unknown peer %s", p)
	return -1
}

// SystemOf returns the System hosting p.
func (c *Cluster) SystemOf(p rafter.Peer) *rafter.System { return c.Systems[c.Index(p)] }

// Configure sets the initial configuration (all peers) via the first peer.
func (c *Cluster) Configure() {
	c.t.Helper()
	c.SetConfig(c.Peers[0], c.Peers)
}

// SetConfig retries SetConfig via via until it succeeds, retrying while the
// error is definite and transient (no leader yet, election running, a
// previous change still running).
func (c *Cluster) SetConfig(via rafter.Peer, peers []rafter.Peer) {
	c.t.Helper()
	var last error
	ok := c.Poll(func(ctx context.Context) bool {
		last = c.client.SetConfig(ctx, via, peers)
		return last == nil
	})
	require.True(c.t, ok, "set config via %s: %v", via, last)
}

// Poll calls f with a 2 s context until it returns true or Patience runs
// out; it reports whether f succeeded.
func (c *Cluster) Poll(f func(ctx context.Context) bool) bool {
	return c.PollEvery(2*time.Second, f)
}

// PollEvery is Poll with each attempt bounded by attempt: a request that
// raced with a kill is lost with the actor's mailbox and only times out.
func (c *Cluster) PollEvery(attempt time.Duration, f func(ctx context.Context) bool) bool {
	deadline := time.Now().Add(Patience)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), attempt)
		ok := f(ctx)
		cancel()
		if ok {
			return true
		}
		time.Sleep(10 * time.Millisecond) // poll interval, not synchronisation
	}
	return false
}

// WaitLeader waits until every peer in peers (default: all) that answers
// names the same leader, which itself reports the leader role; it returns
// that leader.
func (c *Cluster) WaitLeader(peers ...rafter.Peer) rafter.Peer {
	c.t.Helper()
	if len(peers) == 0 {
		peers = c.Peers
	}
	var leader rafter.Peer
	ok := c.Poll(func(ctx context.Context) bool {
		leader = rafter.Peer{}
		for _, p := range peers {
			st, err := c.client.Status(ctx, p)
			if err != nil || st.Leader.IsZero() {
				return false
			}
			if leader.IsZero() {
				leader = st.Leader
			} else if leader != st.Leader {
				return false
			}
		}
		st, err := c.client.Status(ctx, leader)
		return err == nil && st.Role == rafter.Leader
	})
	require.True(c.t, ok, "no agreed leader among %v", peers)
	return leader
}

// WaitConverged waits until every peer in peers (default: all) has the
// same last index and term and has committed and applied it. It returns
// the last entry, read from the first peer whose log still holds it (nil
// if every log ends in a snapshot: compaction took the entry).
func (c *Cluster) WaitConverged(peers ...rafter.Peer) *rafterpb.Entry {
	c.t.Helper()
	if len(peers) == 0 {
		peers = c.Peers
	}
	var last rafter.Status
	var why string
	ok := c.Poll(func(ctx context.Context) bool {
		for i, p := range peers {
			st, err := c.client.Status(ctx, p)
			if err != nil {
				why = err.Error()
				return false
			}
			if st.AppliedIndex != st.LastIndex || st.CommitIndex != st.LastIndex {
				why = fmt.Sprintf("%s: last %d, commit %d, applied %d", p, st.LastIndex, st.CommitIndex, st.AppliedIndex)
				return false
			}
			if i == 0 {
				last = st
			} else if last.LastIndex != st.LastIndex || last.LastTerm != st.LastTerm {
				why = fmt.Sprintf("%s: last entry %d/%d, others %d/%d", p, st.LastIndex, st.LastTerm, last.LastIndex, last.LastTerm)
				return false
			}
		}
		return true
	})
	require.True(c.t, ok, "peers %v did not converge: %s", peers, why)
	ctx, cancel := context.WithTimeout(context.Background(), Patience)
	defer cancel()
	for _, p := range peers {
		if e, err := c.client.GetEntry(ctx, p, last.LastIndex); err == nil {
			return e
		}
	}
	return nil
}

// Log reads p's whole log, entries 1..last, through GetEntry.
func (c *Cluster) Log(p rafter.Peer) []*rafterpb.Entry {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), Patience)
	defer cancel()
	last, err := c.client.GetLastEntry(ctx, p)
	require.NoError(c.t, err, "last entry of %s", p)
	out := make([]*rafterpb.Entry, 0, last.GetIndex())
	for i := uint64(1); i <= last.GetIndex(); i++ {
		e, err := c.client.GetEntry(ctx, p, i)
		require.NoError(c.t, err, "entry %d of %s", i, p)
		out = append(out, e)
	}
	return out
}

// Commands returns the Op commands in p's log, by index.
func (c *Cluster) Commands(p rafter.Peer) map[string]uint64 {
	out := make(map[string]uint64)
	for _, e := range c.Log(p) {
		if e.GetType() == rafterpb.EntryType_ENTRY_TYPE_OP {
			out[string(e.GetCmd())] = e.GetIndex()
		}
	}
	return out
}

// Restart stops p and starts it again on the same data directory.
func (c *Cluster) Restart(p rafter.Peer) {
	c.t.Helper()
	i := c.Index(p)
	require.NoError(c.t, c.Systems[i].StopNode(p), "stop %s", p)
	require.NoError(c.t, c.Systems[i].StartNode(p, c.Opts[i]), "restart %s", p)
}
