package benchkit

import (
	"encoding/binary"
	"errors"
	"strconv"
	"sync/atomic"
)

// KeySpace is the number of distinct keys the clients write and read.
const KeySpace = 10000

// cmdHeader is a command's fixed part: the 8-byte id and the 2-byte key
// length.
const cmdHeader = 10

// ErrBadCommand is a state machine's answer to a command that does not
// decode (shorter than its header or than the key length it announces).
var ErrBadCommand = errors.New("benchkit: malformed command")

// cmdSeq numbers commands so that every command is distinct bytes, as a
// real client's request ids make them.
var cmdSeq atomic.Uint64

// KeyFor is the key client gid uses for its seq-th operation: "k<n>" with
// n = (gid*7919 + seq) mod KeySpace, so the clients spread over the keys.
func KeyFor(gid, seq int) string {
	return "k" + strconv.Itoa((gid*7919+seq)%KeySpace)
}

// MakeCmd encodes [8-byte id][2-byte key length][key][value], little
// endian; the value is size bytes of a fixed pattern.
func MakeCmd(key string, size int) []byte {
	b := make([]byte, cmdHeader+len(key)+size)
	binary.LittleEndian.PutUint64(b, cmdSeq.Add(1))
	binary.LittleEndian.PutUint16(b[8:], uint16(len(key)))
	copy(b[cmdHeader:], key)
	for i := cmdHeader + len(key); i < len(b); i++ {
		b[i] = byte(i)
	}
	return b
}

// DecodeCmd is MakeCmd's inverse; ok is false for a malformed command.
// val aliases b.
func DecodeCmd(b []byte) (id uint64, key string, val []byte, ok bool) {
	if len(b) < cmdHeader {
		return 0, "", nil, false
	}
	id = binary.LittleEndian.Uint64(b)
	kl := int(binary.LittleEndian.Uint16(b[8:]))
	if len(b) < cmdHeader+kl {
		return 0, "", nil, false
	}
	return id, string(b[cmdHeader : cmdHeader+kl]), b[cmdHeader+kl:], true
}
