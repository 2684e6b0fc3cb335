package logserver

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync/atomic"

	"github.com/rafter-go/rafter/rafterpb"
	"google.golang.org/protobuf/proto"
)

// FileLog is a peer's durable Raft log, its term/vote metadata and its
// snapshot files, in one directory (layout in doc.go). Open it with Open,
// which recovers. It is not safe for concurrent use: the log-server actor is
// its only caller (a snapshot body is written on another goroutine, but
// into a SnapshotWriter, never into the FileLog).
type FileLog struct {
	dir  string
	opts Options
	log  *slog.Logger
	lock *os.File

	segs    []*segment
	segBase uint32    // loc.seg of segs[0]: segments dropped at the front so far
	locs    locIndex  // locs.at(i) locates the entry with index first+i: O(1) lookup
	first   uint64    // index of locs[0]: 1, or more after compaction or an install
	snap    *snapFile // the current snapshot, nil if none
	install *install  // a snapshot being received, nil if none

	meta      *rafterpb.Meta
	metaDirty bool // meta changed since the meta file was last replaced
	dirDirty  bool // a segment was created since the last directory fsync

	floor uint64

	// pend holds encoded records not yet written to the last segment; they
	// start at its size. Write only appends here, and Sync (or a read, a
	// truncation, a roll, or pend outgrowing maxPend) writes them with one
	// pwrite: a group commit of many Writes costs one write syscall.
	pend     []byte
	scratch  []byte   // checkWrite's encodings, reused across Writes
	payloads [][]byte // checkWrite's slice of them, reused across Writes
	broken   error    // sticky: after a failed I/O the in-memory view may be wrong
	closed   bool
}

// loc is where one entry's record lives. It holds no pointer (the segment
// is a number), so the GC never scans locs, which has one element per entry
// in the log. seg numbers segments since Open: segs[seg-segBase]. Truncation
// drops segments at the end (numbers of the others unchanged), compaction
// at the front (segBase grows), so no loc is ever rewritten.
type loc struct {
	off  int64
	term uint64
	size uint32
	seg  uint32 // segment number: FileLog.segs[seg-segBase]
}

// segOf is the segment that holds at.
func (l *FileLog) segOf(at loc) *segment { return l.segs[at.seg-l.segBase] }

// segNo is the number of the last segment.
func (l *FileLog) segNo() uint32 { return l.segBase + uint32(len(l.segs)) - 1 }

func (l *FileLog) usable() error {
	if l.closed {
		return ErrClosed
	}
	if l.broken != nil {
		return fmt.Errorf("%w: after an earlier I/O error: %w", ErrClosed, l.broken)
	}
	return nil
}

// fail marks the log unusable after an I/O error that may have left the
// files and the in-memory index disagreeing; reopening recovers.
func (l *FileLog) fail(err error) error {
	l.broken = err
	l.log.Error("logserver: I/O error, log unusable until reopened", "dir", l.dir, "err", err)
	return err
}

// Write is check-and-append (Raft §5.3; rafter: rafter_log:check_and_append/2).
// entries are contiguous; if entries[0].Index <= LastIndex(), the stored
// suffix from that index is truncated first. meta, if non-nil, replaces the
// stored metadata. A refused write (ErrIndexGap, ErrTermRegress,
// ErrBelowCommit, ErrEntryTooLarge) changes nothing. The write is not
// necessarily durable until Sync returns.
func (l *FileLog) Write(meta *rafterpb.Meta, entries []*rafterpb.Entry) error {
	if err := l.usable(); err != nil {
		return err
	}
	state := logState{meta: l.meta, last: l.LastIndex(), floor: l.floor, termAt: l.TermAt}
	payloads, scratch, err := checkWrite(state, meta, entries, l.opts.MaxEntryBytes, l.scratch, l.payloads)
	if cap(scratch) <= maxPend {
		l.scratch = scratch // payloads alias it until this Write returns
	}
	if cap(payloads) <= maxPayloadSlots {
		l.payloads = payloads
		defer clear(payloads) // hold no encodings once this Write returns
	}
	if err != nil {
		return err
	}
	if meta != nil {
		l.meta = proto.CloneOf(meta)
		l.metaDirty = true // written by Sync: one replace per group commit
	}
	if len(entries) > 0 {
		// Entries never reach the disk before the metadata of their term,
		// so a log that holds records without a meta file has lost it, and
		// recovery refuses it instead of reading a blank peer.
		if err := l.writeMetaNow(); err != nil {
			return l.fail(err)
		}
		if first := entries[0].GetIndex(); first <= l.LastIndex() {
			if err := l.truncateFrom(first); err != nil {
				return l.fail(err)
			}
		}
		if err := l.appendRecords(entries, payloads); err != nil {
			return l.fail(err)
		}
	}
	return nil
}

