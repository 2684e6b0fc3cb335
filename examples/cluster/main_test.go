package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRun runs the demo as `go run ./examples/cluster -dir D` does and
// checks that every step happened and the peers wrote their data under D.
func TestRun(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	err := run(context.Background(), &out, dir, 60*time.Second)
	t.Log("\n" + out.String())
	require.NoError(t, err)
	for _, want := range []string{
		"cluster [a b c] bootstrapped",
		"killing ",
		"after the kill",
		"via a: all 5 keys read back",
		"via b: all 5 keys read back",
		"via c: all 5 keys read back",
		"and the cluster still takes writes",
		"all steps done",
	} {
		assert.Contains(t, out.String(), want)
	}
	for _, p := range []string{"a", "b", "c"} {
		entries, err := os.ReadDir(filepath.Join(dir, p))
		require.NoError(t, err)
		assert.NotEmpty(t, entries, "peer %s wrote nothing under its data directory", p)
	}
}

// TestRunDeadline: a demo that cannot finish in time fails and says why.
func TestRunDeadline(t *testing.T) {
	var out bytes.Buffer
	err := run(context.Background(), &out, t.TempDir(), time.Millisecond)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "did not finish within -timeout 1ms")
}
