package netns

import (
	"github.com/anishathalye/porcupine"

	"github.com/rafter-go/rafter/internal/linearize"
)

// The workload's history and its porcupine model are internal/linearize's:
// one sequential specification of kvsm for both tests. Over the Redis port
// APPEND answers only the new length, which Output records with LenOnly; a
// CAS reply is the swap flag and the value after the command
// (CurrentFound, Current); Op.Err holds the host and any error text.
type (
	Kind    = linearize.Kind
	Input   = linearize.Input
	Output  = linearize.Output
	Op      = linearize.Op
	Outcome = linearize.Outcome
	History = linearize.History
)

const (
	Get    = linearize.Get
	Set    = linearize.Put // Redis SET is kvsm's put
	Append = linearize.Append
	CAS    = linearize.CAS

	OK      = linearize.OK
	Failed  = linearize.Failed
	Unknown = linearize.Unknown
)

// NewHistory starts a history now.
func NewHistory() *History { return linearize.NewHistory() }

// Model is one key's register (porcupine partitions the history by key).
func Model() porcupine.Model { return linearize.Model() }

// Operations turns recorded operations into porcupine's history with
// linearize.Operations (failed operations and unknown reads dropped, unknown
// writes open-ended). The netns clients keep their number after an unknown
// outcome, so here each gets a new porcupine id after one, as its next call
// overlaps the open-ended one.
func Operations(ops []Op) []porcupine.Operation {
	renumbered := make([]Op, len(ops))
	ids := map[int]int{}
	next := 0
	for i, op := range ops {
		if _, ok := ids[op.Client]; !ok {
			ids[op.Client] = next
			next++
		}
		op.Client = ids[op.Client]
		if op.Result == Unknown {
			delete(ids, ops[i].Client) // later calls of this client: a new id
		}
		renumbered[i] = op
	}
	out, _ := linearize.Operations(renumbered)
	return out
}
