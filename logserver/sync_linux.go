package logserver

import (
	"fmt"
	"os"
	"runtime"
	"sync/atomic"
	"syscall"
	"time"
)

// datasync flushes f's data and the metadata needed to read it back (its
// size), like fdatasync(2): cheaper than fsync because timestamps are not
// flushed.
func datasync(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return fmt.Errorf("logserver: fdatasync %s: %w", f.Name(), err)
	}
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = fdatasync(fd) }); err != nil {
		return fmt.Errorf("logserver: fdatasync %s: %w", f.Name(), err)
	}
	if serr != nil {
		return fmt.Errorf("logserver: fdatasync %s: %w", f.Name(), serr)
	}
	return nil
}

// fdatasync calls fdatasync(2), keeping the calling goroutine's P through
// the call when holdPolicy allows.
//
// Why: Go gives up the P of a blocking system call only after the fact. The
// system monitor takes a P that has sat in a call for 20 µs while other
// goroutines wait for it and hands it to another thread (waking it, and
// polling every 20 µs for a while after); when the call returns, its thread
// seldom finds a free P, so the goroutine waits on the global run queue and
// the thread goes to sleep. A log server fdatasyncs hundreds of times a
// second for about a millisecond each, and every Raft round waits for it to
// be scheduled again after the call. Holding the P costs the process one P
// for the length of one fdatasync, while the other Ps run everything else,
// and the log server answers the moment the call returns. Measured at 128
// clients, each peer its own process: 10 % more writes a second (median of
// 10 alternating pairs, every pair faster), with less CPU and fewer thread
// switches.
func fdatasync(fd uintptr) error {
	return holding.fdatasync(fd, openLogs.Load(), runtime.GOMAXPROCS(0))
}

func (h *holdPolicy) fdatasync(fd uintptr, logs int32, procs int) error {
	held := h.enter(logs, procs)
	var start time.Time
	if held {
		start = time.Now() // only a held call is timed (exit)
	}
	var err error
	for {
		var e syscall.Errno
		if held {
			_, _, e = syscall.RawSyscall(syscall.SYS_FDATASYNC, fd, 0, 0)
		} else {
			_, _, e = syscall.Syscall(syscall.SYS_FDATASYNC, fd, 0, 0)
		}
		if e != syscall.EINTR {
			if e != 0 {
				err = e
			}
			break
		}
	}
	if held {
		h.exit(time.Since(start))
	}
	return err
}

// holdPolicy decides when an fdatasync may keep its P. Two costs bound it:
//   - Ps: one call at a time holds one, only with GOMAXPROCS >= 2, and only
//     while this process has one log open (a peer per process, as deployed).
//     The other Ps run everything else meanwhile. Several logs in one
//     process fsync at once and share its Ps with all their peers' actors;
//     there, holding made three peers in one process bimodal (39k or 61k
//     writes a second at 128 clients, against 53k-61k without).
//   - Stops of the world: the garbage collector's stop waits for a call that
//     holds a P to return. A disk that stalls would stall the whole process
//     with it, so a held call that took longer than slowSync turns holding
//     off for the process for pause; plain calls block only their caller.
type holdPolicy struct {
	held     atomic.Uint64 // calls made holding the P
	inFlight atomic.Bool
	offUntil atomic.Int64 // since epoch, ns; 0: on
	epoch    time.Time    // monotonic reference
	slowSync time.Duration
	pause    time.Duration
	slow     atomic.Uint64 // held calls that turned holding off
}

const (
	heldSlowLimit = 20 * time.Millisecond // a held call slower turns holding off
	heldPause     = 30 * time.Second      // for this long
)

var holding = newHoldPolicy(heldSlowLimit, heldPause)

// slowHeldSyncs counts the held calls that turned holding off (Sync logs a
// warning when one of its calls did).
func slowHeldSyncs() uint64 { return holding.slow.Load() }

func newHoldPolicy(slowSync, pause time.Duration) *holdPolicy {
	return &holdPolicy{epoch: time.Now(), slowSync: slowSync, pause: pause}
}

// enter reports whether a caller, in a process with logs open logs and
// procs Ps, may hold its P, and if so takes the one turn.
func (h *holdPolicy) enter(logs int32, procs int) bool {
	if logs > 1 || procs < 2 {
		return false
	}
	if until := h.offUntil.Load(); until != 0 && int64(time.Since(h.epoch)) < until {
		return false
	}
	if !h.inFlight.CompareAndSwap(false, true) {
		return false
	}
	h.held.Add(1)
	return true
}

// exit ends a held call that took d.
func (h *holdPolicy) exit(d time.Duration) {
	h.inFlight.Store(false)
	if d > h.slowSync {
		h.slow.Add(1)
		h.offUntil.Store(int64(time.Since(h.epoch) + h.pause))
	}
}
