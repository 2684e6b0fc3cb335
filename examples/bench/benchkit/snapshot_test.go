package benchkit

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMapRoundTrip(t *testing.T) {
	m := map[string][]byte{"a": []byte("1"), "": nil, "k9": bytes.Repeat([]byte("v"), 300)}
	var buf bytes.Buffer
	n, err := WriteMap(&buf, m)
	require.NoError(t, err)
	assert.Equal(t, int64(buf.Len()), n)
	got, err := ReadMap(&buf)
	require.NoError(t, err)
	assert.Len(t, got, 3)
	for k, v := range m {
		assert.Equal(t, len(v), len(got[k]), k)
	}
}

// A truncated stream and a length past the bound are refused, before any
// large allocation.
func TestReadMapRefusesBadStreams(t *testing.T) {
	var buf bytes.Buffer
	_, err := WriteMap(&buf, map[string][]byte{"key": []byte("value")})
	require.NoError(t, err)
	_, err = ReadMap(bytes.NewReader(buf.Bytes()[:buf.Len()-2]))
	assert.ErrorIs(t, err, ErrBadSnapshot)

	huge := binary.AppendUvarint(binary.AppendUvarint(nil, 1), 1<<40)
	_, err = ReadMap(bytes.NewReader(huge))
	assert.ErrorIs(t, err, ErrBadSnapshot)
}
