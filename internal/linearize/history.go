package linearize

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/anishathalye/porcupine"
)

// Outcome classifies a finished operation.
type Outcome int

const (
	// OK: the call returned a result.
	OK Outcome = iota
	// Failed: the call failed definitely (rafter.Definite): it did not
	// happen, so the check drops it.
	Failed
	// Unknown: the call failed with an unknown outcome (a timeout, a lost
	// leadership, ...): a write may or may not have happened.
	Unknown
)

func (o Outcome) String() string {
	switch o {
	case OK:
		return "ok"
	case Failed:
		return "failed"
	case Unknown:
		return "unknown"
	}
	return "?"
}

// Op is one recorded operation: its invocation and response times
// (nanoseconds since the start of the run, from the monotonic clock), what
// was asked, what came back, and the outcome.
type Op struct {
	Client int
	Input  Input
	Output Output
	Call   int64
	Return int64
	Result Outcome
	Err    string
}

// History records operations from concurrent clients.
type History struct {
	start time.Time
	mu    sync.Mutex
	ops   []Op
	bad   []string // errors that the workload cannot produce
}

func (h *History) unexpected(err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.bad = append(h.bad, err.Error())
}

// Unexpected returns the errors the workload should never see (a kvsm
// error result); a correct run has none.
func (h *History) Unexpected() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.bad...)
}

// NewHistory starts a history; times are measured from now.
func NewHistory() *History { return &History{start: time.Now()} }

// Now is the current time of the history.
func (h *History) Now() int64 { return int64(time.Since(h.start)) }

// Time converts a history time back to wall-clock time.
func (h *History) Time(t int64) time.Time { return h.start.Add(time.Duration(t)) }

// Add records a finished operation.
func (h *History) Add(op Op) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.ops = append(h.ops, op)
}

// Ops returns a copy of the recorded operations.
func (h *History) Ops() []Op {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]Op(nil), h.ops...)
}

// Counts is the number of operations per outcome and kind.
type Counts struct {
	Total     int
	ByOutcome map[Outcome]int
	ByKind    map[Kind]int
	// Checked is the number of operations handed to porcupine.
	Checked int
}

func (c Counts) String() string {
	return fmt.Sprintf("%d ops (ok %d, failed %d, unknown %d; get %d, put %d, append %d, cas %d), %d checked",
		c.Total, c.ByOutcome[OK], c.ByOutcome[Failed], c.ByOutcome[Unknown],
		c.ByKind[Get], c.ByKind[Put], c.ByKind[Append], c.ByKind[CAS], c.Checked)
}

// Operations turns recorded operations into porcupine's history:
//   - definitely failed operations are dropped (they did not happen);
//   - reads of unknown outcome are dropped (a read changes nothing);
//   - writes of unknown outcome get an open-ended return time (the end of
//     the history, after every other operation returned) and an output the
//     model accepts whatever it is, so porcupine may place them anywhere
//     after their invocation, which includes "never took effect".
//
// Each client gets a new porcupine client id after an unknown outcome, as
// its next call overlaps the open-ended one (Jepsen's crashed process).
func Operations(ops []Op) ([]porcupine.Operation, Counts) {
	c := Counts{Total: len(ops), ByOutcome: map[Outcome]int{}, ByKind: map[Kind]int{}}
	var horizon int64
	for _, op := range ops {
		horizon = max(horizon, op.Return)
	}
	horizon++
	out := make([]porcupine.Operation, 0, len(ops))
	for _, op := range ops {
		c.ByOutcome[op.Result]++
		c.ByKind[op.Input.Kind]++
		switch {
		case op.Result == Failed:
			continue
		case op.Result == Unknown && op.Input.Kind == Get:
			continue
		}
		ret, output := op.Return, op.Output
		if op.Result == Unknown {
			ret, output = horizon, Output{Unknown: true}
		}
		out = append(out, porcupine.Operation{
			ClientId: op.Client, Input: op.Input, Call: op.Call, Output: output, Return: ret,
			Metadata: op.Err,
		})
	}
	c.Checked = len(out)
	return out, c
}

// Verdict is the result of Check.
type Verdict struct {
	Result porcupine.CheckResult
	Counts Counts
	// HTML is the path of porcupine's visualization, written when the
	// history is not linearizable (or the check timed out).
	HTML    string
	Elapsed time.Duration
}

// Check checks ops against Model with porcupine, giving up after timeout
// (porcupine.Unknown). Unless the history is linearizable it writes
// porcupine's HTML visualization to a file in dir (os.TempDir() if empty)
// named after tag, and returns its path in the Verdict.
func Check(ops []Op, timeout time.Duration, dir, tag string) (Verdict, error) {
	hist, counts := Operations(ops)
	start := time.Now()
	res, info := porcupine.CheckOperationsVerbose(Model(), hist, timeout)
	v := Verdict{Result: res, Counts: counts, Elapsed: time.Since(start)}
	if res == porcupine.Ok {
		return v, nil
	}
	if dir == "" {
		dir = os.TempDir()
	}
	f, err := os.CreateTemp(dir, "linearize-"+tag+"-*.html")
	if err != nil {
		return v, fmt.Errorf("linearize: visualization: %w", err)
	}
	defer f.Close()
	if err := porcupine.Visualize(Model(), info, f); err != nil {
		return v, fmt.Errorf("linearize: visualization: %w", err)
	}
	v.HTML, _ = filepath.Abs(f.Name())
	return v, nil
}
