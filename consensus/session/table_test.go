package session

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rafter-go/rafter/rafterpb"
)

func register(index, stamp uint64) *rafterpb.Entry {
	return &rafterpb.Entry{Index: index, Type: rafterpb.EntryType_ENTRY_TYPE_SESSION, Stamp: stamp}
}

func op(index, id, seq, floor, stamp uint64) *rafterpb.Entry {
	return &rafterpb.Entry{Index: index, Type: rafterpb.EntryType_ENTRY_TYPE_OP, ClientId: id, Sequence: seq, SessionFloor: floor, Stamp: stamp}
}

func TestDuplicateAnsweredWithTheFirstResult(t *testing.T) {
	tb := New(Options{Timeout: 1000})
	require.Equal(t, Registered, tb.Apply(register(1, 10)).Kind)
	first := op(2, 1, 1, 1, 20)
	require.Equal(t, Run, tb.Apply(first).Kind)
	tb.Record(first, Result{Value: []byte("v1"), Err: "boom"})
	v := tb.Apply(op(3, 1, 1, 1, 30)) // the retry, appended again
	assert.Equal(t, Duplicate, v.Kind)
	assert.Equal(t, Result{Value: []byte("v1"), Err: "boom"}, v.Result)
	assert.Equal(t, Run, tb.Apply(op(4, 1, 2, 1, 30)).Kind)
}

func TestPlainEntriesPassThrough(t *testing.T) {
	tb := New(Options{})
	for _, e := range []*rafterpb.Entry{
		{Index: 1, Type: rafterpb.EntryType_ENTRY_TYPE_NOOP},
		{Index: 2, Type: rafterpb.EntryType_ENTRY_TYPE_CONFIG},
		{Index: 3, Type: rafterpb.EntryType_ENTRY_TYPE_OP, Cmd: []byte("x")},
	} {
		assert.Equal(t, Plain, tb.Apply(e).Kind)
	}
	assert.Equal(t, 0, tb.Len())
}

func TestUnknownSessionRefused(t *testing.T) {
	tb := New(Options{})
	v := tb.Apply(op(5, 4, 1, 1, 1))
	assert.Equal(t, Refused, v.Kind)
	assert.True(t, errors.Is(v.Err, ErrExpired))
}

// Sessions expire by logged time only: the largest stamp applied, which
// never goes back when a later leader's clock is behind.
func TestExpiryByLoggedTime(t *testing.T) {
	tb := New(Options{Timeout: 100})
	tb.Apply(register(1, 1000))
	tb.Apply(register(2, 1000))
	assert.Equal(t, Run, tb.Apply(op(3, 1, 1, 1, 1090)).Kind)
	// A stamp behind the table's time does not move it back.
	assert.Equal(t, Run, tb.Apply(op(4, 1, 2, 1, 500)).Kind)
	assert.Equal(t, uint64(1090), tb.Now())
	// Session 2 was idle since 1000: at 1101 it is past 100 ms.
	assert.Equal(t, Refused, tb.Apply(op(5, 2, 1, 1, 1101)).Kind)
	assert.Equal(t, Run, tb.Apply(op(6, 1, 3, 1, 1189)).Kind)
	assert.Equal(t, Refused, tb.Apply(op(7, 1, 4, 1, 1290)).Kind)
	assert.Equal(t, 0, tb.Len())
}

func TestEvictsLeastRecentlyUsed(t *testing.T) {
	tb := New(Options{MaxSessions: 2})
	tb.Apply(register(1, 10))
	tb.Apply(register(2, 20))
	tb.Apply(op(3, 1, 1, 1, 30)) // session 1 used after 2
	tb.Apply(register(4, 40))    // evicts 2
	assert.Equal(t, 2, tb.Len())
	assert.Equal(t, Refused, tb.Apply(op(5, 2, 1, 1, 50)).Kind)
	assert.Equal(t, Run, tb.Apply(op(6, 1, 2, 1, 50)).Kind)
	assert.Equal(t, Run, tb.Apply(op(7, 4, 1, 1, 50)).Kind)
}

// The floor a client sends forgets results below it; a late copy of such
// a command is refused, never applied a second time.
func TestFloorForgetsAndRefuses(t *testing.T) {
	tb := New(Options{})
	tb.Apply(register(1, 1))
	e := op(2, 1, 1, 1, 1)
	require.Equal(t, Run, tb.Apply(e).Kind)
	tb.Record(e, Result{Value: []byte("a")})
	e2 := op(3, 1, 2, 2, 1)
	require.Equal(t, Run, tb.Apply(e2).Kind)
	tb.Record(e2, Result{Value: []byte("b")})
	v := tb.Apply(op(4, 1, 1, 1, 1))
	assert.Equal(t, Refused, v.Kind, "sequence 1 is below the floor 2")
	assert.True(t, errors.Is(v.Err, ErrExpired))
	assert.Equal(t, Duplicate, tb.Apply(op(5, 1, 2, 1, 1)).Kind)
}

