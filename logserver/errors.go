package logserver

import (
	"errors"
	"fmt"

	"github.com/rafter-go/rafter/rafterpb"
)

// Errors returned by Log.Write for bad input. Each is definite: nothing of the
// refused write (entries or metadata) changed, in memory or on disk.
var (
	// ErrIndexGap: the entries are not contiguous, or the first one would
	// leave a hole after the last stored index, or an index is 0.
	ErrIndexGap = errors.New("logserver: index gap")
	// ErrTermRegress: an entry's term is lower than the entry before it, or
	// new metadata has a lower term than the stored metadata.
	ErrTermRegress = errors.New("logserver: term lower than previous")
	// ErrBelowCommit: the write would truncate an entry at or below the
	// commit floor (Raft §5.3: a committed entry is never overwritten).
	ErrBelowCommit = errors.New("logserver: truncation at or below the commit floor")
	// ErrEntryTooLarge: an entry's encoding exceeds Options.MaxEntryBytes.
	ErrEntryTooLarge = errors.New("logserver: entry too large")
)

// Other errors.
var (
	// ErrNotFound: no entry at that index.
	ErrNotFound = errors.New("logserver: no such entry")
	// ErrClosed: the log was closed, or a previous I/O error made it unusable
	// (reopen it to recover).
	ErrClosed = errors.New("logserver: log closed")
	// ErrCorrupt is matched (errors.Is) by every *CorruptError.
	ErrCorrupt = errors.New("logserver: corrupt data")
	// ErrLocked: another process or actor holds the data directory.
	ErrLocked = errors.New("logserver: data directory locked")
	// ErrCompacted: the index is below the log's first index; only the
	// snapshot holds its effect (definite).
	ErrCompacted = errors.New("logserver: index compacted")
)

// Snapshot errors. Each is definite: the current snapshot, the log and the
// files are as before (a refused save or install leaves no temp file).
var (
	// ErrSnapshotStale: the snapshot is not newer than the current one.
	ErrSnapshotStale = errors.New("logserver: snapshot not newer than the current one")
	// ErrSnapshotMismatch: the snapshot's index is not in the log, or the
	// log has another term there.
	ErrSnapshotMismatch = errors.New("logserver: snapshot does not match the log")
	// ErrSnapshotBusy: a save is already running; ask again later.
	ErrSnapshotBusy = errors.New("logserver: a snapshot save is already running")
	// ErrSnapshotAborted: the save was aborted (the log server stopped, or
	// the body's WriteTo failed).
	ErrSnapshotAborted = errors.New("logserver: snapshot save aborted")
	// ErrSnapshotInvalid: a received snapshot failed its checks (header,
	// size, checksum, or it is not the snapshot offered), or a
	// configuration too large for a header.
	ErrSnapshotInvalid = errors.New("logserver: invalid snapshot")
	// ErrBadChunk: an install chunk that cannot be part of the declared
	// file (past its declared size, or a size smaller than any header).
	ErrBadChunk = errors.New("logserver: bad snapshot chunk")
	// ErrCompactPastSnapshot: compaction past the newest durable snapshot.
	ErrCompactPastSnapshot = errors.New("logserver: compaction past the snapshot index")
	// ErrUnknownHandle: no snapshot body or reader registered under that
	// handle in this process (taken already, or registered elsewhere).
	ErrUnknownHandle = errors.New("logserver: unknown snapshot handle")
	// ErrTooManyHandles: the handle table is full (bodies or readers
	// registered and never taken).
	ErrTooManyHandles = errors.New("logserver: too many snapshot handles")
)

// CorruptError is what Open returns when the data directory holds damage
// that is not a torn tail: a bad checksum before the tail, an index gap
// between records or segments, or unreadable metadata. The peer must not
// start: starting would forget acknowledged entries, a term or a vote.
type CorruptError struct {
	File   string // path of the damaged file
	Offset int64  // byte offset in File of the record that failed
	Reason string // what failed
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("logserver: corrupt data in %s at offset %d: %s", e.File, e.Offset, e.Reason)
}

// Is makes errors.Is(err, ErrCorrupt) true.
func (e *CorruptError) Is(target error) bool { return target == ErrCorrupt }

// ProtoError converts an error of this package to the wire form used in
// LogWritten and the other replies: bad input (and a refused snapshot or
// compaction) is ERROR_CODE_INVALID_ARGUMENT, a missing or compacted entry
// ERROR_CODE_NOT_FOUND, anything else ERROR_CODE_INTERNAL (the message says
// which; ErrSnapshotBusy and ErrTooManyHandles are worth a retry).
// nil stays nil.
func ProtoError(err error) *rafterpb.Error {
	if err == nil {
		return nil
	}
	code := rafterpb.ErrorCode_ERROR_CODE_INTERNAL
	switch {
	case errors.Is(err, ErrIndexGap), errors.Is(err, ErrTermRegress),
		errors.Is(err, ErrBelowCommit), errors.Is(err, ErrEntryTooLarge),
		errors.Is(err, ErrSnapshotStale), errors.Is(err, ErrSnapshotMismatch),
		errors.Is(err, ErrSnapshotInvalid), errors.Is(err, ErrBadChunk),
		errors.Is(err, ErrCompactPastSnapshot), errors.Is(err, ErrUnknownHandle):
		code = rafterpb.ErrorCode_ERROR_CODE_INVALID_ARGUMENT
	case errors.Is(err, ErrNotFound), errors.Is(err, ErrCompacted):
		code = rafterpb.ErrorCode_ERROR_CODE_NOT_FOUND
	}
	return &rafterpb.Error{Code: code, Message: err.Error()}
}
