package echo

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestApplyEchoesAndReadReturnsLast(t *testing.T) {
	s := New()
	got, err := s.Read(nil)
	require.NoError(t, err)
	assert.Empty(t, got, "nothing applied yet")

	got, err = s.Apply(1, []byte("a"))
	require.NoError(t, err)
	assert.Equal(t, []byte("a"), got)
	got, err = s.Apply(2, []byte("b"))
	require.NoError(t, err)
	assert.Equal(t, []byte("b"), got)

	got, err = s.Read(nil)
	require.NoError(t, err)
	assert.Equal(t, []byte("b"), got, "empty query reads the last command")
	got, err = s.Read([]byte("q"))
	require.NoError(t, err)
	assert.Equal(t, []byte("q"), got, "a query is echoed")

	idx, n := s.Applied()
	assert.Equal(t, uint64(2), idx)
	assert.Equal(t, 2, n)
}

func TestErrorPrefix(t *testing.T) {
	s := New()
	got, err := s.Apply(1, []byte("error:boom"))
	require.EqualError(t, err, "boom")
	assert.Equal(t, []byte("error:boom"), got)
	_, err = s.Read([]byte("error:nope"))
	require.EqualError(t, err, "nope")
	last, err := s.Read(nil)
	require.NoError(t, err)
	assert.Equal(t, []byte("error:boom"), last, "a failing command is still applied")
}

func TestResultsAreCopies(t *testing.T) {
	s := New()
	cmd := []byte("x")
	got, err := s.Apply(1, cmd)
	require.NoError(t, err)
	cmd[0] = 'y'
	assert.Equal(t, []byte("x"), got)
	last, err := s.Read(nil)
	require.NoError(t, err)
	assert.Equal(t, []byte("x"), last)
}
