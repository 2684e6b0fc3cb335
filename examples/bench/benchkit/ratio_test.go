package benchkit

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestPrintRatios(t *testing.T) {
	rs := []Result{
		// one process: rafter local against hashicorp inmem, medians 30 and 10.
		{System: "rafter-go", Store: "logserver", Transport: "local", Op: "write", Size: 100, Clients: 128, OpsPerSec: 30, P50us: 1000, P99us: 4000},
		{System: "rafter-go", Store: "logserver", Transport: "local", Op: "write", Size: 100, Clients: 128, OpsPerSec: 20, P50us: 3000, P99us: 4000},
		{System: "rafter-go", Store: "logserver", Transport: "local", Op: "write", Size: 100, Clients: 128, OpsPerSec: 40, P50us: 2000, P99us: 4000},
		{System: "hashicorp/raft", Store: "raft-wal", Transport: "inmem", Op: "write", Size: 100, Clients: 128, OpsPerSec: 10, P50us: 4000, P99us: 8000},
		// three processes: rafter procs against hashicorp tcp -procs, not tcp in one process.
		{System: "rafter-go", Store: "logserver", Transport: "procs", Procs: true, Op: "write", Size: 1024, Clients: 16, OpsPerSec: 16, P50us: 1000, P99us: 2000},
		{System: "hashicorp/raft", Store: "raft-wal", Transport: "tcp", Op: "write", Size: 1024, Clients: 16, OpsPerSec: 1, P50us: 1000, P99us: 1000},
		{System: "hashicorp/raft", Store: "raft-wal", Transport: "tcp", Procs: true, Op: "write", Size: 1024, Clients: 16, OpsPerSec: 8, P50us: 2000, P99us: 2000},
		// reads and points without a counterpart are left out.
		{System: "rafter-go", Store: "logserver", Transport: "local", Op: "read", Size: 100, Clients: 128, OpsPerSec: 99},
		{System: "rafter-go", Store: "logserver", Transport: "local", Op: "write", Size: 100, Clients: 1, OpsPerSec: 99},
	}
	var b bytes.Buffer
	PrintRatios(&b, GroupRows(rs))
	out := b.String()
	assert.Contains(t, out, "| one process | 100 | 128 | 30 | 10 | 3.00× | 2.00 | 4.00 | 0.50× | 4.00 | 8.00 | 0.50× | 3/1 |")
	assert.Contains(t, out, "| three processes | 1024 | 16 | 16 | 8 | 2.00× | 1.00 | 2.00 | 0.50× | 2.00 | 2.00 | 1.00× | 1/1 |")
	assert.Equal(t, 4, strings.Count(out, "\n")-1, "header, rule and two rows:\n%s", out)
	assert.NotContains(t, out, "| 99 |")
}

func TestRatioOfZero(t *testing.T) {
	assert.Equal(t, "—", ratio(1, 0))
	assert.Equal(t, "1.50×", ratio(3, 2))
}
