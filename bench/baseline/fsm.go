package main

import (
	"fmt"
	"io"

	"github.com/hashicorp/raft"

	"github.com/rafter-go/rafter/examples/bench/benchkit"
)

// kvFSM is the benchmark's state machine, benchkit's Store (the one
// examples/bench's state machine wraps too, so both do the same work per
// entry), with snapshots as hashicorp/raft wants them.
type kvFSM struct{ *benchkit.Store }

var _ raft.FSM = kvFSM{}

func newKV() kvFSM { return kvFSM{benchkit.NewStore()} }

// Apply stores the command's value under its key, or answers a malformed
// command with benchkit.ErrBadCommand.
func (f kvFSM) Apply(l *raft.Log) any {
	if l.Type != raft.LogCommand {
		return nil
	}
	if err := f.Store.Apply(l.Data); err != nil {
		return err
	}
	return nil
}

// Snapshot copies the map; hashicorp/raft takes snapshots by default
// (every 8192 entries, checked every 2 minutes), so this runs in the
// window as rafter's snapshots do.
func (f kvFSM) Snapshot() (raft.FSMSnapshot, error) {
	return &kvSnapshot{m: f.Clone()}, nil
}

// Restore replaces the map with a snapshot's.
func (f kvFSM) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	m, err := benchkit.ReadMap(rc)
	if err != nil {
		return fmt.Errorf("baseline: restore: %w", err)
	}
	f.Replace(m)
	return nil
}

// kvSnapshot is a point-in-time copy of the map, written with
// benchkit.WriteMap (as rafter's benchmark state machine does).
type kvSnapshot struct{ m map[string][]byte }

func (s *kvSnapshot) Persist(sink raft.SnapshotSink) error {
	if _, err := benchkit.WriteMap(sink, s.m); err != nil {
		_ = sink.Cancel()
		return fmt.Errorf("baseline: persist: %w", err)
	}
	return sink.Close()
}

func (s *kvSnapshot) Release() {}
