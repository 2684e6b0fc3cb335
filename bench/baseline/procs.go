package main

import (
	"fmt"

	"github.com/hashicorp/raft"

	"github.com/rafter-go/rafter/examples/bench/benchkit"
)

// runNode is the body of one peer process of a -procs run (-role node,
// started by benchkit.RunProcs): start peer id at addrs[id], bootstrap
// the three-peer configuration (every process sends the same one, which
// hashicorp/raft allows), and if this peer wins the election run the
// clients and print the result. It returns when stdin closes.
func runNode(p point, id int, addrs []string, dir string) error {
	if id < 0 || id >= len(addrs) || len(addrs) != benchkit.Peers {
		return fmt.Errorf("baseline: bad -id %d for -addrs %v", id, addrs)
	}
	t, err := raft.NewTCPTransportWithLogger(addrs[id], nil, tcpPool, tcpTimeout, quietLogger())
	if err != nil {
		return fmt.Errorf("baseline: tcp transport: %w", err)
	}
	self := raft.ServerID(fmt.Sprintf("n%d", id))
	x, err := newPeer(string(self), p.store, dir, t)
	if err != nil {
		_ = t.Close()
		return err
	}
	x.closers = append(x.closers, t)
	defer x.close()
	var sa []raft.ServerAddress
	for _, a := range addrs {
		sa = append(sa, raft.ServerAddress(a))
	}
	if err := x.r.BootstrapCluster(configuration(sa)).Error(); err != nil {
		return fmt.Errorf("baseline: bootstrap: %w", err)
	}
	lost, err := x.awaitLeadership(self)
	if err != nil {
		return err
	}
	if lost {
		return benchkit.ServePeer(nil)
	}
	return benchkit.ServePeer(func() (benchkit.Result, error) { return x.measure(p) })
}
