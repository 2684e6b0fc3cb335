package main

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/hashicorp/raft"

	"github.com/rafter-go/rafter/examples/bench/benchkit"
)

// runInProcess runs one point with all three peers in this process, over
// the in-memory transport or TCP on 127.0.0.1.
func runInProcess(p point, dir string) (benchkit.Result, error) {
	trans, addrs, closers, err := transports(p.transport)
	if err != nil {
		return benchkit.Result{}, err
	}
	var peers []*peer
	defer func() {
		for _, x := range peers {
			x.close()
		}
		for _, c := range closers {
			_ = c.Close()
		}
	}()
	cfg := configuration(addrs)
	for i := range trans {
		x, err := newPeer(fmt.Sprintf("n%d", i), p.store, filepath.Join(dir, fmt.Sprintf("n%d", i)), trans[i])
		if err != nil {
			return benchkit.Result{}, err
		}
		peers = append(peers, x)
		if err := x.r.BootstrapCluster(cfg).Error(); err != nil {
			return benchkit.Result{}, fmt.Errorf("baseline: bootstrap: %w", err)
		}
	}
	leader, err := awaitAnyLeader(peers)
	if err != nil {
		return benchkit.Result{}, err
	}
	return leader.measure(p)
}

// transports makes three connected transports: "inmem" or "tcp".
func transports(kind string) ([]raft.Transport, []raft.ServerAddress, []interface{ Close() error }, error) {
	var trans []raft.Transport
	var addrs []raft.ServerAddress
	var closers []interface{ Close() error }
	switch kind {
	case "inmem":
		var ims []*raft.InmemTransport
		for i := range 3 {
			a, t := raft.NewInmemTransport(raft.ServerAddress(fmt.Sprintf("n%d", i)))
			ims, addrs, trans = append(ims, t), append(addrs, a), append(trans, t)
			closers = append(closers, t)
		}
		for i := range ims {
			for j := range ims {
				if i != j {
					ims[i].Connect(addrs[j], ims[j])
				}
			}
		}
	case "tcp":
		for range 3 {
			t, err := raft.NewTCPTransportWithLogger("127.0.0.1:0", nil, tcpPool, tcpTimeout, quietLogger())
			if err != nil {
				for _, c := range closers {
					_ = c.Close()
				}
				return nil, nil, nil, fmt.Errorf("baseline: tcp transport: %w", err)
			}
			trans, addrs, closers = append(trans, t), append(addrs, t.LocalAddr()), append(closers, t)
		}
	default:
		return nil, nil, nil, fmt.Errorf("baseline: unknown transport %q (want inmem or tcp)", kind)
	}
	return trans, addrs, closers, nil
}

// awaitAnyLeader polls until one peer leads, then waits for its Barrier
// (an entry of its term committed and applied).
func awaitAnyLeader(peers []*peer) (*peer, error) {
	deadline := time.Now().Add(leaderTimeout)
	for {
		for _, x := range peers {
			if x.r.State() == raft.Leader {
				if err := x.r.Barrier(applyTimeout).Error(); err != nil {
					return nil, fmt.Errorf("baseline: barrier: %w", err)
				}
				return x, nil
			}
		}
		if time.Now().After(deadline) {
			return nil, errNoLeader
		}
		time.Sleep(10 * time.Millisecond) // poll interval
	}
}