// writeMetaNow replaces the meta file, durably, if the metadata changed.
func (l *FileLog) writeMetaNow() error {
	if !l.metaDirty {
		return nil
	}
	if err := writeMeta(l.dir, l.meta); err != nil {
		return err
	}
	l.metaDirty = false
	return nil
}

// maxPend bounds the records a FileLog holds back between Syncs; beyond it
// Write writes them at once, so a caller that never syncs does not grow
// memory without bound.
const maxPend = 1 << 20

// maxPayloadSlots bounds the slice of encodings a FileLog keeps between
// Writes (a write of more entries allocates its own).
const maxPayloadSlots = 4096

// appendRecords encodes the records after the last one into pend, rolling to
// a new segment when the active one would exceed SegmentBytes. A roll writes
// the full segment (one pwrite) and fdatasyncs it; otherwise the records
// wait in pend for the next Sync.
func (l *FileLog) appendRecords(entries []*rafterpb.Entry, payloads [][]byte) error {
	var seg *segment
	if len(l.segs) > 0 {
		seg = l.segs[len(l.segs)-1]
	}
	buf := l.pend
	for i, e := range entries {
		size := int64(headerSize + len(payloads[i]))
		pending := seg != nil && seg.size+int64(len(buf)) > 0
		if seg == nil || (pending && seg.size+int64(len(buf))+size > l.opts.SegmentBytes) {
			if err := l.flush(seg, buf); err != nil {
				return err
			}
			buf = buf[:0]
			// Make the full segment durable, cut to its records, before the
			// next one exists, so that on disk only the last segment can
			// ever be torn or end in zeros; a torn earlier segment is then
			// always corruption, never a crash.
			if seg != nil && seg.alloc > seg.size {
				if err := seg.f.Truncate(seg.size); err != nil {
					return fmt.Errorf("logserver: truncating %s at %d: %w", seg.path, seg.size, err)
				}
				seg.alloc, seg.dirty = seg.size, true
			}
			if seg != nil && seg.dirty {
				if err := datasync(seg.f); err != nil {
					return err
				}
				seg.dirty = false
			}
			next, err := createSegment(l.dir, e.GetIndex())
			if err != nil {
				return err
			}
			l.segs = append(l.segs, next)
			l.dirDirty = true
			seg = next
		}
		l.locs.push(loc{seg: l.segNo(), off: seg.size + int64(len(buf)), size: uint32(size), term: e.GetTerm()})
		buf = appendRecord(buf, recEntry, e.GetTerm(), e.GetIndex(), payloads[i])
	}
	l.pend = buf
	if len(l.pend) >= maxPend {
		return l.flushPend()
	}
	return nil
}

// flushPend writes pend to the last segment (no fdatasync). The caller marks
// the log failed on error.
func (l *FileLog) flushPend() error {
	if len(l.pend) == 0 {
		return nil
	}
	err := l.flush(l.segs[len(l.segs)-1], l.pend)
	l.pend = l.pend[:0]
	if cap(l.pend) > maxPend { // keep a modest buffer for the next writes
		l.pend = nil
	}
	return err
}

func (l *FileLog) flush(seg *segment, buf []byte) error {
	if seg == nil || len(buf) == 0 {
		return nil
	}
	if _, err := seg.f.WriteAt(buf, seg.size); err != nil {
		return fmt.Errorf("logserver: writing %s: %w", seg.path, err)
	}
	seg.size += int64(len(buf))
	seg.alloc = max(seg.alloc, seg.size)
	seg.dirty = true
	return nil
}

// zeroAhead is how far past its records the last segment's file is filled
// with zeros, written and made durable with the records of one Sync, once
// fewer than zeroAhead/4 such bytes are left. Records then overwrite space
// that is already part of the file: the file's length does not change, so
// fdatasync writes the data without a file-system journal commit for the
// new length, about half the time of one that extends the file (0.30-0.36
// against 0.53-0.69 ms for 6 KB on the development machine's ext4, three
// files syncing at once). One Sync in about 4,000 100-byte entries writes
// the next MiB of zeros and pays about 1.6 ms more.
const zeroAhead = 1 << 20

// zeros is the source of the zero fill (never written, so it stays in the
// zero page).
var zeros [zeroAhead]byte

// fillAhead writes zeros after seg's records up to zeroAhead past them (no
// further than SegmentBytes, where the segment rolls) when fewer than
// zeroAhead/4 are left. Recovery reads zeros at a record boundary as the
// end of the records (recover.go).
func (l *FileLog) fillAhead(seg *segment) error {
	if seg.alloc-seg.size >= zeroAhead/4 {
		return nil
	}
	end := min(seg.size+zeroAhead, l.opts.SegmentBytes)
	if end <= seg.alloc {
		return nil
	}
	from := max(seg.alloc, seg.size)
	if _, err := seg.f.WriteAt(zeros[:end-from], from); err != nil {
		return fmt.Errorf("logserver: writing %s: %w", seg.path, err)
	}
	seg.alloc, seg.dirty = end, true
	return nil
}

