package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rafter-go/rafter"
	"github.com/rafter-go/rafter/examples/bench/benchkit"
	"github.com/rafter-go/rafter/rafterpb"
)

// clusterOptions says how to build the cluster of one run.
type clusterOptions struct {
	transport   string // "local" or "remote" ("procs" runs are built by startPeer)
	dir         string // data root; one subdirectory per peer
	stats       bool   // ask the leader's log server for its batch stats
	maxAppend   int    // Options.MaxAppendEntries (0: default)
	maxInflight int    // Options.MaxInflight (0: default)
	metrics     bool   // SystemOptions.Metrics: a fresh registry per System
	// snapshotEntries is Options.SnapshotEntries (0: no snapshots).
	snapshotEntries uint64
}

// systemOptions are the options of every System of a run.
func systemOptions(listen string, metrics bool) rafter.SystemOptions {
	o := rafter.SystemOptions{ListenAddr: listen}
	if metrics {
		o.Metrics = prometheus.NewRegistry()
	}
	return o
}

// cluster is a running 3-peer cluster and the System clients call from.
type cluster struct {
	systems []*rafter.System
	peers   []rafter.Peer
	leader  rafter.Peer
	client  *rafter.System // the leader's System
	stats   bool           // read the leader's log stats
}

// startCluster starts three peers, sets the configuration and waits until
// a leader has applied an Op of its own term.
func startCluster(ctx context.Context, o clusterOptions) (cl *cluster, err error) {
	cl = &cluster{}
	defer func() {
		if err != nil {
			cl.close()
		}
	}()
	listen := ""
	if o.transport == "remote" {
		listen = "127.0.0.1:0"
	}
	switch o.transport {
	case "local":
		sys, err := rafter.NewSystem(systemOptions(listen, o.metrics))
		if err != nil {
			return cl, err
		}
		cl.systems = []*rafter.System{sys, sys, sys}
		cl.peers = []rafter.Peer{{Name: "p0"}, {Name: "p1"}, {Name: "p2"}}
	case "remote":
		for i := range 3 {
			sys, err := rafter.NewSystem(systemOptions(listen, o.metrics))
			if err != nil {
				return cl, err
			}
			cl.systems = append(cl.systems, sys)
			cl.peers = append(cl.peers, rafter.Peer{Name: fmt.Sprintf("p%d", i), Node: sys.Address()})
		}
	default:
		return cl, fmt.Errorf("bench: unknown transport %q (want local or remote)", o.transport)
	}
	for i, p := range cl.peers {
		if err := cl.systems[i].StartNode(p, peerOptions(o, filepath.Join(o.dir, p.Name))); err != nil {
			return cl, err
		}
	}
	if err := cl.systems[0].SetConfig(ctx, cl.peers[0], cl.peers); err != nil {
		return cl, err
	}
	if err := cl.awaitLeader(ctx); err != nil {
		return cl, err
	}
	if o.stats {
		cl.stats = true
		if _, err := cl.logStats(ctx); err != nil {
			return cl, fmt.Errorf("bench: log stats of %s: %w", cl.leader, err)
		}
	}
	return cl, nil
}

// peerOptions are one peer's Options: rafter's defaults, the benchmark's
// state machine, data in dataDir, and the -maxappend/-inflight overrides.
func peerOptions(o clusterOptions, dataDir string) rafter.Options {
	opts := rafter.DefaultOptions()
	opts.DataDir = dataDir
	opts.StateMachine = func() rafter.StateMachine { return newKV() }
	opts.SnapshotEntries = o.snapshotEntries
	if o.maxAppend > 0 {
		opts.MaxAppendEntries = o.maxAppend
	}
	if o.maxInflight > 0 {
		opts.MaxInflight = o.maxInflight
	}
	return opts
}

// awaitLeader polls until some peer reports itself leader and has applied
// an Op (so it has committed an entry of its term, as the baseline's
// Barrier does), and remembers it and its System.
func (cl *cluster) awaitLeader(ctx context.Context) error {
	for {
		for i, p := range cl.peers {
			st, err := cl.systems[i].Status(ctx, p)
			if err != nil || st.Role != rafter.Leader {
				continue
			}
			octx, cancel := context.WithTimeout(ctx, 5*time.Second)
			_, err = cl.systems[i].Op(octx, p, benchkit.MakeCmd("warm", 1))
			cancel()
			if err == nil {
				cl.leader, cl.client = p, cl.systems[i]
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("bench: no leader: %w", ctx.Err())
		case <-time.After(10 * time.Millisecond): // poll interval
		}
	}
}

// logStats asks the leader's log server for its counters, through the
// leader's System (log servers answer only their own System).
func (cl *cluster) logStats(ctx context.Context) (*rafterpb.LogStatsReply, error) {
	if !cl.stats {
		return nil, errors.New("bench: stats are off")
	}
	return cl.client.LogStats(ctx, cl.leader)
}

// close shuts every System down; a System shared by the peers once.
func (cl *cluster) close() {
	seen := map[*rafter.System]bool{}
	for _, s := range cl.systems {
		if !seen[s] {
			seen[s] = true
			_ = s.Shutdown()
		}
	}
}
