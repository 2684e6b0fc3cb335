package main

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/rafter-go/rafter/examples/bench/benchkit"
)

// Children of this test binary run as the baseline program: -procs runs
// re-execute os.Args[0], which under `go test` is this test binary.
func TestMain(m *testing.M) { os.Exit(benchkit.ChildMain(m, main)) }

// A node given a bad -id refuses it and exits instead of serving.
func TestRunNodeRefusesBadID(t *testing.T) {
	p := point{transport: "tcp", store: "wal", procs: true, clients: 1}
	three := []string{"a:1", "b:2", "c:3"}
	assert.Error(t, runNode(p, -1, three, t.TempDir()))
	assert.Error(t, runNode(p, 3, three, t.TempDir()))
	assert.Error(t, runNode(p, 0, three[:1], t.TempDir()), "three peers")
}
