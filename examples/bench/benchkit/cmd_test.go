package benchkit

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCmdRoundTrip(t *testing.T) {
	for _, size := range []int{0, 100, 1024} {
		id, k, v, ok := DecodeCmd(MakeCmd(KeyFor(3, 5), size))
		require.True(t, ok)
		assert.NotZero(t, id)
		assert.Equal(t, "k3762", k) // (3*7919+5) mod 10000
		assert.Len(t, v, size)
	}
	assert.NotEqual(t, MakeCmd("k1", 10), MakeCmd("k1", 10), "every command carries a fresh id")
}

func TestKeyForStaysInKeySpace(t *testing.T) {
	seen := map[string]bool{}
	for seq := range 3 * KeySpace {
		seen[KeyFor(128, seq)] = true
	}
	assert.Len(t, seen, KeySpace)
}

func TestDecodeCmdRefusesMalformed(t *testing.T) {
	for name, cmd := range malformedCmds() {
		_, _, _, ok := DecodeCmd(cmd)
		assert.False(t, ok, name)
	}
}

// malformedCmds are commands DecodeCmd refuses, by name.
func malformedCmds() map[string][]byte {
	return map[string][]byte{
		"short":                   {1, 2, 3},
		"key longer than command": append(make([]byte, 8), 0xff, 0x00, 'k'),
	}
}
