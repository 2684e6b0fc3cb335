package core

import (
	"fmt"

	"github.com/rafter-go/rafter/config"
	"github.com/rafter-go/rafter/rafterpb"
)

// Bootstrap: how a new cluster is created. Every initial member is told the
// same server list and cluster ID and writes the same first entry, a
// stable configuration at index 1 of term 1, before any election. The logs
// agree from the start, so the first election (term 2) needs no special
// rule, and a member never holds the configuration without its cluster's
// identity, so a peer of another cluster cannot take it over.
//
// rafter-divergence: rafter (and SetConfig on blank peers here) gives the
// initial configuration to one blank peer, which campaigns with it and logs
// it once elected; a blank peer cannot tell that request from a change
// meant for a running cluster it has not heard from yet (internal/sim
// FINDINGS.md 1). hashicorp/raft's BootstrapCluster and etcd-io/raft's
// Bootstrap (https://github.com/etcd-io/raft/blob/main/bootstrap.go) write
// the first configuration to every initial server's storage the same way.

// bootstrapTerm is the term of the first configuration entry that Bootstrap
// writes. Every member writes the same entry (1, bootstrapTerm), and no
// election of a bootstrapped cluster happens in it: members start in it as
// followers with no vote, so the first election is of bootstrapTerm+1.
const bootstrapTerm = 1

// bootstrapWait is a Bootstrap request answered once the first
// configuration entry of cluster clusterID is durable.
type bootstrapWait struct {
	id        RequestID
	clusterID uint64
	peers     []*rafterpb.Peer // for a Bootstrap asked during an install
}

// Bootstrap makes this peer an initial member of a new cluster: the
// configuration peers (stable) with identity clusterID. A blank peer with
// an empty log appends it as entry 1 of term 1 (its term becomes 1 if it
// was 0) and answers with Result{Index: 1} once the log server reports it
// durable (Persisted). A peer whose log already holds a configuration of
// cluster clusterID answers the same once that is durable: Bootstrap may be
// retried. Otherwise the Result's error is:
//
//   - ErrInvalidArgument: clusterID 0 or a malformed server list;
//   - ErrInvalidInitialConfig: peers does not list this peer;
//   - ErrAlreadyBootstrapped: the log holds another cluster's
//     configuration, or the peer campaigns for an initial configuration
//     that SetConfig gave it (the legacy path).
//
// All are definite: nothing was written. A blank peer that has heard from
// a cluster (a vote request, an AppendEntries it could not take) still
// takes Bootstrap: if that cluster is the one being bootstrapped (a member
// bootstrapped first and campaigned), the entry it writes is the one the
// cluster's leader holds; if it is another cluster, the identities keep
// the two apart (checkCluster).
func (c *Core) Bootstrap(id RequestID, peers []*rafterpb.Peer, clusterID uint64) {
	switch err := c.checkBootstrap(peers, clusterID); {
	case err != nil:
		c.fail(id, err)
		return
	case c.log.lastIndex() > 0:
		// The log holds this cluster's configuration (a retry, or the
		// leader sent it first): answer once it is durable.
		c.bootstrapWaits = append(c.bootstrapWaits, bootstrapWait{id: id, clusterID: clusterID})
		c.settleBootstrap()
		return
	case c.snaps.installing != 0:
		// A leader's snapshot is being installed (a member sent it: this
		// peer joins a cluster): the log must not change until the log
		// server answers. The install decides (resumeBootstrap).
		c.bootstrapWaits = append(c.bootstrapWaits, bootstrapWait{id: id, clusterID: clusterID, peers: peers})
		return
	}
	conf := config.Reconfig(blankConfig, peers)
	conf.ClusterId = clusterID
	if c.term < bootstrapTerm {
		c.setTerm(bootstrapTerm)
	}
	c.log.append(&rafterpb.Entry{
		Term: bootstrapTerm, Index: 1, Type: rafterpb.EntryType_ENTRY_TYPE_CONFIG, Config: conf,
	})
	c.refreshConfig()
	// The election timer starts now: a peer blank for a long time would
	// otherwise campaign at its next tick, before the other members have
	// their configuration.
	c.resetElectionTimer()
	c.bootstrapWaits = append(c.bootstrapWaits, bootstrapWait{id: id, clusterID: clusterID})
}

// checkBootstrap refuses a Bootstrap this peer must not take; nil also when
// the log already holds a configuration of cluster clusterID.
func (c *Core) checkBootstrap(peers []*rafterpb.Peer, clusterID uint64) error {
	if clusterID == 0 {
		return fmt.Errorf("%w: bootstrap with cluster ID 0", ErrInvalidArgument)
	}
	if err := config.Validate(peers); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidArgument, err)
	}
	if !config.Contains(peers, c.id) {
		return fmt.Errorf("%w: bootstrap list does not include %s", ErrInvalidInitialConfig, c.idKey)
	}
	switch conf, _ := c.log.lastConfig(); {
	case conf != nil && conf.GetClusterId() == clusterID:
		return nil
	case conf != nil:
		return fmt.Errorf("%w: %s holds cluster %016x, not %016x", ErrAlreadyBootstrapped, c.idKey, conf.GetClusterId(), clusterID)
	case c.pendingInit != nil:
		return fmt.Errorf("%w: %s campaigns for an initial configuration given by SetConfig", ErrAlreadyBootstrapped, c.idKey)
	case c.log.lastIndex() > 0:
		// Not reachable while the first entry of every log is a
		// configuration; a log without one is not blank either.
		return fmt.Errorf("%w: %s holds %d entries and no configuration", ErrAlreadyBootstrapped, c.idKey, c.log.lastIndex())
	}
	return nil
}

// resumeBootstrap runs after an install the log server finished: an
// installed snapshot gives the log a configuration (settleBootstrap then
// answers the waiting requests: success for its cluster, else
// ErrAlreadyBootstrapped); after a failed one the log is as blank as
// before, and the requests asked during it are taken now.
func (c *Core) resumeBootstrap() {
	if c.log.lastIndex() > 0 {
		c.settleBootstrap()
		return
	}
	waits := c.bootstrapWaits
	c.bootstrapWaits = nil
	for _, w := range waits {
		if w.peers == nil { // not reachable: only an install queues on a blank log
			c.fail(w.id, fmt.Errorf("%w: bootstrap of a blank log without its peers", ErrInvalidArgument))
			continue
		}
		c.Bootstrap(w.id, w.peers, w.clusterID)
	}
}

// settleBootstrap answers the Bootstrap requests whose configuration is
// durable: the first entry is, and the log is of their cluster.
func (c *Core) settleBootstrap() {
	if len(c.bootstrapWaits) == 0 || c.log.persisted == 0 {
		return
	}
	ours := c.clusterID()
	for _, w := range c.bootstrapWaits {
		if ours == w.clusterID {
			c.results = append(c.results, Result{ID: w.id, Index: 1})
			continue
		}
		// Not reachable: a log's configuration keeps its identity.
		c.fail(w.id, fmt.Errorf("%w: %s holds cluster %016x, not %016x", ErrAlreadyBootstrapped, c.idKey, ours, w.clusterID))
	}
	c.bootstrapWaits = nil
}
