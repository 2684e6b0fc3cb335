package consensus

import (
	"fmt"
	"log/slog"
	"time"

	protoactor "github.com/asynkron/protoactor-go/actor"
	"google.golang.org/protobuf/proto"

	"github.com/rafter-go/rafter/actor"
	"github.com/rafter-go/rafter/consensus/core"
	"github.com/rafter-go/rafter/consensus/session"
	"github.com/rafter-go/rafter/events"
	"github.com/rafter-go/rafter/metrics"
	"github.com/rafter-go/rafter/rafterpb"
)

// This file fixes the contract between the consensus actor and the package
// that assembles peers (package rafter): Props(Options) builds the actor, and
// clients talk to it with the rafterpb client messages (OpRequest,
// ReadOpRequest, SetConfigRequest, GetLeaderRequest, GetEntryRequest,
// StatusRequest) sent with actor.Call; each gets its *Reply message back.

// StateMachine is what the consensus actor applies committed commands to.
// package rafter's StateMachine has the same method set.
type StateMachine interface {
	Apply(index uint64, cmd []byte) ([]byte, error)
	Read(query []byte) ([]byte, error)
}

// Action is an interceptor's verdict on one peer-to-peer message.
type Action int

const (
	Deliver Action = iota
	Drop
	Duplicate
	Delay
)

// Verdict is what an Interceptor returns; Delay is used with the Delay action.
type Verdict struct {
	Action Action
	Delay  time.Duration
}

// Interceptor sees every message a consensus actor sends across the link to
// another peer, before it is sent: Raft messages, client requests it
// forwards to the leader, and a leader's answers to forwarded requests (to
// is then the forwarding peer). Tests use it for partitions, loss and
// delay. It is called from the sending actor's goroutine and must be safe
// for concurrent use by many actors.
type Interceptor func(from, to *rafterpb.Peer, msg proto.Message) Verdict

// Options configures one consensus actor.
type Options struct {
	// Self is this peer.
	Self *rafterpb.Peer
	// System resolves peers to PIDs (peer p lives at name p.Name+"/consensus"
	// on node p.Node) and makes calls.
	System *actor.System
	// Log is this peer's log server (its sibling "<name>/log").
	Log *protoactor.PID
	// Core configures the Raft core. Core.ID is set from Self, and a zero
	// Core.Seed is replaced by one drawn from the clock on every start.
	Core core.Options
	// TickInterval is the wall-clock length of one core tick.
	TickInterval time.Duration
	// NewStateMachine returns a fresh state machine on every (re)start and
	// for every installed snapshot; the actor restores it from the newest
	// snapshot (if it implements Snapshotter) and applies the committed log
	// after it.
	NewStateMachine func() StateMachine
	// Interceptor, if set, filters outgoing peer messages.
	Interceptor Interceptor
	// Logger receives the actor's logs; nil discards them.
	Logger *slog.Logger
	// Metrics receives this peer's numbers (metrics.Set.Peer); nil: no
	// metrics, and no clock read or counter touched (see metrics.go).
	Metrics *metrics.Peer
	// Events publishes this peer's events (events.Bus.Peer); nil: none,
	// and with no subscriber each hook costs one atomic load (events.go).
	Events *events.Peer
	// MaxForwardHops bounds how often a client request is forwarded between
	// peers towards the leader before the peer answers ERROR_CODE_REDIRECT
	// instead; stale leader hints cannot make a request circle. 0 means the
	// default, DefaultMaxForwardHops.
	MaxForwardHops int
	// LogCallTimeout bounds the synchronous calls to the log server (LogLoad
	// on start, LogGetEntry for GetEntryRequest). 0 means the default,
	// DefaultLogCallTimeout.
	LogCallTimeout time.Duration
	// MaxCommandBytes bounds one OpRequest's command: a larger one is
	// answered ERROR_CODE_TOO_LARGE (definite) and never reaches the core,
	// whoever sent it (a client, a forwarding peer, a stranger). 0 means
	// the default, DefaultMaxCommandBytes.
	MaxCommandBytes int
	// Sessions bounds the table of exactly-once client sessions
	// (consensus/session). Every peer of a cluster must use the same
	// values: they decide what each replica applies.
	Sessions session.Options
}

// Defaults for the zero values of Options fields.
const (
	DefaultMaxForwardHops = 3
	DefaultLogCallTimeout = 10 * time.Second
	// DefaultMaxCommandBytes is half the log server's entry limit.
	DefaultMaxCommandBytes = 8 << 20
)

func (o Options) maxCommandBytes() int {
	if o.MaxCommandBytes > 0 {
		return o.MaxCommandBytes
	}
	return DefaultMaxCommandBytes
}

func (o Options) maxForwardHops() int {
	if o.MaxForwardHops > 0 {
		return o.MaxForwardHops
	}
	return DefaultMaxForwardHops
}

func (o Options) logCallTimeout() time.Duration {
	if o.LogCallTimeout > 0 {
		return o.LogCallTimeout
	}
	return DefaultLogCallTimeout
}

// Validate reports the first field of o that cannot work, wrapping
// ErrInvalidOptions. The actor panics with this error in Started, so the
// assembling package should call Validate before spawning.
func (o Options) Validate() error {
	switch {
	case o.Self.GetName() == "":
		return fmt.Errorf("%w: Self must name the local peer", ErrInvalidOptions)
	case o.System == nil:
		return fmt.Errorf("%w: System is nil", ErrInvalidOptions)
	case o.Log == nil:
		return fmt.Errorf("%w: Log (the log server PID) is nil", ErrInvalidOptions)
	case o.NewStateMachine == nil:
		return fmt.Errorf("%w: NewStateMachine is nil", ErrInvalidOptions)
	case o.TickInterval <= 0:
		return fmt.Errorf("%w: TickInterval %v must be positive", ErrInvalidOptions, o.TickInterval)
	case o.Core.ElectionTicks <= 0 || o.Core.HeartbeatTicks <= 0:
		return fmt.Errorf("%w: Core.ElectionTicks %d and Core.HeartbeatTicks %d must be positive",
			ErrInvalidOptions, o.Core.ElectionTicks, o.Core.HeartbeatTicks)
	case o.Core.HeartbeatTicks >= o.Core.ElectionTicks:
		return fmt.Errorf("%w: Core.HeartbeatTicks %d must be below Core.ElectionTicks %d",
			ErrInvalidOptions, o.Core.HeartbeatTicks, o.Core.ElectionTicks)
	case o.MaxForwardHops < 0:
		return fmt.Errorf("%w: MaxForwardHops %d is negative", ErrInvalidOptions, o.MaxForwardHops)
	case o.LogCallTimeout < 0:
		return fmt.Errorf("%w: LogCallTimeout %v is negative", ErrInvalidOptions, o.LogCallTimeout)
	}
	return nil
}
