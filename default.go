package rafter

import (
	"context"
	"sync"

	"github.com/rafter-go/rafter/rafterpb"
)

// The package-level functions act on a default, local-only System created
// on first use, mirroring rafter.erl's module functions. Shutdown stops it;
// the next call creates a new one.

var (
	defaultMu  sync.Mutex
	defaultSys *System
)

// Default returns the default System, creating it (local only, logs
// discarded) on first use.
func Default() (*System, error) {
	defaultMu.Lock()
	defer defaultMu.Unlock()
	if defaultSys == nil {
		s, err := NewSystem(SystemOptions{})
		if err != nil {
			return nil, err
		}
		defaultSys = s
	}
	return defaultSys, nil
}

// Shutdown shuts the default System down (if it was created); the next
// package-level call creates a fresh one.
func Shutdown() error {
	defaultMu.Lock()
	s := defaultSys
	defaultSys = nil
	defaultMu.Unlock()
	if s == nil {
		return nil
	}
	return s.Shutdown()
}

// StartNode is System.StartNode on the default System.
func StartNode(me Peer, opts Options) error {
	s, err := Default()
	if err != nil {
		return err
	}
	return s.StartNode(me, opts)
}

// StopNode is System.StopNode on the default System.
func StopNode(me Peer) error {
	s, err := Default()
	if err != nil {
		return err
	}
	return s.StopNode(me)
}

// Kill is System.Kill on the default System.
func Kill(p Peer, which Actor) error {
	s, err := Default()
	if err != nil {
		return err
	}
	return s.Kill(p, which)
}

// Bootstrap is System.Bootstrap on the default System.
func Bootstrap(ctx context.Context, peers []Peer) error {
	s, err := Default()
	if err != nil {
		return err
	}
	return s.Bootstrap(ctx, peers)
}

// SetConfig is System.SetConfig on the default System.
func SetConfig(ctx context.Context, via Peer, peers []Peer) error {
	s, err := Default()
	if err != nil {
		return err
	}
	return s.SetConfig(ctx, via, peers)
}

// Op is System.Op on the default System.
func Op(ctx context.Context, via Peer, cmd []byte) ([]byte, error) {
	s, err := Default()
	if err != nil {
		return nil, err
	}
	return s.Op(ctx, via, cmd)
}

// ReadOp is System.ReadOp on the default System.
func ReadOp(ctx context.Context, via Peer, query []byte) ([]byte, error) {
	s, err := Default()
	if err != nil {
		return nil, err
	}
	return s.ReadOp(ctx, via, query)
}

// StaleReadOp is System.StaleReadOp on the default System.
func StaleReadOp(ctx context.Context, via Peer, query []byte) ([]byte, error) {
	s, err := Default()
	if err != nil {
		return nil, err
	}
	return s.StaleReadOp(ctx, via, query)
}

// GetLeader is System.GetLeader on the default System.
func GetLeader(ctx context.Context, via Peer) (Peer, error) {
	s, err := Default()
	if err != nil {
		return Peer{}, err
	}
	return s.GetLeader(ctx, via)
}

// GetEntry is System.GetEntry on the default System.
func GetEntry(ctx context.Context, via Peer, index uint64) (*rafterpb.Entry, error) {
	s, err := Default()
	if err != nil {
		return nil, err
	}
	return s.GetEntry(ctx, via, index)
}

// GetLastEntry is System.GetLastEntry on the default System.
func GetLastEntry(ctx context.Context, via Peer) (*rafterpb.Entry, error) {
	s, err := Default()
	if err != nil {
		return nil, err
	}
	return s.GetLastEntry(ctx, via)
}

// GetStatus is System.Status on the default System (named GetStatus
// because Status is the type it returns).
func GetStatus(ctx context.Context, via Peer) (Status, error) {
	s, err := Default()
	if err != nil {
		return Status{}, err
	}
	return s.Status(ctx, via)
}
