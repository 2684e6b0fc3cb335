package benchkit

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
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

// maxSnapshotField bounds one key or value read back from a snapshot, so a
// corrupt length cannot make ReadMap allocate more than a command holds.
const maxSnapshotField = 16 << 20

// ErrBadSnapshot: ReadMap met a stream WriteMap did not write.
var ErrBadSnapshot = errors.New("benchkit: malformed snapshot")

// WriteMap writes m as a stream ReadMap reads: the number of keys, then
// each key and value as a uvarint length and its bytes. Both programs'
// state machines snapshot with it (a streamed, buffered encoding: the state
// is never copied into one buffer).
func WriteMap(w io.Writer, m map[string][]byte) (int64, error) {
	bw := bufio.NewWriterSize(w, 64<<10)
	var n int64
	var tmp [binary.MaxVarintLen64]byte
	put := func(b []byte) error {
		k := binary.PutUvarint(tmp[:], uint64(len(b)))
		if _, err := bw.Write(tmp[:k]); err != nil {
			return err
		}
		_, err := bw.Write(b)
		n += int64(k + len(b))
		return err
	}
	k := binary.PutUvarint(tmp[:], uint64(len(m)))
	if _, err := bw.Write(tmp[:k]); err != nil {
		return n, err
	}
	n += int64(k)
	for key, v := range m {
		if err := put([]byte(key)); err != nil {
			return n, err
		}
		if err := put(v); err != nil {
			return n, err
		}
	}
	return n, bw.Flush()
}

// ReadMap reads a map written by WriteMap.
func ReadMap(r io.Reader) (map[string][]byte, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	count, err := binary.ReadUvarint(br)
	if err != nil {
		return nil, fmt.Errorf("%w: key count: %w", ErrBadSnapshot, err)
	}
	field := func() ([]byte, error) {
		l, err := binary.ReadUvarint(br)
		if err != nil {
			return nil, err
		}
		if l > maxSnapshotField {
			return nil, fmt.Errorf("%w: field of %d bytes", ErrBadSnapshot, l)
		}
		b := make([]byte, l)
		_, err = io.ReadFull(br, b)
		return b, err
	}
	m := make(map[string][]byte, min(count, KeySpace))
	for i := uint64(0); i < count; i++ {
		k, err := field()
		if err != nil {
			return nil, fmt.Errorf("%w: key %d: %w", ErrBadSnapshot, i, err)
		}
		v, err := field()
		if err != nil {
			return nil, fmt.Errorf("%w: value %d: %w", ErrBadSnapshot, i, err)
		}
		m[string(k)] = v
	}
	return m, nil
}
