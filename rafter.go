package rafter

import (
	"github.com/rafter-go/rafter/rafterpb"
)

// Peer names one Raft peer: rafter's {Name, Node}. Name is unique within
// its System and may not contain '/' (it names the peer's actors
// "<Name>", "<Name>/log" and "<Name>/consensus"). Node is the advertised
// host:port of the System that hosts the peer, or "" for "this process".
// A cluster must name each peer the same way everywhere: peers of a
// cluster spread over several Systems use their System's Address as Node.
type Peer struct {
	Name string
	Node string
}

// IsZero reports whether p is the zero Peer (used for "no leader").
func (p Peer) IsZero() bool { return p.Name == "" && p.Node == "" }

// String returns "name" for a local peer and "name@node" otherwise.
func (p Peer) String() string {
	if p.Node == "" {
		return p.Name
	}
	return p.Name + "@" + p.Node
}

func (p Peer) pb() *rafterpb.Peer { return &rafterpb.Peer{Name: p.Name, Node: p.Node} }

func peerFromPB(p *rafterpb.Peer) Peer {
	if p == nil {
		return Peer{}
	}
	return Peer{Name: p.GetName(), Node: p.GetNode()}
}

// PeersOf converts a server list of a configuration (for example
// Status.Config.NewServers) to Peers.
func PeersOf(ps []*rafterpb.Peer) []Peer {
	out := make([]Peer, 0, len(ps))
	for _, p := range ps {
		out = append(out, peerFromPB(p))
	}
	return out
}

// StateMachine is the replicated state machine a peer applies committed
// commands to. Each start and restart of a peer gets a fresh instance
// (Options.StateMachine) and rebuilds its state by applying the committed
// log from the beginning, so Apply must be deterministic: the same commands
// in the same order give the same results and state on every replica.
// Both methods are called from one goroutine at a time.
type StateMachine interface {
	// Apply applies the command committed at index and returns its result.
	// An error is a result too (every replica computes it): Op returns it
	// as an *ApplyError with the result bytes.
	Apply(index uint64, cmd []byte) ([]byte, error)
	// Read answers a query without changing the state; ReadOp calls it
	// on the leader once the read is linearizable.
	Read(query []byte) ([]byte, error)
}

// Actor names one actor of a peer, for Kill.
type Actor int

const (
	// ActorConsensus is the peer's consensus actor "<name>/consensus".
	ActorConsensus Actor = iota
	// ActorLog is the peer's log server "<name>/log".
	ActorLog
)

func (a Actor) String() string {
	switch a {
	case ActorConsensus:
		return "consensus"
	case ActorLog:
		return "log"
	}
	return "unknown"
}
