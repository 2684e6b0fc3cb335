// Package echo is the echo state machine, a port of rafter's
// rafter_backend_echo: Apply returns the command it is given, so a test can
// check that an Op's result is its own command, and Read returns the query,
// or the last applied command for an empty query.
//
// A command starting with "error:" makes Apply return an error with the
// rest of the command as its message (deterministically, on every
// replica), so tests can exercise rafter.ApplyError; Read of a query
// starting with "error:" likewise returns an error.
//
// SM implements rafter.Snapshotter: Snapshot is O(1) (the state is one
// command and two counters), and its stream carries a CRC-32C, so a
// restarted or lagging peer can be brought up from a snapshot in tests.
//
//	opts := rafter.DefaultOptions()
//	opts.StateMachine = func() rafter.StateMachine { return echo.New() }
package echo

import (
	"bytes"
	"errors"
	"sync"
)

// errPrefix marks a command or query that should fail.
var errPrefix = []byte("error:")

// SM is the echo state machine. Its methods are safe for concurrent use
// (rafter calls them from one goroutine, tests may inspect it from others).
type SM struct {
	mu      sync.Mutex
	last    []byte
	applied uint64
	count   int
}

// New returns an empty echo state machine.
func New() *SM { return &SM{} }

// Apply remembers cmd as the last command and returns it; a command
// "error:msg" returns cmd and an error "msg".
func (s *SM) Apply(index uint64, cmd []byte) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.last = bytes.Clone(cmd)
	s.applied = index
	s.count++
	if msg, ok := bytes.CutPrefix(cmd, errPrefix); ok {
		return bytes.Clone(cmd), errors.New(string(msg))
	}
	return bytes.Clone(cmd), nil
}

// Read returns query, or the last applied command for an empty query; a
// query "error:msg" fails with "msg".
func (s *SM) Read(query []byte) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if msg, ok := bytes.CutPrefix(query, errPrefix); ok {
		return nil, errors.New(string(msg))
	}
	if len(query) == 0 {
		return bytes.Clone(s.last), nil
	}
	return bytes.Clone(query), nil
}

// Applied returns the index of the last applied command and how many
// commands the state reflects: those this instance applied, plus those a
// snapshot it was restored from counted.
func (s *SM) Applied() (index uint64, count int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.applied, s.count
}