// truncateFrom drops entries index.. (Raft §5.3: delete the existing entry
// and all that follow it). Later segments are removed last-first and the
// directory fsynced, then the segment holding index is cut and fsynced,
// before any new record is written: a crash in between leaves a prefix of
// the old log, never old records mixed with new ones.
func (l *FileLog) truncateFrom(index uint64) error {
	if err := l.flushPend(); err != nil {
		return err
	}
	at := l.locs.at(index - l.first)
	seg := l.segOf(at)
	keep := int(at.seg-l.segBase) + 1
	for i := len(l.segs) - 1; i >= keep; i-- {
		s := l.segs[i]
		_ = s.f.Close()
		if err := os.Remove(s.path); err != nil {
			return fmt.Errorf("logserver: removing %s: %w", s.path, err)
		}
	}
	removed := keep < len(l.segs)
	l.segs = l.segs[:keep]
	if removed {
		if err := syncDir(l.dir); err != nil {
			return err
		}
	}
	if err := seg.f.Truncate(at.off); err != nil {
		return fmt.Errorf("logserver: truncating %s at %d: %w", seg.path, at.off, err)
	}
	if err := datasync(seg.f); err != nil {
		return err
	}
	seg.size, seg.alloc, seg.dirty = at.off, at.off, false
	l.locs.truncate(int(index - l.first))
	return nil
}

// Sync makes every earlier Write durable: replace the meta file if the
// metadata changed (first: no record is durable before its term), fdatasync
// every segment written since the last Sync, and fsync the directory if a
// segment was created.
func (l *FileLog) Sync() error {
	if err := l.usable(); err != nil {
		return err
	}
	if err := l.writeMetaNow(); err != nil { // before any record: see Write
		return l.fail(err)
	}
	if err := l.flushPend(); err != nil {
		return l.fail(err)
	}
	if n := len(l.segs); n > 0 && l.segs[n-1].dirty {
		if err := l.fillAhead(l.segs[n-1]); err != nil {
			return l.fail(err)
		}
	}
	slow := slowHeldSyncs()
	for _, s := range l.segs {
		if s.dirty {
			if err := datasync(s.f); err != nil {
				return l.fail(err)
			}
			s.dirty = false
		}
	}
	if slowHeldSyncs() != slow {
		l.log.Warn("logserver: slow fdatasync; the log syncs without holding its goroutine's P for a while (sync_linux.go)",
			"dir", l.dir, "over", heldSlowLimit, "for", heldPause)
		l.opts.Metrics.SlowHeldSync()
	}
	if l.dirDirty {
		if err := syncDir(l.dir); err != nil {
			return l.fail(err)
		}
		l.dirDirty = false
	}
	return nil
}

// readable writes pend so that a read finds every record in the files.
func (l *FileLog) readable() error {
	if len(l.pend) == 0 {
		return nil
	}
	if l.broken != nil {
		return fmt.Errorf("%w: after an earlier I/O error: %w", ErrClosed, l.broken)
	}
	if err := l.flushPend(); err != nil {
		return l.fail(err)
	}
	return nil
}

// Entry returns the entry at index: one pread at the offset the in-memory
// index holds. Below FirstIndex it fails with ErrCompacted, past LastIndex
// with ErrNotFound. The entry is the caller's.
func (l *FileLog) Entry(index uint64) (*rafterpb.Entry, error) {
	if l.closed {
		return nil, ErrClosed
	}
	if index < l.first {
		return nil, fmt.Errorf("%w: index %d, first %d", ErrCompacted, index, l.first)
	}
	if index > l.LastIndex() {
		return nil, fmt.Errorf("%w: index %d, last %d", ErrNotFound, index, l.LastIndex())
	}
	if err := l.readable(); err != nil {
		return nil, err
	}
	at := l.locs.at(index - l.first)
	buf := make([]byte, at.size)
	seg := l.segOf(at)
	if _, err := seg.f.ReadAt(buf, at.off); err != nil {
		return nil, fmt.Errorf("logserver: reading %s at %d: %w", seg.path, at.off, err)
	}
	return decodeEntry(buf, seg.path, at.off, index)
}

