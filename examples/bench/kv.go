package main

import (
	"github.com/rafter-go/rafter"
	"github.com/rafter-go/rafter/examples/bench/benchkit"
)

// kv is the benchmark's state machine, benchkit's Store: Apply stores the
// value of a benchkit command (or refuses it with benchkit.ErrBadCommand);
// Read returns the value of the key named by the query.
type kv struct{ *benchkit.Store }

var _ rafter.StateMachine = kv{}

func newKV() kv { return kv{benchkit.NewStore()} }

// Apply stores the command's value under its key.
func (s kv) Apply(_ uint64, cmd []byte) ([]byte, error) { return nil, s.Store.Apply(cmd) }

// Read returns the value stored under the key query (nil if none).
func (s kv) Read(query []byte) ([]byte, error) { return s.Get(string(query)), nil }
