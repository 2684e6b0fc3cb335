package supervisor

import (
	"fmt"
	"strings"
	"time"

	protoactor "github.com/asynkron/protoactor-go/actor"
)

// Strategy says which children a supervisor restarts when one of them must be
// restarted. OTP: supervisor strategy one_for_one | one_for_all | rest_for_one.
type Strategy int

const (
	// OneForOne restarts only the child that went down.
	OneForOne Strategy = iota
	// OneForAll stops every other child (in reverse start order) and then
	// restarts all of them in start order. rafter: rafter_consensus_sup.
	OneForAll
	// RestForOne stops the children started after the one that went down (in
	// reverse start order) and restarts it and them in start order.
	// protoactor has no counterpart; it is built here.
	RestForOne
)

// String returns the OTP spelling: "one_for_one", "one_for_all", "rest_for_one".
func (s Strategy) String() string {
	switch s {
	case OneForOne:
		return "one_for_one"
	case OneForAll:
		return "one_for_all"
	case RestForOne:
		return "rest_for_one"
	default:
		return fmt.Sprintf("Strategy(%d)", int(s))
	}
}

// Restart says when a child that went down is restarted. OTP: the restart
// field of a child spec. protoactor has no such notion (it never restarts a
// child that stopped normally); it is built here.
type Restart int

const (
	// Permanent children are always restarted, after a crash or a normal stop.
	Permanent Restart = iota
	// Transient children are restarted only after a crash (a panic, or a
	// nested supervisor giving up); a normal stop leaves them down, still
	// listed by WhichChildren with a nil PID.
	Transient
	// Temporary children are never restarted; once down they are removed
	// from the supervisor. They are also removed, not restarted, when a
	// OneForAll or RestForOne restart stops them along with a sibling (OTP).
	Temporary
)

// String returns the OTP spelling: "permanent", "transient", "temporary".
func (r Restart) String() string {
	switch r {
	case Permanent:
		return "permanent"
	case Transient:
		return "transient"
	case Temporary:
		return "temporary"
	default:
		return fmt.Sprintf("Restart(%d)", int(r))
	}
}

// ChildSpec describes one child. OTP: child_spec() (id, start, restart); there
// is no shutdown field because protoactor cannot kill an actor that is busy
// in Receive: a stop always waits for the child (see the package doc).
type ChildSpec struct {
	// Name is the child's name under its supervisor: the child's process id
	// is "<supervisor id>/<Name>" and stays the same across restarts, so PIDs
	// built from it keep working. Non-empty, without '/', unique within the
	// supervisor.
	Name string
	// Props makes the child. It is cloned on every start with a receiver
	// middleware that tells the supervisor whether the start-up succeeded and
	// when the child has stopped; the producer is called again on every
	// restart, so the child starts from fresh state (and a fresh mailbox).
	// A nested supervisor is a child whose Props come from Props(spec).
	Props *protoactor.Props
	// Mailbox is the child's mailbox producer; nil means protoactor's
	// unbounded mailbox. It replaces any mailbox set in Props, because the
	// supervisor wraps it in actor.SafeMailbox (a restarted child's name is
	// reachable before its mailbox is ready; see actor.SafeMailbox).
	Mailbox protoactor.MailboxProducer
	// Restart is Permanent (the zero value), Transient or Temporary.
	Restart Restart
}

// Spec describes a supervisor. OTP: the {SupFlags, ChildSpecs} that init/1
// returns.
type Spec struct {
	// Strategy is OneForOne (the zero value), OneForAll or RestForOne.
	Strategy Strategy
	// MaxRestarts is the restart intensity: at most MaxRestarts restarts
	// within Period, counted over all children of this supervisor (OTP
	// intensity; protoactor counts per child). The (MaxRestarts+1)-th
	// restart within Period makes the supervisor give up: it stops its
	// children in reverse start order and then itself, with an
	// *IntensityError. 0 means the first restart already gives up. Must be
	// >= 0.
	MaxRestarts int
	// Period is the sliding window for MaxRestarts (OTP period, which is in
	// seconds; here any positive duration). Must be > 0.
	Period time.Duration
	// Children are started in this order when the supervisor starts and
	// stopped in the reverse order. May be empty (children added later with
	// StartChild, like OTP's simple dynamic supervisors).
	Children []ChildSpec
	// OnStop, if set, is called once when the supervisor stops, on the
	// supervisor's goroutine, after all its children have stopped: reason
	// is nil for an ordinary stop, an *IntensityError when it gave up, or
	// a *StartError when its start-up failed. It must not block on the
	// supervisor (e.g. call WhichChildren on it).
	OnStop func(reason error)
	// OnRestart, if set, is called on the supervisor's goroutine each time
	// the supervisor decides to restart after child went down (cause is
	// ErrChildExited for a child that stopped on its own), before any
	// child is stopped or started again. It must not block on the
	// supervisor. Observers use it to show restarts.
	OnRestart func(child string, cause error)

	// now is the clock for restart intensity; nil means time.Now. Tests set
	// it to drive Period without waiting.
	now func() time.Time
}

// Validate reports, wrapped in ErrInvalidSpec, the first thing wrong with the
// spec: an unknown strategy or restart type, MaxRestarts < 0, Period <= 0, or
// a child with an empty, '/'-containing or duplicate name or nil Props.
func (s Spec) Validate() error {
	if s.Strategy < OneForOne || s.Strategy > RestForOne {
		return fmt.Errorf("%w: unknown strategy %d", ErrInvalidSpec, int(s.Strategy))
	}
	if s.MaxRestarts < 0 {
		return fmt.Errorf("%w: MaxRestarts %d < 0", ErrInvalidSpec, s.MaxRestarts)
	}
	if s.Period <= 0 {
		return fmt.Errorf("%w: Period %v must be > 0", ErrInvalidSpec, s.Period)
	}
	seen := make(map[string]bool, len(s.Children))
	for _, c := range s.Children {
		if err := c.validate(); err != nil {
			return err
		}
		if seen[c.Name] {
			return fmt.Errorf("%w: duplicate child name %q", ErrInvalidSpec, c.Name)
		}
		seen[c.Name] = true
	}
	return nil
}

func (c ChildSpec) validate() error {
	if err := validName(c.Name); err != nil {
		return err
	}
	if c.Props == nil {
		return fmt.Errorf("%w: child %q has nil Props", ErrInvalidSpec, c.Name)
	}
	if c.Restart < Permanent || c.Restart > Temporary {
		return fmt.Errorf("%w: child %q has unknown restart type %d", ErrInvalidSpec, c.Name, int(c.Restart))
	}
	return nil
}

// validName refuses names that would make the child's id ambiguous: the id is
// "<supervisor id>/<name>" and lookups by name are relative to the supervisor.
func validName(name string) error {
	if name == "" {
		return fmt.Errorf("%w: empty name", ErrInvalidSpec)
	}
	if strings.Contains(name, "/") {
		return fmt.Errorf("%w: name %q contains '/'", ErrInvalidSpec, name)
	}
	return nil
}

// ChildInfo is one line of WhichChildren. OTP: {Id, Child, Type, Modules}.
type ChildInfo struct {
	// Name is the ChildSpec name.
	Name string
	// PID is the running incarnation, or nil while the child is down (a
	// Transient child that stopped normally, or a child between stop and
	// restart). Its Id is the same for every incarnation.
	PID *protoactor.PID
	// Restart is the child's restart type.
	Restart Restart
	// Incarnation counts the child's starts under this supervisor
	// incarnation: 1 after the first start, +1 on every restart.
	Incarnation uint64
}
