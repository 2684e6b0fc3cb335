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
// LogWritten and the other replies: bad input is ERROR_CODE_INVALID_ARGUMENT,
// a missing entry ERROR_CODE_NOT_FOUND, anything else ERROR_CODE_INTERNAL.
// nil stays nil.
func ProtoError(err error) *rafterpb.Error {
	if err == nil {
		return nil
	}
	code := rafterpb.ErrorCode_ERROR_CODE_INTERNAL
	switch {
	case errors.Is(err, ErrIndexGap), errors.Is(err, ErrTermRegress),
		errors.Is(err, ErrBelowCommit), errors.Is(err, ErrEntryTooLarge):
		code = rafterpb.ErrorCode_ERROR_CODE_INVALID_ARGUMENT
	case errors.Is(err, ErrNotFound):
		code = rafterpb.ErrorCode_ERROR_CODE_NOT_FOUND
	}
	return &rafterpb.Error{Code: code, Message: err.Error()}
}
