package actor

import (
	"testing"

	protoactor "github.com/asynkron/protoactor-go/actor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSpawnNamedAndWhereis(t *testing.T) {
	s := newLocal(t)
	pid, err := s.SpawnNamed(echoProps(), "echo")
	require.NoError(t, err)
	assert.Equal(t, "echo", pid.GetId())

	found, err := s.Whereis("echo")
	require.NoError(t, err)
	assert.True(t, found.Equal(pid), "whereis %v, spawned %v", found, pid)

	_, err = s.Whereis("nobody")
	assert.ErrorIs(t, err, ErrUnknownName)
}

func TestSpawnNamedTaken(t *testing.T) {
	s := newLocal(t)
	_, err := s.SpawnNamed(echoProps(), "echo")
	require.NoError(t, err)

	pid, err := s.SpawnNamed(echoProps(), "echo")
	assert.Nil(t, pid)
	assert.ErrorIs(t, err, ErrNameTaken)
	assert.ErrorIs(t, err, protoactor.ErrNameExists)
}

func TestSpawnNamedReusableAfterStop(t *testing.T) {
	s := newLocal(t)
	pid, err := s.SpawnNamed(echoProps(), "echo")
	require.NoError(t, err)
	require.NoError(t, s.StopAndWait(t.Context(), pid))

	_, err = s.Whereis("echo")
	require.ErrorIs(t, err, ErrUnknownName)
	_, err = s.SpawnNamed(echoProps(), "echo")
	assert.NoError(t, err)
}

func TestPIDOf(t *testing.T) {
	local := newLocal(t)
	node := newNode(t, Options{})
	other := deadAddr(t)

	tests := []struct {
		name string
		s    *System
		node string
		want *protoactor.PID
	}{
		{"local-only, no node", local, "", local.Actors().NewLocalPID("p")},
		{"remote, no node", node, "", protoactor.NewPID(node.Address(), "p")},
		{"remote, own address", node, node.Address(), protoactor.NewPID(node.Address(), "p")},
		{"remote, other node", node, other, protoactor.NewPID(other, "p")},
		{"local-only, other node", local, other, protoactor.NewPID(other, "p")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.s.PIDOf("p", tt.node)
			assert.True(t, got.Equal(tt.want), "got %v, want %v", got, tt.want)
		})
	}
}
