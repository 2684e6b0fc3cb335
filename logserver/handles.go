package logserver

import (
	"fmt"
	"io"
	"sync"
)

// SnapshotBody is what a state machine's snapshot gives the log server:
// WriteTo writes the body (on a goroutine of the log server's, while the
// consensus actor keeps applying), then Release is called exactly once,
// whether WriteTo succeeded or not, or if the save never started.
// rafter.Snapshot has this method set.
type SnapshotBody interface {
	io.WriterTo
	Release()
}

// Handles: a Go value cannot cross an actor boundary as protobuf, so a
// snapshot body (for LogSnapshotSave) or a snapshot reader (from
// LogSnapshotOpen) is put in this table, and the message carries its key.
// The table is per process: a handle means nothing elsewhere (the log
// server and its consensus actor always share a process). It is bounded:
// an entry registered and never taken (its receiver died) stays until the
// process ends, and at maxHandles entries registration fails.
const maxHandles = 64

var handles = struct {
	sync.Mutex
	next    uint64
	entries map[uint64]any
}{entries: map[uint64]any{}}

func putHandle(v any) (uint64, error) {
	handles.Lock()
	defer handles.Unlock()
	if len(handles.entries) >= maxHandles {
		return 0, fmt.Errorf("%w: %d registered and not taken", ErrTooManyHandles, len(handles.entries))
	}
	handles.next++
	handles.entries[handles.next] = v
	return handles.next, nil
}

func takeHandle(h uint64) (any, bool) {
	handles.Lock()
	defer handles.Unlock()
	v, ok := handles.entries[h]
	delete(handles.entries, h)
	return v, ok
}

// RegisterSnapshot puts body in the handle table for a LogSnapshotSave:
// the log server takes it out and owns it from then on (it calls Release).
// On error the caller still owns body.
func RegisterSnapshot(body SnapshotBody) (uint64, error) {
	if body == nil {
		return 0, fmt.Errorf("%w: nil snapshot body", ErrUnknownHandle)
	}
	return putHandle(body)
}

// takeSnapshotBody removes the body registered under h.
func takeSnapshotBody(h uint64) (SnapshotBody, error) {
	v, ok := takeHandle(h)
	if b, isBody := v.(SnapshotBody); ok && isBody {
		return b, nil
	}
	if ok { // a reader under a body's handle: put nothing back, close it
		if r, isReader := v.(*SnapshotReader); isReader {
			_ = r.Close()
		}
	}
	return nil, fmt.Errorf("%w: body %d", ErrUnknownHandle, h)
}

// TakeSnapshotReader removes the reader registered under h by the log
// server (LogSnapshotOpened.handle). The caller must Close it.
func TakeSnapshotReader(h uint64) (*SnapshotReader, error) {
	v, ok := takeHandle(h)
	if r, isReader := v.(*SnapshotReader); ok && isReader {
		return r, nil
	}
	if b, isBody := v.(SnapshotBody); ok && isBody {
		b.Release()
	}
	return nil, fmt.Errorf("%w: reader %d", ErrUnknownHandle, h)
}
