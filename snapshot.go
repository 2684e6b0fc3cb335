package rafter

import "io"

// Snapshotter is an optional interface of a StateMachine: one that
// implements it can be snapshotted, and its peer's log compacted behind
// the snapshot. A StateMachine without it is never compacted: its peer
// keeps the whole log, on disk and in memory, and replays it from the
// first entry on every restart.
//
// Both methods are called on the peer's consensus actor, between two
// Apply calls, never concurrently with Apply, Read or each other.
type Snapshotter interface {
	// Snapshot captures the state as it is after the last Apply and
	// returns it as a Snapshot to be written later. It runs on the
	// consensus actor, which applies nothing meanwhile, so it must be
	// quick: a copy-on-write view or a point-in-time handle, not a copy
	// of the whole state (O(1) or O(tables), not O(keys)). An error means
	// no snapshot was taken; the peer retries later and loses nothing.
	Snapshot() (Snapshot, error)
	// Restore replaces the whole state with the one a Snapshot wrote to
	// r (after Restore the machine has applied exactly the snapshot's
	// prefix of the log, whatever it held before). The stream may be
	// truncated or corrupt: Restore must then return an error and either
	// leave the machine as it was (usable) or clearly failed, never
	// half-restored and silently divergent; rafter does not Apply to a
	// machine whose Restore failed. Restore must bound what it allocates
	// by what the stream holds, not by lengths the stream claims.
	Restore(r io.Reader) error
}

// Snapshot is a state captured by Snapshotter.Snapshot.
//
// WriteTo is called at most once, from a goroutine other than the
// consensus actor's, concurrently with further Apply (and Read) calls on
// the machine: it must write the state as of the Snapshot call, not as
// of now, and return the bytes written. Release is always called exactly
// once, after WriteTo returned or instead of it (a snapshot that is no
// longer wanted), and frees what the snapshot holds; after Release the
// Snapshot is not used again.
//
// Snapshot is an alias of an interface literal rather than a defined
// type so that a state machine can implement Snapshotter without
// importing this package (the module's own test state machine, which
// this package's tests import, does so to avoid an import cycle).
type Snapshot = interface {
	WriteTo(w io.Writer) (int64, error)
	Release()
}
