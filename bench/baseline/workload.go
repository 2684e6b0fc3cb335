package main

import (
	"encoding/binary"
	"errors"
	"strconv"
	"sync/atomic"
)

// keySpace is the number of distinct keys (examples/bench's keySpace).
const keySpace = 10000

// errBadCommand is the state machine's answer to a command that does not
// decode.
var errBadCommand = errors.New("baseline: malformed command")

// reqSeq numbers commands so that every command is distinct bytes.
var reqSeq atomic.Uint64

// keyFor is the key client gid writes in its seq-th operation.
func keyFor(gid, seq int) string {
	return "k" + strconv.Itoa((gid*7919+seq)%keySpace)
}

// makeCmd encodes [8-byte id][2-byte key length][key][value], little
// endian; the value is size bytes of a fixed pattern.
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
