package main

import (
	"sync"

	"github.com/rafter-go/rafter"
	"github.com/rafter-go/rafter/examples/bench/benchkit"
)

// kv is the benchmark's state machine: a map[string][]byte. Apply stores
// the value of a benchkit command; Read returns the value of the key named
// by the query.
type kv struct {
	mu sync.Mutex
	m  map[string][]byte
}

var _ rafter.StateMachine = (*kv)(nil)

func newKV() *kv { return &kv{m: make(map[string][]byte, benchkit.KeySpace)} }

// Apply stores the command's value under its key, or refuses a malformed
// command with benchkit.ErrBadCommand. The value is copied: rafter's
// StateMachine contract does not promise that cmd outlives the call.
func (s *kv) Apply(_ uint64, cmd []byte) ([]byte, error) {
	_, k, v, ok := benchkit.DecodeCmd(cmd)
	if !ok {
		return nil, benchkit.ErrBadCommand
	}
	s.mu.Lock()
	s.m[k] = append([]byte(nil), v...)
	s.mu.Unlock()
	return nil, nil
}

// Read returns the value stored under the key query (nil if none).
func (s *kv) Read(query []byte) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[string(query)], nil
}
