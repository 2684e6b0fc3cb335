package main

import (
	"encoding/gob"
	"fmt"
	"io"
	"maps"
	"sync"

	"github.com/hashicorp/raft"

	"github.com/rafter-go/rafter/examples/bench/benchkit"
)

// kvFSM is the benchmark's state machine: a map[string][]byte.
type kvFSM struct {
	mu sync.Mutex
	m  map[string][]byte
}

var _ raft.FSM = (*kvFSM)(nil)

func newKV() *kvFSM { return &kvFSM{m: make(map[string][]byte, benchkit.KeySpace)} }

// Apply stores the command's value under its key, or answers a
// malformed command with benchkit.ErrBadCommand. It copies the value, as
// examples/bench's state machine does, so both do the same work per entry.
func (f *kvFSM) Apply(l *raft.Log) any {
	if l.Type != raft.LogCommand {
		return nil
	}
	_, k, v, ok := benchkit.DecodeCmd(l.Data)
	if !ok {
		return benchkit.ErrBadCommand
	}
	f.mu.Lock()
	f.m[k] = append([]byte(nil), v...)
	f.mu.Unlock()
	return nil
}

// Snapshot copies the map; hashicorp/raft takes snapshots by default
// (every 8192 entries, checked every 2 minutes), so this runs in the
// window as rafter's snapshots do.
func (f *kvFSM) Snapshot() (raft.FSMSnapshot, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return &kvSnapshot{m: maps.Clone(f.m)}, nil
}

// Restore replaces the map with a snapshot's.
func (f *kvFSM) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	m := map[string][]byte{}
	if err := gob.NewDecoder(rc).Decode(&m); err != nil {
		return fmt.Errorf("baseline: restore: %w", err)
	}
	f.mu.Lock()
	f.m = m
	f.mu.Unlock()
	return nil
}

// kvSnapshot is a point-in-time copy of the map, written as gob.
type kvSnapshot struct{ m map[string][]byte }

func (s *kvSnapshot) Persist(sink raft.SnapshotSink) error {
	if err := gob.NewEncoder(sink).Encode(s.m); err != nil {
		_ = sink.Cancel()
		return fmt.Errorf("baseline: persist: %w", err)
	}
	return sink.Close()
}

func (s *kvSnapshot) Release() {}
