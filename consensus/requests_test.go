package consensus

import (
	"testing"
	"time"

	protoactor "github.com/asynkron/protoactor-go/actor"
	"github.com/stretchr/testify/assert"

	"github.com/rafter-go/rafter/actor"
	"github.com/rafter-go/rafter/consensus/core"
	"github.com/rafter-go/rafter/rafterpb"
)

func TestErrorReplyMatchesTheRequest(t *testing.T) {
	e := &rafterpb.Error{Code: rafterpb.ErrorCode_ERROR_CODE_NO_LEADER}
	assert.Same(t, e, errorReply(&rafterpb.OpRequest{}, e).(*rafterpb.OpReply).GetError())
	assert.Same(t, e, errorReply(&rafterpb.ReadOpRequest{}, e).(*rafterpb.ReadOpReply).GetError())
	assert.Same(t, e, errorReply(&rafterpb.SetConfigRequest{}, e).(*rafterpb.SetConfigReply).GetError())
	assert.Same(t, e, errorReply(&rafterpb.GetLeaderRequest{}, e).(*rafterpb.GetLeaderReply).GetError())
	assert.Same(t, e, errorReply(&rafterpb.GetEntryRequest{}, e).(*rafterpb.GetEntryReply).GetError())
	assert.Same(t, e, errorReply(&rafterpb.StatusRequest{}, e).(*rafterpb.StatusReply).GetError())
}

func TestRoleOf(t *testing.T) {
	assert.Equal(t, rafterpb.Role_ROLE_FOLLOWER, roleOf(core.Follower))
	assert.Equal(t, rafterpb.Role_ROLE_PRE_CANDIDATE, roleOf(core.PreCandidate))
	assert.Equal(t, rafterpb.Role_ROLE_CANDIDATE, roleOf(core.Candidate))
	assert.Equal(t, rafterpb.Role_ROLE_LEADER, roleOf(core.Leader))
}

func TestOptionsValidate(t *testing.T) {
	sys := &actor.System{}
	good := func() Options {
		return Options{
			Self:            &rafterpb.Peer{Name: "a"},
			System:          sys,
			Log:             protoactor.NewPID("nonhost", "a/log"),
			Core:            core.Options{ElectionTicks: 10, HeartbeatTicks: 2},
			TickInterval:    10 * time.Millisecond,
			NewStateMachine: func() StateMachine { return nil },
		}
	}
	assert.NoError(t, good().Validate())
	tests := []struct {
		name   string
		change func(*Options)
	}{
		{"no self", func(o *Options) { o.Self = nil }},
		{"no system", func(o *Options) { o.System = nil }},
		{"no log", func(o *Options) { o.Log = nil }},
		{"no state machine", func(o *Options) { o.NewStateMachine = nil }},
		{"zero tick", func(o *Options) { o.TickInterval = 0 }},
		{"zero election ticks", func(o *Options) { o.Core.ElectionTicks = 0 }},
		{"heartbeat not below election", func(o *Options) { o.Core.HeartbeatTicks = 10 }},
		{"negative hops", func(o *Options) { o.MaxForwardHops = -1 }},
		{"negative log timeout", func(o *Options) { o.LogCallTimeout = -time.Second }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := good()
			tt.change(&o)
			assert.ErrorIs(t, o.Validate(), ErrInvalidOptions)
		})
	}
}
