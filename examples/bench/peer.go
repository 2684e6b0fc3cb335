package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/rafter-go/rafter"
	"github.com/rafter-go/rafter/examples/bench/benchkit"
)

// errLostElection: another peer leads, so this process only serves.
var errLostElection = errors.New("bench: another peer leads")

// procsPeers names the three peers of a "procs" run: "p<i>" at addrs[i].
func procsPeers(addrs []string) []rafter.Peer {
	var ps []rafter.Peer
	for i, a := range addrs {
		ps = append(ps, rafter.Peer{Name: fmt.Sprintf("p%d", i), Node: a})
	}
	return ps
}

// runPeerProcess is the body of one peer process (-role peer): a System
// listening on addrs[id] with one peer; peer 0 sends the configuration.
// If this peer becomes leader it runs the point's load from this process
// and prints the result. It returns when stdin closes.
func runPeerProcess(p point, id int, addrs []string, dir string) error {
	if len(addrs) != benchkit.Peers || id < 0 || id >= len(addrs) {
		return fmt.Errorf("bench: bad -id %d for -addrs %v", id, addrs)
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	if p.diag.trace > 0 {
		p.diag.events = eventsFile(dir) // the leader's, written when it has measured
	}
	cl, err := startPeer(ctx, p, id, addrs, dir)
	if cl != nil {
		defer cl.close()
	}
	switch {
	case errors.Is(err, errLostElection):
		if p.diag.trace == 0 {
			return benchkit.ServePeer(nil)
		}
		// The follower hops of the leader's trace happen here: only the
		// events matter, this process's own table (no writes) is dropped.
		stop, err := diagnostics{trace: p.diag.trace, events: eventsFile(dir), out: io.Discard}.start()
		if err != nil {
			return err
		}
		err = benchkit.ServePeer(nil)
		return firstErr(err, stop())
	case err != nil:
		return err
	}
	return benchkit.ServePeer(func() (benchkit.Result, error) { return measureWith(ctx, cl, p) })
}

// startPeer starts this process's peer and waits until some peer leads:
// a cluster ready to measure if it is this one, errLostElection if not.
func startPeer(ctx context.Context, p point, id int, addrs []string, dir string) (*cluster, error) {
	sys, err := rafter.NewSystem(systemOptions(addrs[id], p.metrics))
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	peers := procsPeers(addrs)
	cl := &cluster{systems: []*rafter.System{sys}, peers: peers, client: sys}
	if err := awaitListening(ctx, addrs); err != nil {
		return cl, err
	}
	o := clusterOptions{maxAppend: p.maxAppend, maxInflight: p.maxInflight, snapshotEntries: p.snapshotEntries}
	if err := sys.StartNode(peers[id], peerOptions(o, dir)); err != nil {
		return cl, fmt.Errorf("bench: start peer: %w", err)
	}
	if id == 0 {
		if err := bootstrap(ctx, sys, peers); err != nil {
			return cl, err
		}
	}
	if err := awaitOwnLeadership(ctx, sys, peers[id]); err != nil {
		return cl, err
	}
	cl.leader = peers[id]
	if p.stats {
		cl.stats = true // the leader is local to this process: System.LogStats
		if _, err := cl.logStats(ctx); err != nil {
			return cl, fmt.Errorf("bench: log stats of %s: %w", cl.leader, err)
		}
	}
	return cl, nil
}

// awaitListening polls until every address accepts a TCP connection. A
// peer that sends before the others listen loses time: protoactor's
// remote sleeps 2 s after each failed connect (up to 5 tries) while it
// queues the messages (runs without this wait sometimes took 16 s longer).
func awaitListening(ctx context.Context, addrs []string) error {
	var d net.Dialer
	for _, a := range addrs {
		for {
			dctx, cancel := context.WithTimeout(ctx, time.Second)
			c, err := d.DialContext(dctx, "tcp", a)
			cancel()
			if err == nil {
				_ = c.Close()
				break
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("bench: peer %s not listening: %w", a, err)
			case <-time.After(20 * time.Millisecond): // poll interval
			}
		}
	}
	return nil
}

// bootstrap sends the configuration until it is committed; the other
// processes may not listen yet, so failures are retried until ctx ends.
func bootstrap(ctx context.Context, sys *rafter.System, peers []rafter.Peer) error {
	for {
		err := sys.SetConfig(ctx, peers[0], peers)
		if err == nil || errors.Is(err, rafter.ErrNotModified) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("bench: set config: %w (last error: %w)", ctx.Err(), err)
		case <-time.After(50 * time.Millisecond): // retry interval
		}
	}
}

// awaitOwnLeadership polls self's status until it leads and has applied an
// Op of its term (as startCluster's awaitLeader), or another peer leads
// (errLostElection).
func awaitOwnLeadership(ctx context.Context, sys *rafter.System, self rafter.Peer) error {
	for {
		st, err := sys.Status(ctx, self)
		switch {
		case err != nil:
		case st.Role == rafter.Leader:
			octx, cancel := context.WithTimeout(ctx, 5*time.Second)
			_, err = sys.Op(octx, self, benchkit.MakeCmd("warm", 1))
			cancel()
			if err == nil {
				return nil
			}
		case st.Leader.Name != "" && st.Leader.Name != self.Name:
			return errLostElection
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("bench: no leader: %w", ctx.Err())
		case <-time.After(10 * time.Millisecond): // poll interval
		}
	}
}
