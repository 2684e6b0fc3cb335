package consensus

import (
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/rafter-go/rafter/rafterpb"
)

// protoactor keeps an actor's mailbox across a restart, so the new instance
// can receive ticks and write acknowledgements meant for the old one. They
// must not touch the core (nil here: touching it would panic) nor release
// messages held for the new instance's own writes.
func TestStaleTicksAndAcksOfAPreviousIncarnationAreDropped(t *testing.T) {
	held := []heldMessages{{seq: 7<<32 | 1, msgs: []*rafterpb.RaftMessage{{}}}}
	a := &consensusActor{logger: slog.New(slog.DiscardHandler), incarnation: 7, held: held}

	a.onTick(nil, &tick{gen: 6})
	a.onLogWritten(nil, &rafterpb.LogWritten{Seq: 6<<32 | 1, LastIndex: 99, LastTerm: 9})
	a.onLogWritten(nil, &rafterpb.LogWritten{Seq: 1})

	assert.Equal(t, held, a.held, "nothing released")
	assert.Nil(t, a.timer, "no timer armed by a stale tick")
}

func TestAFailedWriteIsAnInvariantBreak(t *testing.T) {
	a := &consensusActor{logger: slog.New(slog.DiscardHandler), incarnation: 1}
	assert.PanicsWithError(t, "consensus: log write failed: seq 4294967297: disk full", func() {
		a.onLogWritten(nil, &rafterpb.LogWritten{Seq: 1<<32 | 1, Error: &rafterpb.Error{Message: "disk full"}})
	})
}
