package logserver

import (
	"fmt"
	"log/slog"

	"github.com/rafter-go/rafter/metrics"
)

// Options configure a FileLog and the log-server actor. Start from
// DefaultOptions(). There is deliberately no option to skip fsync: the
// consensus core counts an entry or a vote only once it is durable.
type Options struct {
	// SegmentBytes is the size in bytes at which the active segment file is
	// closed and a new one started (a record is never split; a record larger
	// than this sits alone in its segment). Whole segments are the unit a
	// later compaction drops. The last segment's file runs up to 1 MiB
	// ahead of its records in zeros, never past SegmentBytes (zeroAhead).
	// Default 64 MiB; must be > 0.
	SegmentBytes int64
	// MaxEntryBytes is the largest encoded entry (protobuf bytes) a write
	// may carry; larger ones are refused with ErrEntryTooLarge. Default
	// 16 MiB; must be in (0, 1 GiB].
	MaxEntryBytes int
	// Logger receives recovery warnings (torn tails cut, stale temp files
	// removed) and actor errors. Default: discard.
	Logger *slog.Logger

	// MaxChunkBytes caps the bytes of one snapshot chunk read for a leader
	// (LogSnapshotRead.max_bytes above it is lowered). Default 1 MiB; must
	// be in (0, 64 MiB].
	MaxChunkBytes int

	// Metrics receives the actor's write and fsync latencies and entries
	// per fsync (package metrics); nil: none, and the clock is not read.
	// Default: nil.
	Metrics *metrics.Log

	// snapHook, if set, is called at the named steps of a snapshot save
	// ("before-fsync", "before-rename", "after-rename", "after-remove"):
	// crash tests copy the directory there.
	snapHook func(point string)

	// beforeSync, if set, runs in the actor just before each group-commit
	// Sync (tests use it to hold an fsync "in flight").
	beforeSync func()
}

// maxChunk bounds Options.MaxChunkBytes: one chunk is one message.
const maxChunk = 64 << 20

// DefaultOptions returns the defaults documented on each field.
func DefaultOptions() Options {
	return Options{
		SegmentBytes:  64 << 20,
		MaxEntryBytes: 16 << 20,
		MaxChunkBytes: 1 << 20,
		Logger:        slog.New(slog.DiscardHandler),
	}
}

// Validate explains the first bad value, if any.
func (o Options) Validate() error {
	if o.SegmentBytes <= 0 {
		return fmt.Errorf("logserver: Options.SegmentBytes must be > 0, got %d", o.SegmentBytes)
	}
	if o.MaxEntryBytes <= 0 || o.MaxEntryBytes > maxPayload {
		return fmt.Errorf("logserver: Options.MaxEntryBytes must be in (0, %d], got %d", maxPayload, o.MaxEntryBytes)
	}
	if o.MaxChunkBytes <= 0 || o.MaxChunkBytes > maxChunk {
		return fmt.Errorf("logserver: Options.MaxChunkBytes must be in (0, %d], got %d", maxChunk, o.MaxChunkBytes)
	}
	if o.Logger == nil {
		return fmt.Errorf("logserver: Options.Logger must not be nil (use slog.New(slog.DiscardHandler))")
	}
	return nil
}
