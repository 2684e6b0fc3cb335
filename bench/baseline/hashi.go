package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	raftwal "github.com/hashicorp/raft-wal"

	"github.com/rafter-go/rafter/examples/bench/benchkit"
)

// Timeouts of one run; generous because the machine may be loaded.
const (
	applyTimeout  = benchkit.OpTimeout // one raft.Apply, as one examples/bench operation
	leaderTimeout = 30 * time.Second   // electing the first leader
	tcpTimeout    = 10 * time.Second   // NetworkTransport I/O timeout
	tcpPool       = 3                  // NetworkTransport connections kept per peer
	logCacheSize  = 512                // raft.NewLogCache in front of raft-wal, as Consul runs it
)

// errNoLeader: no peer became leader within leaderTimeout.
var errNoLeader = errors.New("baseline: no leader")

// countingStore counts the StoreLog(s) batches and entries that reach the
// durable store (it sits below the LogCache, directly on raft-wal).
type countingStore struct {
	raft.LogStore
	batches, entries atomic.Uint64
}

func (c *countingStore) StoreLog(l *raft.Log) error {
	c.batches.Add(1)
	c.entries.Add(1)
	return c.LogStore.StoreLog(l)
}

func (c *countingStore) StoreLogs(ls []*raft.Log) error {
	c.batches.Add(1)
	c.entries.Add(uint64(len(ls)))
	return c.LogStore.StoreLogs(ls)
}

// IsMonotonic passes raft.MonotonicLogStore through: raft-wal is
// monotonic, and hashicorp/raft treats such a store differently after a
// snapshot restore.
func (c *countingStore) IsMonotonic() bool {
	m, ok := c.LogStore.(raft.MonotonicLogStore)
	return ok && m.IsMonotonic()
}

// stats are the cumulative (batches, entries) that reached the store.
func (c *countingStore) stats() (batches, entries uint64) { return c.batches.Load(), c.entries.Load() }

// peer is one running hashicorp/raft peer and what it must close.
type peer struct {
	r       *raft.Raft
	store   *countingStore
	closers []io.Closer
}

// close shuts the peer down and then its store and transport.
func (p *peer) close() {
	if p.r != nil {
		_ = p.r.Shutdown().Error()
	}
	for _, c := range p.closers {
		_ = c.Close()
	}
}

func quietLogger() hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{Name: "raft", Level: hclog.Error, Output: os.Stderr})
}

// newPeer starts peer id on trans with its log in dir; store is "wal"
// (raft-wal behind a LogCache) or "mem" (raft.InmemStore).
func newPeer(id, store, dir string, trans raft.Transport) (*peer, error) {
	conf := raft.DefaultConfig()
	conf.LocalID = raft.ServerID(id)
	conf.Logger = quietLogger()
	p := &peer{}
	var logs raft.LogStore
	var stable raft.StableStore
	switch store {
	case "mem":
		s := raft.NewInmemStore()
		logs, stable = s, s
	case "wal":
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("baseline: %w", err)
		}
		w, err := raftwal.Open(dir)
		if err != nil {
			return nil, fmt.Errorf("baseline: raft-wal: %w", err)
		}
		p.closers = append(p.closers, w)
		logs, stable = w, w
	default:
		return nil, fmt.Errorf("baseline: unknown store %q (want wal or mem)", store)
	}
	p.store = &countingStore{LogStore: logs}
	logs = p.store
	if store == "wal" {
		c, err := raft.NewLogCache(logCacheSize, logs)
		if err != nil {
			p.close()
			return nil, fmt.Errorf("baseline: log cache: %w", err)
		}
		logs = c
	}
	r, err := raft.NewRaft(conf, newKV(), logs, stable, raft.NewInmemSnapshotStore(), trans)
	if err != nil {
		p.close()
		return nil, fmt.Errorf("baseline: new raft: %w", err)
	}
	p.r = r
	return p, nil
}

// apply is the client call: raft.Apply on the leader, then the state
// machine's answer.
func (p *peer) apply(cmd []byte) error {
	f := p.r.Apply(cmd, applyTimeout)
	if err := f.Error(); err != nil {
		return err
	}
	if err, ok := f.Response().(error); ok {
		return err
	}
	return nil
}

// configuration is the three peers "n0".."n2" at addrs.
func configuration(addrs []raft.ServerAddress) raft.Configuration {
	var c raft.Configuration
	for i, a := range addrs {
		c.Servers = append(c.Servers, raft.Server{ID: raft.ServerID(fmt.Sprintf("n%d", i)), Address: a})
	}
	return c
}

// awaitLeadership polls until p leads and has committed an entry of its
// term (Barrier). lost is true if another peer leads instead.
func (p *peer) awaitLeadership(self raft.ServerID) (lost bool, err error) {
	deadline := time.Now().Add(leaderTimeout)
	for p.r.State() != raft.Leader {
		if _, id := p.r.LeaderWithID(); id != "" && id != self {
			return true, nil
		}
		if time.Now().After(deadline) {
			return false, errNoLeader
		}
		time.Sleep(10 * time.Millisecond) // poll interval
	}
	if err := p.r.Barrier(applyTimeout).Error(); err != nil {
		return false, fmt.Errorf("baseline: barrier: %w", err)
	}
	return false, nil
}
