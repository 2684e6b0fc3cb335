package rafter

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/rafter-go/rafter/config"
	"github.com/rafter-go/rafter/rafterpb"
)

// Bootstrap creates a cluster of peers: it draws a random cluster ID and
// asks every listed peer (local or remote, each through its own consensus
// actor) to make the cluster's first configuration durable before any
// election: a blank peer writes it as entry 1 of its log, the same entry
// on every member. Bootstrap returns nil once every peer has answered that
// the configuration is on its disk; the members then elect a leader among
// themselves. Start the peers (StartNode, on their Systems) first.
//
// This is the way to create a cluster. Every message between members
// carries the cluster's ID, and a member drops (and counts, see
// Status.RefusedMessages) messages of another cluster, so two clusters whose
// peers share names never merge even when wired to each other's addresses.
// A peer added later joins through a membership change (SetConfig through a
// member), and learns the ID from the leader; never Bootstrap it.
//
// Errors: ErrInvalidArgument (before anything is sent) for an empty list,
// a peer without a name, a bad Node or a duplicate. Otherwise, if some peers
// did not answer success, a *BootstrapError naming each with its error;
// errors.Is matches each peer's error (ErrAlreadyBootstrapped: the peer
// belongs to another cluster; ErrTimeout, ErrStopped: it could not be
// reached). Bootstrap can be retried: a peer that already holds the
// configuration answers success again, and a retry with the same list on
// the same System reuses the cluster ID of the previous call (a failure
// also reports it in BootstrapError.ClusterID, for BootstrapWithID from
// another process).
//
// rafter-divergence: rafter creates a cluster with set_config on one blank
// peer, which campaigns with the list and logs it once elected. That path
// stays (SetConfig on a blank peer, the legacy path), but a blank peer
// cannot tell it from a change meant for a running cluster it has not yet
// heard from, and a cluster so created gets its ID only when its first
// leader logs the configuration.
func (s *System) Bootstrap(ctx context.Context, peers []Peer) error {
	key, err := bootstrapKey(peers)
	if err != nil {
		return err
	}
	id, err := s.bootstrapID(key)
	if err != nil {
		return err
	}
	return s.BootstrapWithID(ctx, peers, id)
}

// BootstrapWithID is Bootstrap with the cluster ID chosen by the caller:
// to retry, from another process, a Bootstrap whose *BootstrapError
// reported the ID. The ID must be non-zero and should be random (two
// clusters with one ID are not kept apart).
func (s *System) BootstrapWithID(ctx context.Context, peers []Peer, clusterID uint64) error {
	if ctx == nil {
		return fmt.Errorf("rafter: bootstrap: %w: nil context", ErrInvalidArgument)
	}
	if _, err := bootstrapKey(peers); err != nil {
		return err
	}
	if clusterID == 0 {
		return fmt.Errorf("rafter: bootstrap: %w: cluster ID 0", ErrInvalidArgument)
	}
	ps := make([]*rafterpb.Peer, len(peers))
	for i, p := range peers {
		ps[i] = p.pb()
	}
	errs := make([]error, len(peers))
	var wg sync.WaitGroup
	for i, p := range peers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.bootstrapPeer(ctx, p, ps, clusterID)
		}()
	}
	wg.Wait()
	be := &BootstrapError{ClusterID: clusterID}
	for i, err := range errs {
		if err != nil {
			be.Failed = append(be.Failed, PeerError{Peer: peers[i], Err: err})
		}
	}
	if len(be.Failed) > 0 {
		return be
	}
	s.log.Info("rafter: cluster bootstrapped", "cluster", fmt.Sprintf("%016x", clusterID), "peers", len(peers))
	return nil
}

// bootstrapPeer asks one peer to make the configuration durable.
func (s *System) bootstrapPeer(ctx context.Context, p Peer, ps []*rafterpb.Peer, clusterID uint64) error {
	// Each request gets its own copy: a local call hands the message to
	// the peer's actor as it is.
	req := &rafterpb.BootstrapRequest{Peers: clonePB(ps), ClusterId: clusterID}
	r, err := call[*rafterpb.BootstrapReply](ctx, s, p, "bootstrap", req)
	if err != nil {
		return err
	}
	return wrapReply("bootstrap", p, fromWire(r.GetError()))
}

func clonePB(ps []*rafterpb.Peer) []*rafterpb.Peer {
	out := make([]*rafterpb.Peer, len(ps))
	for i, p := range ps {
		out[i] = &rafterpb.Peer{Name: p.GetName(), Node: p.GetNode()}
	}
	return out
}

// bootstrapKey checks a Bootstrap list and returns it in a canonical form
// (sorted), the key under which the System remembers the ID it drew.
func bootstrapKey(peers []Peer) (string, error) {
	ps := make([]*rafterpb.Peer, 0, len(peers))
	keys := make([]string, 0, len(peers))
	for _, p := range peers {
		if err := checkPeer(p); err != nil {
			return "", fmt.Errorf("rafter: bootstrap: %w", err)
		}
		ps = append(ps, p.pb())
		keys = append(keys, p.String())
	}
	if err := config.Validate(ps); err != nil {
		return "", fmt.Errorf("rafter: bootstrap: %w: %w", ErrInvalidArgument, err)
	}
	slices.Sort(keys)
	return strings.Join(keys, "\x00"), nil
}

// bootstrapID returns the cluster ID for a Bootstrap of the list key: the
// one the previous Bootstrap of this System drew if it was for the same
// list (a retry), else a new random one. Only the last list is kept.
func (s *System) bootstrapID(key string) (uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.boot.key == key && s.boot.id != 0 {
		return s.boot.id, nil
	}
	id, err := newClusterID()
	if err != nil {
		return 0, err
	}
	s.boot.key, s.boot.id = key, id
	return id, nil
}

// bootstrapMemo is the last Bootstrap list of a System and its cluster ID.
type bootstrapMemo struct {
	key string
	id  uint64
}

// newClusterID draws a non-zero random cluster ID. It comes from the shell
// (crypto/rand): the core stays deterministic and is handed the ID.
func newClusterID() (uint64, error) {
	var b [8]byte
	for {
		if _, err := rand.Read(b[:]); err != nil {
			return 0, fmt.Errorf("rafter: bootstrap: %w: random cluster ID: %w", ErrInternal, err)
		}
		if id := binary.LittleEndian.Uint64(b[:]); id != 0 {
			return id, nil
		}
	}
}

// BootstrapError is a Bootstrap that some peers did not confirm. The peers
// not listed answered success (their configuration is durable). Retry with
// Bootstrap (same System, same list) or BootstrapWithID(ClusterID). Judge
// each peer's Err (Definite: that peer wrote nothing); Definite of the
// whole error only reports on one of them.
type BootstrapError struct {
	ClusterID uint64
	Failed    []PeerError
}

// PeerError is one peer's failure in a BootstrapError.
type PeerError struct {
	Peer Peer
	Err  error
}

func (e *BootstrapError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "rafter: bootstrap of cluster %016x: %d peer(s) failed", e.ClusterID, len(e.Failed))
	for _, f := range e.Failed {
		fmt.Fprintf(&b, "; %s: %v", f.Peer, f.Err)
	}
	return b.String()
}

// Unwrap returns each failed peer's error, so errors.Is finds them.
func (e *BootstrapError) Unwrap() []error {
	out := make([]error, len(e.Failed))
	for i, f := range e.Failed {
		out[i] = f.Err
	}
	return out
}
