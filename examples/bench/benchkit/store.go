package benchkit

import (
	"maps"
	"sync"
)

// Store is the benchmark's state: a map[string][]byte behind a mutex. It
// is the state machine of both programs, each wrapping it in its
// library's interface, so both do the same work per entry.
type Store struct {
	mu sync.Mutex
	m  map[string][]byte
}

// NewStore is an empty Store sized for KeySpace keys.
func NewStore() *Store { return &Store{m: make(map[string][]byte, KeySpace)} }

// Apply stores a command's value under its key, or refuses a malformed
// command with ErrBadCommand and stores nothing. The value is copied:
// neither library promises that cmd outlives the call.
func (s *Store) Apply(cmd []byte) error {
	_, k, v, ok := DecodeCmd(cmd)
	if !ok {
		return ErrBadCommand
	}
	s.mu.Lock()
	s.m[k] = append([]byte(nil), v...)
	s.mu.Unlock()
	return nil
}

// Get returns the value stored under key (nil if none).
func (s *Store) Get(key string) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[key]
}

// Len is the number of keys stored.
func (s *Store) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m)
}

// Clone is a copy of the map, for a snapshot; the values are shared, as
// Apply never modifies a stored value.
func (s *Store) Clone() map[string][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.m)
}

// Replace makes m the Store's map, restoring a snapshot; the Store owns m
// from then on.
func (s *Store) Replace(m map[string][]byte) {
	s.mu.Lock()
	s.m = m
	s.mu.Unlock()
}
