package main

import (
	"encoding/binary"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/rafter-go/rafter"
)

// keySpace is the number of distinct keys, as in bench/baseline.
const keySpace = 10000

// errBadCommand is Apply's result for a command that does not decode.
var errBadCommand = errors.New("bench: malformed command")

// reqSeq numbers commands; the id makes every command distinct bytes, as
// the baseline's does.
var reqSeq atomic.Uint64

// keyFor is the key client gid uses for its seq-th operation (the
// baseline's spread over keySpace).
func keyFor(gid, seq int) string {
	return "k" + strconv.Itoa((gid*7919+seq)%keySpace)
}

// makeCmd encodes [8-byte id][2-byte key length][key][value], little
// endian, as bench/baseline does.
func makeCmd(key string, size int) []byte {
	b := make([]byte, 10+len(key)+size)
	binary.LittleEndian.PutUint64(b, reqSeq.Add(1))
	binary.LittleEndian.PutUint16(b[8:], uint16(len(key)))
	copy(b[10:], key)
	for i := 10 + len(key); i < len(b); i++ {
		b[i] = byte(i)
	}
	return b
}

// decodeCmd is makeCmd's inverse; ok is false for a malformed command.
func decodeCmd(b []byte) (id uint64, key string, val []byte, ok bool) {
	if len(b) < 10 {
		return 0, "", nil, false
	}
	id = binary.LittleEndian.Uint64(b)
	kl := int(binary.LittleEndian.Uint16(b[8:]))
	if len(b) < 10+kl {
		return 0, "", nil, false
	}
	return id, string(b[10 : 10+kl]), b[10+kl:], true
}

// kv is the benchmark's state machine: a map[string][]byte. Apply stores
// the value; Read returns the value of the key named by the query.
type kv struct {
	mu sync.Mutex
	m  map[string][]byte
}

var _ rafter.StateMachine = (*kv)(nil)

func newKV() *kv { return &kv{m: make(map[string][]byte, keySpace)} }

// Apply stores the command's value under its key. The value is copied:
// rafter's StateMachine contract does not promise that cmd outlives the
// call.
func (s *kv) Apply(_ uint64, cmd []byte) ([]byte, error) {
	_, k, v, ok := decodeCmd(cmd)
	if !ok {
		return nil, errBadCommand
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
