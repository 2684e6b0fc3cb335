package main

import (
	"fmt"
	"io"

	"github.com/rafter-go/rafter"
	"github.com/rafter-go/rafter/examples/bench/benchkit"
)

// kv is the benchmark's state machine, benchkit's Store: Apply stores the
// value of a benchkit command (or refuses it with benchkit.ErrBadCommand);
// Read returns the value of the key named by the query. It snapshots as the
// baseline's FSM does (a copy of the map, written with benchkit.WriteMap),
// so both libraries do the same snapshot work in a run.
type kv struct{ *benchkit.Store }

var (
	_ rafter.StateMachine = kv{}
	_ rafter.Snapshotter  = kv{}
)

func newKV() kv { return kv{benchkit.NewStore()} }

// Apply stores the command's value under its key.
func (s kv) Apply(_ uint64, cmd []byte) ([]byte, error) { return nil, s.Store.Apply(cmd) }

// Read returns the value stored under the key query (nil if none).
func (s kv) Read(query []byte) ([]byte, error) { return s.Get(string(query)), nil }

// Snapshot copies the map (KeySpace keys at most).
func (s kv) Snapshot() (rafter.Snapshot, error) { return kvSnapshot{s.Clone()}, nil }

// Restore replaces the map with a snapshot's.
func (s kv) Restore(r io.Reader) error {
	m, err := benchkit.ReadMap(r)
	if err != nil {
		return fmt.Errorf("bench: restore: %w", err)
	}
	s.Replace(m)
	return nil
}

type kvSnapshot struct{ m map[string][]byte }

func (s kvSnapshot) WriteTo(w io.Writer) (int64, error) { return benchkit.WriteMap(w, s.m) }

func (kvSnapshot) Release() {}