// MaxResults forgets the oldest result and refuses its sequence after.
func TestMaxResultsForgetsOldest(t *testing.T) {
	tb := New(Options{MaxResults: 2})
	tb.Apply(register(1, 1))
	for q := uint64(1); q <= 3; q++ {
		e := op(1+q, 1, q, 1, 1)
		require.Equal(t, Run, tb.Apply(e).Kind)
		tb.Record(e, Result{Value: []byte{byte(q)}})
	}
	assert.Equal(t, Refused, tb.Apply(op(5, 1, 1, 1, 1)).Kind)
	assert.Equal(t, Duplicate, tb.Apply(op(6, 1, 2, 1, 1)).Kind)
	assert.Equal(t, Duplicate, tb.Apply(op(7, 1, 3, 1, 1)).Kind)
}

func TestEncodeRoundTrip(t *testing.T) {
	tb := New(Options{Timeout: 1000, MaxResults: 4})
	tb.Apply(register(1, 5))
	tb.Apply(register(2, 6))
	for q := uint64(1); q <= 6; q++ {
		e := op(2+q, 1+q%2, q, 1, 6+q)
		if tb.Apply(e).Kind == Run {
			tb.Record(e, Result{Value: []byte{byte(q)}, Err: map[bool]string{true: "odd"}[q%2 == 1]})
		}
	}
	b := tb.Encode()
	back, err := Decode(b, Options{Timeout: 1000, MaxResults: 4})
	require.NoError(t, err)
	assert.Equal(t, b, back.Encode())
	// The decoded table decides as the original does.
	for _, e := range []*rafterpb.Entry{op(20, 1, 2, 1, 20), op(21, 2, 1, 1, 20), op(22, 2, 9, 1, 20), op(23, 7, 1, 1, 20)} {
		assert.Equal(t, tb.Apply(e), back.Apply(e), "entry %d", e.GetIndex())
	}
}

func TestDecodeRefusesBadInput(t *testing.T) {
	good := New(Options{})
	good.Apply(register(1, 1))
	e := op(2, 1, 1, 1, 1)
	good.Apply(e)
	good.Record(e, Result{Value: []byte("abc")})
	b := good.Encode()
	for name, in := range map[string][]byte{
		"empty":       nil,
		"magic":       append([]byte("XSES"), b[4:]...),
		"version":     append(append([]byte("RSES"), 9), b[5:]...),
		"truncated":   b[:len(b)-1],
		"trailing":    append(append([]byte(nil), b...), 0),
		"huge count":  append(append([]byte(nil), b[:21]...), 0xff, 0xff, 0xff, 0xff),
		"header only": b[:headerBytes],
	} {
		_, err := Decode(in, Options{})
		assert.ErrorIs(t, err, ErrCorrupt, name)
	}
}

func FuzzDecode(f *testing.F) {
	tb := New(Options{})
	tb.Apply(register(1, 1))
	e := op(2, 1, 1, 1, 1)
	tb.Apply(e)
	tb.Record(e, Result{Value: []byte("abc"), Err: "e"})
	f.Add(tb.Encode())
	f.Add([]byte("RSES"))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := Decode(b, Options{})
		if err != nil {
			return
		}
		// What decodes re-encodes to the same bytes (the encoding is canonical).
		assert.Equal(t, b, got.Encode())
	})
}

// MaxResultBytes forgets the oldest results once a session's remembered
// bytes pass it; the newest is kept whatever its size.
func TestMaxResultBytesForgetsOldest(t *testing.T) {
	tb := New(Options{MaxResultBytes: 10})
	tb.Apply(register(1, 1))
	sizes := []int{4, 4, 4, 20}
	for i, size := range sizes {
		q := uint64(i + 1)
		e := op(1+q, 1, q, 1, 1)
		require.Equal(t, Run, tb.Apply(e).Kind)
		tb.Record(e, Result{Value: make([]byte, size)})
		if q == 3 {
			// 12 bytes > 10: sequence 1 is forgotten, 2 and 3 kept.
			assert.Equal(t, Refused, tb.Apply(op(10, 1, 1, 1, 1)).Kind)
			assert.Equal(t, Duplicate, tb.Apply(op(11, 1, 2, 1, 1)).Kind)
		}
	}
	// The 20-byte result alone is over the bound and still kept.
	assert.Equal(t, Refused, tb.Apply(op(12, 1, 3, 1, 1)).Kind)
	v := tb.Apply(op(13, 1, 4, 1, 1))
	assert.Equal(t, Duplicate, v.Kind)
	assert.Len(t, v.Result.Value, 20)
	back, err := Decode(tb.Encode(), Options{MaxResultBytes: 10})
	require.NoError(t, err)
	assert.Equal(t, tb.Encode(), back.Encode())
}
