package core

import "errors"

// Errors returned by Step and New (not carried in a Result). They are
// additions to the contract in api.go.
var (
	// ErrInvalidMessage: Step got a malformed message (no sender, term 0, no
	// body, entries that are not contiguous, ...). The core is unchanged.
	ErrInvalidMessage = errors.New("core: invalid message")
	// ErrContradiction: Step got a well-formed message that no correct peer
	// sends, as it contradicts what this peer knows (an AppendEntries to the
	// leader in its own term, one overwriting a committed entry). The core
	// is unchanged; the shell logs and counts it: the sender is faulty,
	// hostile, or lost acknowledged state.
	ErrContradiction = errors.New("core: contradictory message")
	// ErrUnsupported: Step got a message kind this core does not handle yet
	// (InstallSnapshot, TimeoutNow). The core is unchanged.
	ErrUnsupported = errors.New("core: unsupported message")
	// ErrUnknownPeer: Step dropped a message from a peer that the latest
	// configuration does not list (a RequestVote it would refuse anyway, a
	// Vote, an AppendEntriesReply the leader does not expect); see
	// checkSender. The core is unchanged and sends no reply. The shell logs
	// it: it usually means a misconfigured or removed peer.
	ErrUnknownPeer = errors.New("core: message from a peer not in the configuration")
	// ErrOtherCluster: Step dropped a message of another cluster (its
	// cluster ID differs from this peer's). The core is unchanged and
	// sends no reply; the shell logs it.
	ErrOtherCluster = errors.New("core: message from another cluster")
	// ErrInvalidOptions: New got Options it cannot use.
	ErrInvalidOptions = errors.New("core: invalid options")
	// ErrInvalidRestored: New got a Restored state that is not a log
	// (indexes not contiguous from 1, terms going back or past the stored
	// term).
	ErrInvalidRestored = errors.New("core: invalid restored state")
)