func decodeEntry(buf []byte, path string, off int64, index uint64) (*rafterpb.Entry, error) {
	r, _, err := decodeRecord(buf)
	if err == nil && (r.typ != recEntry || r.index != index) {
		err = errors.New("record does not hold the expected entry")
	}
	if err != nil {
		return nil, &CorruptError{File: path, Offset: off, Reason: err.Error()}
	}
	e := &rafterpb.Entry{}
	if err := proto.Unmarshal(r.payload, e); err != nil {
		return nil, &CorruptError{File: path, Offset: off, Reason: "undecodable entry: " + err.Error()}
	}
	return e, nil
}

// Entries returns the entries lo <= index < hi (half-open); ErrCompacted if
// lo is below FirstIndex, ErrNotFound if hi is past the end. Consecutive records of one segment are read with
// a single pread.
func (l *FileLog) Entries(lo, hi uint64) ([]*rafterpb.Entry, error) {
	if l.closed {
		return nil, ErrClosed
	}
	if lo < l.first {
		return nil, fmt.Errorf("%w: range [%d, %d), first %d", ErrCompacted, lo, hi, l.first)
	}
	if lo > hi || hi > l.LastIndex()+1 {
		return nil, fmt.Errorf("%w: range [%d, %d), last %d", ErrNotFound, lo, hi, l.LastIndex())
	}
	if err := l.readable(); err != nil {
		return nil, err
	}
	out := make([]*rafterpb.Entry, 0, hi-lo)
	for i := lo; i < hi; {
		start := l.locs.at(i - l.first)
		j := i + 1
		for j < hi && l.locs.at(j-l.first).seg == start.seg {
			j++
		}
		end := l.locs.at(j - 1 - l.first)
		buf := make([]byte, end.off+int64(end.size)-start.off)
		seg := l.segOf(start)
		if _, err := seg.f.ReadAt(buf, start.off); err != nil {
			return nil, fmt.Errorf("logserver: reading %s at %d: %w", seg.path, start.off, err)
		}
		for k := i; k < j; k++ {
			at := l.locs.at(k - l.first)
			rel := at.off - start.off
			e, err := decodeEntry(buf[rel:rel+int64(at.size)], seg.path, at.off, k)
			if err != nil {
				return nil, err
			}
			out = append(out, e)
		}
		i = j
	}
	return out, nil
}

// LastIndex is the index of the last entry; the snapshot index for a log
// emptied by compaction or an install; 0 for a blank log.
func (l *FileLog) LastIndex() uint64 { return l.first + uint64(l.locs.len()) - 1 }

// LastTerm is the term of the last entry (the snapshot term when the log is
// empty after a snapshot), 0 for a blank log.
func (l *FileLog) LastTerm() uint64 {
	if l.locs.len() == 0 {
		return l.SnapshotTerm()
	}
	return l.locs.last().term
}

// TermAt is the term of the entry at index, from memory. TermAt(0) is 0; at
// the snapshot index it is the snapshot term (Raft §7: the consistency check
// at the boundary); below FirstIndex otherwise ErrCompacted.
func (l *FileLog) TermAt(index uint64) (uint64, error) {
	if index == 0 {
		return 0, nil
	}
	if index == l.SnapshotIndex() {
		return l.SnapshotTerm(), nil
	}
	if index < l.first {
		return 0, fmt.Errorf("%w: index %d, first %d", ErrCompacted, index, l.first)
	}
	if index > l.LastIndex() {
		return 0, fmt.Errorf("%w: index %d, last %d", ErrNotFound, index, l.LastIndex())
	}
	return l.locs.at(index - l.first).term, nil
}

// Meta is the latest metadata written, nil for a blank peer; read-only.
func (l *FileLog) Meta() *rafterpb.Meta { return l.meta }

// SetCommitFloor forbids truncation at or below index. The floor never
// goes down.
func (l *FileLog) SetCommitFloor(index uint64) { l.floor = max(l.floor, index) }

// CommitFloor returns the current commit floor.
func (l *FileLog) CommitFloor() uint64 { return l.floor }

// FirstIndex is the index of the first entry the log holds: 1, or more
// after compaction or an install (LastIndex+1 for an empty log).
func (l *FileLog) FirstIndex() uint64 { return l.first }

// Dir is the data directory.
func (l *FileLog) Dir() string { return l.dir }

// openLogs counts the FileLogs open in this process (fdatasync's policy
// asks it).
var openLogs atomic.Int32

// Close syncs what is pending (if the log is healthy),
// closes the segment files and releases the directory lock.
func (l *FileLog) Close() error {
	if l.closed {
		return nil
	}
	var err error
	if l.broken == nil {
		err = l.Sync()
	}
	l.closed = true
	openLogs.Add(-1)
	l.abortInstall()
	for _, s := range l.segs {
		if cerr := s.f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("logserver: closing %s: %w", s.path, cerr)
		}
	}
	if cerr := l.lock.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("logserver: releasing lock: %w", cerr)
	}
	return err
}
