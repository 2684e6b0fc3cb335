package linearize

import (
	"fmt"
	"hash/fnv"

	"github.com/anishathalye/porcupine"
)

// Kind is the operation of one history entry.
type Kind int

const (
	Get Kind = iota
	Put
	Append
	CAS
)

func (k Kind) String() string {
	switch k {
	case Get:
		return "get"
	case Put:
		return "put"
	case Append:
		return "append"
	case CAS:
		return "cas"
	}
	return "unknown"
}

// Input is what a client asked for. For CAS, ExpectAbsent means "the key
// must not exist" and Expected is ignored (kvsm.Client.CAS with a nil
// expected value).
type Input struct {
	Kind         Kind
	Key          string
	Value        string
	Expected     string
	ExpectAbsent bool
}

// Output is what the client saw. Unknown marks a write whose outcome is
// unknown (rafter.Definite was false): the model accepts any result for it.
type Output struct {
	Unknown      bool
	Found        bool   // Get
	Value        string // Get, Append (the new value)
	Len          int64  // Append, with LenOnly: the new value's length
	LenOnly      bool   // Append answered only the new length (Redis's APPEND over RESP)
	Swapped      bool   // CAS
	CurrentFound bool   // CAS: the key's value after the command
	Current      string // CAS
}

// state is one key's value in the model; comparable, so porcupine's
// default equality works.
type state struct {
	found bool
	value string
}

// Model is the sequential specification of a kvsm table used by the
// checks: a map of keys to values with get, put, append and cas, exactly
// as kvsm.Machine applies them. It is partitioned by key (porcupine checks
// each key's sub-history alone: P-compositionality), so its state is one
// key's value.
func Model() porcupine.Model {
	return porcupine.Model{
		Partition: partitionByKey,
		Init:      func() any { return state{} },
		Step:      step,
		Hash: func(s any) uint64 {
			h := fnv.New64a()
			st := s.(state)
			_, _ = h.Write([]byte(st.value))
			if st.found {
				_, _ = h.Write([]byte{1})
			}
			return h.Sum64()
		},
		DescribeOperation: describeOp,
		DescribeState: func(s any) string {
			st := s.(state)
			if !st.found {
				return "<absent>"
			}
			return fmt.Sprintf("%q", st.value)
		},
	}
}

func step(s, in, out any) (bool, any) {
	st, i, o := s.(state), in.(Input), out.(Output)
	switch i.Kind {
	case Get:
		return o.Found == st.found && o.Value == st.value, st
	case Put:
		return true, state{found: true, value: i.Value}
	case Append:
		next := state{found: true, value: st.value + i.Value}
		if o.LenOnly {
			return o.Unknown || o.Len == int64(len(next.value)), next
		}
		return o.Unknown || o.Value == next.value, next
	case CAS:
		match := i.ExpectAbsent && !st.found || !i.ExpectAbsent && st.found && st.value == i.Expected
		next := st
		if match {
			next = state{found: true, value: i.Value}
		}
		if o.Unknown {
			return true, next
		}
		return o.Swapped == match && o.CurrentFound == next.found && o.Current == next.value, next
	}
	return false, st
}

func partitionByKey(history []porcupine.Operation) [][]porcupine.Operation {
	byKey := make(map[string][]porcupine.Operation)
	var order []string
	for _, op := range history {
		k := op.Input.(Input).Key
		if _, ok := byKey[k]; !ok {
			order = append(order, k)
		}
		byKey[k] = append(byKey[k], op)
	}
	out := make([][]porcupine.Operation, 0, len(order))
	for _, k := range order {
		out = append(out, byKey[k])
	}
	return out
}

func describeOp(in, out any) string {
	i, o := in.(Input), out.(Output)
	res := func(s string) string {
		if o.Unknown {
			return "?"
		}
		return s
	}
	switch i.Kind {
	case Get:
		if !o.Found {
			return fmt.Sprintf("get(%s) → <absent>", i.Key)
		}
		return fmt.Sprintf("get(%s) → %q", i.Key, o.Value)
	case Put:
		return fmt.Sprintf("put(%s, %q)%s", i.Key, i.Value, res(""))
	case Append:
		return fmt.Sprintf("append(%s, %q) → %s", i.Key, i.Value, res(fmt.Sprintf("%q", o.Value)))
	case CAS:
		exp := fmt.Sprintf("%q", i.Expected)
		if i.ExpectAbsent {
			exp = "<absent>"
		}
		return fmt.Sprintf("cas(%s, %s, %q) → %s", i.Key, exp, i.Value, res(fmt.Sprintf("%v", o.Swapped)))
	}
	return "unknown"
}
