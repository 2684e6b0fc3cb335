package logserver

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRecordRoundTrip(t *testing.T) {
	for _, payload := range [][]byte{nil, {1}, bytes.Repeat([]byte{0xab}, 4096)} {
		b := appendRecord([]byte("prefix"), recEntry, 7, 42, payload)[len("prefix"):]
		r, n, err := decodeRecord(append(b, 0xff, 0xff)) // trailing bytes are the next record's
		require.NoError(t, err)
		assert.Equal(t, headerSize+len(payload), n)
		assert.Equal(t, recEntry, r.typ)
		assert.Equal(t, uint64(7), r.term)
		assert.Equal(t, uint64(42), r.index)
		assert.Equal(t, len(payload), len(r.payload))
		assert.True(t, bytes.Equal(payload, r.payload))
	}
}

func TestRecordDecodeFailures(t *testing.T) {
	good := appendRecord(nil, recEntry, 3, 9, []byte("hello"))
	mut := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, errShort},
		{"short header", good[:headerSize-1], errShort},
		{"short payload", good[:len(good)-1], errShort},
		{"zeros", make([]byte, 64), errHeaderCRC},
		{"length flipped", mut(func(b []byte) []byte { b[3] ^= 1; return b }), errHeaderCRC},
		{"term flipped", mut(func(b []byte) []byte { b[offTerm+7] ^= 0x80; return b }), errHeaderCRC},
		{"payload flipped", mut(func(b []byte) []byte { b[headerSize] ^= 4; return b }), errPayloadCRC},
		{"data crc flipped", mut(func(b []byte) []byte { b[offDataCRC] ^= 1; return b }), errHeaderCRC},
		{"unknown type", mut(func(b []byte) []byte {
			b[offType] = 9
			binary.BigEndian.PutUint32(b[offHdrCRC:], crcOf(b[:offHdrCRC]))
			return b
		}), errBadType},
		{"huge length", mut(func(b []byte) []byte {
			binary.BigEndian.PutUint32(b[offLength:], maxPayload+1)
			binary.BigEndian.PutUint32(b[offHdrCRC:], crcOf(b[:offHdrCRC]))
			return b
		}), errTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := decodeRecord(tt.in)
			assert.ErrorIs(t, err, tt.want)
		})
	}
}

// FuzzDecodeRecord: the decoder never panics, and whatever it accepts
// re-encodes to the same bytes.
func FuzzDecodeRecord(f *testing.F) {
	f.Add(appendRecord(nil, recEntry, 1, 1, []byte("x")))
	f.Add(appendRecord(nil, recMeta, 5, 0, nil))
	f.Add(appendRecord(nil, recEntry, 1, 1, []byte("x"))[:20])
	f.Add(make([]byte, headerSize))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, n, err := decodeRecord(b)
		if err != nil {
			return
		}
		require.LessOrEqual(t, n, len(b))
		again := appendRecord(nil, r.typ, r.term, r.index, r.payload)
		require.Equal(t, b[:n], again)
	})
}
