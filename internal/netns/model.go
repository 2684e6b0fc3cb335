package netns

import (
	"fmt"
	"hash/fnv"
	"sync"
	"time"

	"github.com/anishathalye/porcupine"
)

// This model is examples/node's RESP view of kvsm, so it differs from
// internal/linearize's in one place: APPEND answers the new length, not
// the new value (Redis semantics), so Output carries a length.

// Kind is an operation of the workload.
type Kind int

const (
	Get Kind = iota
	Set
	Append
	CAS
)

func (k Kind) String() string {
	return [...]string{"get", "set", "append", "cas"}[k]
}

// Input is what a client asked for. CAS with ExpectAbsent is "CAS key new
// ABSENT"; otherwise "CAS key new EXPECT Expected".
type Input struct {
	Kind         Kind
	Key          string
	Value        string
	Expected     string
	ExpectAbsent bool
}

// Output is what came back. Unknown marks a write whose outcome is unknown:
// the model accepts any result for it.
type Output struct {
	Unknown bool
	Found   bool   // GET: the key exists; CAS: it exists after the command
	Value   string // GET; CAS: the value after the command
	Len     int64  // APPEND: the new length
	Swapped bool   // CAS
}

// Outcome classifies a finished operation.
type Outcome int

const (
	// OK: a reply that is the command's result.
	OK Outcome = iota
	// Failed: definitely not applied (TRYAGAIN): dropped from the check.
	Failed
	// Unknown: no reply, a timeout, UNKNOWN, or another error: a write
	// may or may not have happened; a read is dropped.
	Unknown
)

// Op is one recorded operation; times are nanoseconds since the history
// began (monotonic).
type Op struct {
	Client int
	Input  Input
	Output Output
	Call   int64
	Return int64
	Result Outcome
	Note   string
}

// History collects operations from concurrent clients.
type History struct {
	start time.Time
	mu    sync.Mutex
	ops   []Op
}

// NewHistory starts a history now.
func NewHistory() *History { return &History{start: time.Now()} }

// Now is the current time of the history.
func (h *History) Now() int64 { return int64(time.Since(h.start)) }

// Time converts a history time back to wall-clock time.
func (h *History) Time(t int64) time.Time { return h.start.Add(time.Duration(t)) }

// Add records one operation.
func (h *History) Add(op Op) {
	h.mu.Lock()
	h.ops = append(h.ops, op)
	h.mu.Unlock()
}

// Ops is a copy of what was recorded.
func (h *History) Ops() []Op {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]Op(nil), h.ops...)
}

type kvState struct {
	found bool
	value string
}

// Model is one key's register (porcupine partitions the history by key).
func Model() porcupine.Model {
	return porcupine.Model{
		Partition: func(h []porcupine.Operation) [][]porcupine.Operation {
			byKey := map[string][]porcupine.Operation{}
			var keys []string
			for _, op := range h {
				k := op.Input.(Input).Key
				if _, ok := byKey[k]; !ok {
					keys = append(keys, k)
				}
				byKey[k] = append(byKey[k], op)
			}
			out := make([][]porcupine.Operation, len(keys))
			for i, k := range keys {
				out[i] = byKey[k]
			}
			return out
		},
		Init: func() any { return kvState{} },
		Step: step,
		Hash: func(s any) uint64 {
			st := s.(kvState)
			h := fnv.New64a()
			_, _ = h.Write([]byte(st.value))
			if st.found {
				_, _ = h.Write([]byte{1})
			}
			return h.Sum64()
		},
		DescribeOperation: func(in, out any) string {
			i, o := in.(Input), out.(Output)
			if o.Unknown {
				return fmt.Sprintf("%s(%s, %q) → ?", i.Kind, i.Key, i.Value)
			}
			return fmt.Sprintf("%s(%s, %q, exp %q/%v) → %+v", i.Kind, i.Key, i.Value, i.Expected, i.ExpectAbsent, o)
		},
		DescribeState: func(s any) string {
			st := s.(kvState)
			if !st.found {
				return "<absent>"
			}
			return fmt.Sprintf("%q", st.value)
		},
	}
}

func step(s, in, out any) (bool, any) {
	st, i, o := s.(kvState), in.(Input), out.(Output)
	switch i.Kind {
	case Get:
		return o.Found == st.found && o.Value == st.value, st
	case Set:
		return true, kvState{true, i.Value}
	case Append:
		next := kvState{true, st.value + i.Value}
		return o.Unknown || o.Len == int64(len(next.value)), next
	case CAS:
		match := (i.ExpectAbsent && !st.found) || (!i.ExpectAbsent && st.found && st.value == i.Expected)
		next := st
		if match {
			next = kvState{true, i.Value}
		}
		return o.Unknown || (o.Swapped == match && o.Found == next.found && o.Value == next.value), next
	}
	return false, st
}

// Operations turns recorded operations into porcupine's history. Failed
// operations and reads of unknown outcome are dropped; a write of unknown
// outcome is given the end of the history as its return (it may take
// effect at any point after its call, or never) and its client gets a new
// porcupine id, as its next call overlaps the open-ended one.
func Operations(ops []Op) []porcupine.Operation {
	var horizon int64
	for _, op := range ops {
		horizon = max(horizon, op.Return)
	}
	horizon++
	out := make([]porcupine.Operation, 0, len(ops))
	ids := map[int]int{}
	next := 0
	id := func(c int) int {
		if _, ok := ids[c]; !ok {
			ids[c] = next
			next++
		}
		return ids[c]
	}
	for _, op := range ops {
		switch {
		case op.Result == Failed, op.Result == Unknown && op.Input.Kind == Get:
			continue
		}
		ret, o := op.Return, op.Output
		cid := id(op.Client)
		if op.Result == Unknown {
			ret, o = horizon, Output{Unknown: true}
			delete(ids, op.Client) // later calls of this client: a new id
		}
		out = append(out, porcupine.Operation{ClientId: cid, Input: op.Input, Call: op.Call, Output: o, Return: ret})
	}
	return out
}
