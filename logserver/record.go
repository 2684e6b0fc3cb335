package logserver

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
)

// Record layout: see doc.go. All integers are big-endian, as in rafter_log.
const (
	headerSize = 29
	offLength  = 0
	offType    = 4
	offTerm    = 5
	offIndex   = 13
	offDataCRC = 21
	offHdrCRC  = 25

	// maxPayload bounds a record's payload (1 GiB) so that a damaged length
	// can never make the decoder allocate absurd amounts; the header CRC is
	// checked before the length is trusted anyway.
	maxPayload = 1 << 30
)

// Record types. 0 is never written, so a zero-filled region never decodes.
const (
	recEntry byte = 1 // payload: a protobuf rafterpb.Entry
	recMeta  byte = 2 // payload: a protobuf rafterpb.Meta (the meta file)
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// record is one decoded record. payload aliases the decoder's input.
type record struct {
	typ     byte
	term    uint64
	index   uint64
	payload []byte
}

// Decoder failures. errShort means the input ends inside the record (a torn
// write at the tail); the others mean the bytes are present but wrong.
var (
	errShort      = errors.New("record extends past the end of the file")
	errHeaderCRC  = errors.New("header checksum mismatch")
	errPayloadCRC = errors.New("payload checksum mismatch")
	errBadType    = errors.New("unknown record type")
	errTooLong    = errors.New("payload length out of range")
)

// appendRecord appends the encoding of one record to dst.
// The header is built in place at the end of dst: a local header array
// would escape to the heap (crc32 hands its slice to assembly), one
// allocation per entry written.
func appendRecord(dst []byte, typ byte, term, index uint64, payload []byte) []byte {
	start := len(dst)
	dst = append(dst, make([]byte, headerSize)...) // no allocation: append's idiom to extend
	h := dst[start : start+headerSize]
	binary.BigEndian.PutUint32(h[offLength:], uint32(len(payload)))
	h[offType] = typ
	binary.BigEndian.PutUint64(h[offTerm:], term)
	binary.BigEndian.PutUint64(h[offIndex:], index)
	binary.BigEndian.PutUint32(h[offDataCRC:], crcOf(payload))
	binary.BigEndian.PutUint32(h[offHdrCRC:], crcOf(h[:offHdrCRC]))
	return append(dst, payload...)
}

// decodeRecord decodes the record at the start of b and returns it with its
// encoded size. The header has its own checksum, so a damaged length is
// detected before it is used: a record whose header checks out but whose
// payload runs past the end of b is a torn write (errShort), never a
// misread length.
func decodeRecord(b []byte) (record, int, error) {
	if len(b) < headerSize {
		return record{}, 0, errShort
	}
	if crcOf(b[:offHdrCRC]) != binary.BigEndian.Uint32(b[offHdrCRC:]) {
		return record{}, 0, errHeaderCRC
	}
	n := binary.BigEndian.Uint32(b[offLength:])
	if n > maxPayload {
		return record{}, 0, errTooLong
	}
	r := record{
		typ:   b[offType],
		term:  binary.BigEndian.Uint64(b[offTerm:]),
		index: binary.BigEndian.Uint64(b[offIndex:]),
	}
	if r.typ != recEntry && r.typ != recMeta {
		return record{}, 0, errBadType
	}
	size := headerSize + int(n)
	if len(b) < size {
		return record{}, 0, errShort
	}
	r.payload = b[headerSize:size]
	if crcOf(r.payload) != binary.BigEndian.Uint32(b[offDataCRC:]) {
		return record{}, 0, errPayloadCRC
	}
	return r, size, nil
}

func crcOf(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }
