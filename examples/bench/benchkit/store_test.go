package benchkit

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestStoreApply(t *testing.T) {
	for name, cmd := range malformedCmds() {
		s := NewStore()
		assert.ErrorIs(t, s.Apply(cmd), ErrBadCommand, name)
		assert.Zero(t, s.Len(), name)
	}
	s := NewStore()
	assert.NoError(t, s.Apply(MakeCmd("k7", 4)))
	assert.Len(t, s.Get("k7"), 4)
	assert.Nil(t, s.Get("k8"))
	c := s.Clone()
	assert.NoError(t, s.Apply(MakeCmd("k8", 1)))
	assert.Len(t, c, 1, "a clone does not follow later writes")
	s.Replace(c)
	assert.Equal(t, 1, s.Len())
}
