package events

import (
	"fmt"
	"time"
)

// Kind says what an Event reports; it decides which fields are set.
type Kind uint8

// The kinds of event. Each comment lists the fields it sets beyond Seq,
// Time, Peer and Kind.
const (
	// KindRole: the peer's role, term or known leader changed (Role,
	// Term, Leader).
	KindRole Kind = iota + 1
	// KindVote: the peer cast its vote in Term for To.
	KindVote
	// KindAppend: entries First..Last, all of term EntryTerm, were handed
	// to the log server. Anything the peer held from First on was
	// replaced (a follower's conflicting suffix).
	KindAppend
	// KindCommit: the commit index rose to Last (First is the first newly
	// committed index).
	KindCommit
	// KindApply: entries First..Last were applied to the state machine.
	KindApply
	// KindSend: a Raft message left (Msg, From, To, Term, First..Last,
	// Success); Verdict is the interceptor's decision when it was not
	// "deliver" (the message was then dropped, delayed or duplicated).
	KindSend
	// KindReceive: a Raft message reached the peer's consensus actor and
	// was handed to the core (same fields as KindSend, without Verdict).
	KindReceive
	// KindTimer: the election timer was reset or drawn anew: it fires in
	// Remaining unless the peer hears from a leader (Timeout is the drawn
	// timeout). Leaders have none.
	KindTimer
	// KindConfig: the latest configuration in the peer's log changed
	// (State, Old, New).
	KindConfig
	// KindStart: the peer's consensus actor (re)started from its log
	// (Incarnation, Term, Last is the last index recovered).
	KindStart
	// KindDown: the peer's consensus actor is stopping (a restart or a
	// stop); a KindStart follows if it restarts.
	KindDown
	// KindRestart: the peer's supervisor restarts both actors because
	// Actor ("consensus" or "log") went down (Reason).
	KindRestart
	// KindKill: System.Kill was asked to crash Actor.
	KindKill
	// KindStop: the peer stopped for good: StopNode, Shutdown, or its
	// supervisor gave up (Reason).
	KindStop

	kindEnd
)

var kindNames = [...]string{
	KindRole: "role", KindVote: "vote", KindAppend: "append", KindCommit: "commit",
	KindApply: "apply", KindSend: "send", KindReceive: "receive", KindTimer: "timer",
	KindConfig: "config", KindStart: "start", KindDown: "down", KindRestart: "restart",
	KindKill: "kill", KindStop: "stop",
}

func (k Kind) String() string {
	if k > 0 && k < kindEnd {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// MarshalText makes a Kind its name in JSON.
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText reads a Kind's name, so Events read back from JSON.
func (k *Kind) UnmarshalText(b []byte) error {
	v, err := ParseKind(string(b))
	if err != nil {
		return err
	}
	*k = v
	return nil
}

// ParseKind returns the Kind named s (as Kind.String spells it).
func ParseKind(s string) (Kind, error) {
	for k := KindRole; k < kindEnd; k++ {
		if kindNames[k] == s {
			return k, nil
		}
	}
	return 0, fmt.Errorf("%w: %q", ErrUnknownKind, s)
}

// Event is one thing that happened at one peer. Which fields are set
// depends on Kind (see the Kind constants); the others are zero and left
// out of JSON. Peers are named as rafter.Peer.String does ("name" or
// "name@node").
type Event struct {
	Seq  uint64    `json:"seq"`
	Time time.Time `json:"time"`
	Peer string    `json:"peer"`
	Kind Kind      `json:"kind"`

	Term   uint64 `json:"term,omitempty"`
	Role   string `json:"role,omitempty"`
	Leader string `json:"leader,omitempty"`

	// Msg is the Raft message type: request_vote, pre_vote, vote,
	// pre_vote_reply, append_entries, append_entries_reply, timeout_now,
	// install_snapshot, install_snapshot_reply.
	Msg     string `json:"msg,omitempty"`
	From    string `json:"from,omitempty"`
	To      string `json:"to,omitempty"`
	Success bool   `json:"success,omitempty"`
	Verdict string `json:"verdict,omitempty"`

	// First..Last is an index range: entries carried, appended,
	// committed or applied; for a reply, Last is the index it reports.
	First     uint64 `json:"first,omitempty"`
	Last      uint64 `json:"last,omitempty"`
	EntryTerm uint64 `json:"entry_term,omitempty"`

	Remaining time.Duration `json:"remaining_ns,omitempty"`
	Timeout   time.Duration `json:"timeout_ns,omitempty"`

	State string   `json:"state,omitempty"`
	Old   []string `json:"old,omitempty"`
	New   []string `json:"new,omitempty"`

	Incarnation uint64 `json:"incarnation,omitempty"`
	Actor       string `json:"actor,omitempty"`
	Reason      string `json:"reason,omitempty"`

	// Dropped is how many events this subscriber lost, because its channel
	// was full, since the previous event it received.
	Dropped uint64 `json:"dropped,omitempty"`
}
