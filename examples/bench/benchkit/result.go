package benchkit

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// ErrNoResultLine: a child process printed no RESULT line.
var ErrNoResultLine = errors.New("benchkit: child printed no RESULT line")

// resultPrefix starts the one line of a child's stdout that carries its
// Result as JSON.
const resultPrefix = "RESULT "

// Result is one measured run (one point, one repetition), the JSON line
// both programs write, so either's -aggregate (and examples/bench's
// -compare) reads both programs' lines.
type Result struct {
	System    string `json:"system"`
	Store     string `json:"store"`
	Transport string `json:"transport"`
	// Procs: each peer ran in its own OS process (examples/bench
	// -transport procs, bench/baseline -transport tcp -procs).
	Procs     bool    `json:"procs,omitempty"`
	Op        string  `json:"op"` // "write" (Op) or "read" (ReadOp)
	Clients   int     `json:"clients"`
	Size      int     `json:"size"`
	Seconds   float64 `json:"seconds"`
	Ops       int64   `json:"ops"`
	Errors    int64   `json:"errors"`
	OpsPerSec float64 `json:"ops_per_sec"`
	P50us     float64 `json:"p50_us"`
	P99us     float64 `json:"p99_us"`
	P999us    float64 `json:"p999_us"`
	MaxUs     float64 `json:"max_us"`
	MeanUs    float64 `json:"mean_us"`
	// CPUCores is the machine-wide busy CPU during the window, in cores.
	CPUCores float64 `json:"cpu_cores"`
	// ProcCores is the CPU of the process running the clients during the
	// window, in cores: all three peers with them, or only the leader's
	// with Procs.
	ProcCores float64 `json:"proc_cores"`
	// BGCores is the machine-wide busy CPU for 1 s before and after the
	// run (the larger): load from anything else.
	BGCores float64 `json:"bg_cores"`
	// LeaderSyncs is the number of fsync rounds of the leader's log in the
	// window, LeaderWrites its write requests, and EntriesPerWrite the
	// entries per fsync round. For rafter they are the log server's fsync
	// rounds and LogWrite messages; for hashicorp/raft both counts are its
	// StoreLogs batches (raft-wal fsyncs once per batch).
	LeaderSyncs     int64   `json:"leader_syncs"`
	LeaderWrites    int64   `json:"leader_writes"`
	EntriesPerWrite float64 `json:"entries_per_write"`
	GOMAXPROCS      int     `json:"gomaxprocs"`
	Note            string  `json:"note,omitempty"`
}

// PrintResult writes r as the one RESULT line a parent reads from a
// child's stdout (ParseResult).
func PrintResult(w io.Writer, r Result) error {
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("benchkit: %w", err)
	}
	if _, err := fmt.Fprintln(w, resultPrefix+string(b)); err != nil {
		return fmt.Errorf("benchkit: %w", err)
	}
	return nil
}

// ParseResult finds the RESULT line in a child's output.
func ParseResult(out string) (Result, error) {
	for _, l := range strings.Split(out, "\n") {
		if rest, ok := strings.CutPrefix(l, resultPrefix); ok {
			var r Result
			if err := json.Unmarshal([]byte(rest), &r); err != nil {
				return Result{}, fmt.Errorf("benchkit: child result: %w", err)
			}
			return r, nil
		}
	}
	return Result{}, ErrNoResultLine
}

// ReadJSONLines reads the Results written by -json to files.
func ReadJSONLines(files []string) ([]Result, error) {
	var rs []Result
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("benchkit: aggregate: %w", err)
		}
		for _, l := range strings.Split(string(b), "\n") {
			if strings.TrimSpace(l) == "" {
				continue
			}
			var r Result
			if err := json.Unmarshal([]byte(l), &r); err != nil {
				return nil, fmt.Errorf("benchkit: aggregate %s: %w", f, err)
			}
			rs = append(rs, r)
		}
	}
	return rs, nil
}

// appendJSONLine appends r to f as one JSON line (-json).
func appendJSONLine(f *os.File, r Result) error {
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("benchkit: %w", err)
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("benchkit: %w", err)
	}
	return nil
}
