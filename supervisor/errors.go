package supervisor

import (
	"errors"
	"fmt"
	"time"
)

var (
	// ErrInvalidSpec: Spec.Validate or a ChildSpec check refused a value.
	// Definite: nothing was spawned.
	ErrInvalidSpec = errors.New("supervisor: invalid spec")
	// ErrStartFailed is matched (errors.Is) by every *StartError.
	ErrStartFailed = errors.New("supervisor: child failed to start")
	// ErrRestartIntensity is matched (errors.Is) by every *IntensityError.
	ErrRestartIntensity = errors.New("supervisor: restart intensity reached")
	// ErrChildExists: StartChild was given a name the supervisor already has
	// (running or not). Definite: nothing was spawned.
	ErrChildExists = errors.New("supervisor: child name taken")
	// ErrNoChild: TerminateChild was given a name the supervisor does not have.
	ErrNoChild = errors.New("supervisor: no such child")
	// ErrNoSupervisor: no process answers at that PID (a dead letter came
	// back): the supervisor has stopped or never existed.
	ErrNoSupervisor = errors.New("supervisor: no supervisor at that PID")
	// ErrStopping: the supervisor is stopping (or gave up, or failed to
	// start) and takes no more requests.
	ErrStopping = errors.New("supervisor: stopping")
	// ErrChildExited is the cause recorded when a child stopped on its own
	// without a panic (a normal exit). It only restarts Permanent children.
	ErrChildExited = errors.New("supervisor: child exited")
)

// StartError says that a child failed to start. A child fails to start when
// spawning it fails (its name is taken, its producer panics), when its
// handler for *protoactor.Started panics, or when, after that handler
// returned, the child actor implements StartErrorer and reports a non-nil
// error. A nested supervisor fails to start when one of its children does.
type StartError struct {
	// Supervisor is the supervising actor's id, Child the child's name.
	Supervisor, Child string
	// Cause is the spawn error, a *PanicError, or the StartErrorer's error.
	Cause error
}

func (e *StartError) Error() string {
	return fmt.Sprintf("supervisor: %s: child %q failed to start: %v", e.Supervisor, e.Child, e.Cause)
}

// Unwrap lets errors.Is/As see both ErrStartFailed and the cause.
func (e *StartError) Unwrap() []error { return []error{ErrStartFailed, e.Cause} }

// IntensityError is why a supervisor gave up: the restart of Child was the
// (MaxRestarts+1)-th within Period. OTP: reached_max_restart_intensity.
type IntensityError struct {
	// Supervisor is the supervising actor's id, Child the child whose
	// restart went over the limit.
	Supervisor, Child string
	// MaxRestarts and Period are the limits from the Spec.
	MaxRestarts int
	Period      time.Duration
	// Cause is why Child went down: a *PanicError, ErrChildExited, a
	// *StartError (a restart that failed) or a nested *IntensityError.
	Cause error
}

func (e *IntensityError) Error() string {
	return fmt.Sprintf("supervisor: %s: more than %d restarts within %v (last: child %q: %v)",
		e.Supervisor, e.MaxRestarts, e.Period, e.Child, e.Cause)
}

// Unwrap lets errors.Is/As see both ErrRestartIntensity and the cause.
func (e *IntensityError) Unwrap() []error { return []error{ErrRestartIntensity, e.Cause} }

// PanicError carries the value a child panicked with (protoactor's failure
// "reason") and, when the supervisor's middleware saw the panic, its stack.
type PanicError struct {
	Value any
	Stack []byte
}

func (e *PanicError) Error() string { return fmt.Sprintf("supervisor: panic: %v", e.Value) }

// Unwrap returns the panic value when it is an error, so errors.Is/As reach
// through a panic(err).
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}

// StartErrorer is the optional interface a child actor implements to report a
// failed start-up without panicking: after the child's Receive has handled
// *protoactor.Started, the supervisor's middleware calls StartError on the
// actor instance; a non-nil error makes the start fail (OTP: init/1 returning
// {stop, Reason}). Supervisors implement it themselves.
type StartErrorer interface {
	StartError() error
}

// causeOf turns a protoactor failure reason into an error for IntensityError
// and the logs. Reasons that already are errors from this package (a nested
// supervisor's *IntensityError) are kept as they are.
func causeOf(reason any, stack []byte) error {
	var ie *IntensityError
	if err, ok := reason.(error); ok && errors.As(err, &ie) {
		return err
	}
	return &PanicError{Value: reason, Stack: stack}
}
