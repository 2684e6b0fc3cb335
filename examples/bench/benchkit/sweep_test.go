package benchkit

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCross(t *testing.T) {
	assert.Equal(t, [][]string{
		{"local", "write", "1"}, {"local", "write", "16"},
		{"procs", "write", "1"}, {"procs", "write", "16"},
	}, Cross("local,procs", "write", "1,16"))
}

func TestParseLoad(t *testing.T) {
	c, s, err := ParseLoad("16", "1024")
	require.NoError(t, err)
	assert.Equal(t, 16, c)
	assert.Equal(t, 1024, s)
	for _, bad := range []struct{ clients, size string }{
		{"0", "100"}, {"x", "100"}, {"1", "-1"}, {"1", "2000000"}, {"1", ""},
	} {
		_, _, err := ParseLoad(bad.clients, bad.size)
		assert.ErrorIs(t, err, ErrBadFlag, "%+v", bad)
	}
}
