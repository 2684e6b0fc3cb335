package consensus

import (
	"bytes"
	"encoding/binary"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rafter-go/rafter/consensus/session"
	"github.com/rafter-go/rafter/rafterpb"
)

type bodyBytes []byte

func (b bodyBytes) WriteTo(w io.Writer) (int64, error) {
	n, err := w.Write(b)
	return int64(n), err
}
func (bodyBytes) Release() {}

func sampleTable() *session.Table {
	t := session.New(session.Options{})
	t.Apply(&rafterpb.Entry{Index: 3, Type: rafterpb.EntryType_ENTRY_TYPE_SESSION, Stamp: 9})
	e := &rafterpb.Entry{Index: 4, Type: rafterpb.EntryType_ENTRY_TYPE_OP, ClientId: 3, Sequence: 1, Stamp: 10}
	t.Apply(e)
	t.Record(e, session.Result{Value: []byte("r")})
	return t
}

// The snapshot stream carries the session table in front of the state
// machine's bytes; restore splits them again.
func TestSnapshotCarriesTheSessionTable(t *testing.T) {
	table := sampleTable()
	var buf bytes.Buffer
	_, err := (&withSessions{table: table.Encode(), body: bodyBytes("state machine")}).WriteTo(&buf)
	require.NoError(t, err)
	got, rest, err := readSessions(&buf, session.Options{})
	require.NoError(t, err)
	assert.Equal(t, table.Encode(), got.Encode())
	sm, err := io.ReadAll(rest)
	require.NoError(t, err)
	assert.Equal(t, "state machine", string(sm))
}

// A snapshot written before sessions existed has no marker: all of it is
// the state machine's, and the table starts empty.
func TestSnapshotWithoutSessionTable(t *testing.T) {
	for _, old := range []string{"", "kvsm", "an old snapshot longer than the marker"} {
		got, rest, err := readSessions(bytes.NewReader([]byte(old)), session.Options{})
		require.NoError(t, err)
		assert.Equal(t, 0, got.Len())
		sm, err := io.ReadAll(rest)
		require.NoError(t, err)
		assert.Equal(t, old, string(sm))
	}
}

func TestSnapshotSessionTableRefusals(t *testing.T) {
	frame := func(n uint64, table []byte) []byte {
		b := append([]byte(nil), sessionMarker...)
		b = binary.BigEndian.AppendUint64(b, n)
		return append(b, table...)
	}
	good := sampleTable().Encode()
	for name, in := range map[string][]byte{
		"length past the limit": frame(session.MaxEncodedBytes+1, nil),
		"forged length":         frame(1<<40, good), // refused, not allocated
		"truncated":             frame(uint64(len(good)), good[:len(good)-1]),
		"corrupt table":         frame(4, []byte("RSEX")),
	} {
		_, _, err := readSessions(bytes.NewReader(in), session.Options{})
		assert.ErrorIs(t, err, ErrSessionTable, name)
	}
}
