package logserver

import (
	"fmt"
	"os"
)

// Compact deletes the segments that hold only entries at or below index
// (whole segments are the unit: the segment holding index+1 stays, and so
// does the active last segment). index must not exceed the current
// snapshot's index (ErrCompactPastSnapshot, definite): the snapshot is what
// replaces the dropped entries. Segments go oldest first, so a crash in
// between leaves a log without a hole; the directory is fsynced before
// Compact returns.
func (l *FileLog) Compact(index uint64) error {
	if err := l.usable(); err != nil {
		return err
	}
	if index > l.SnapshotIndex() {
		return fmt.Errorf("%w: index %d, snapshot %d", ErrCompactPastSnapshot, index, l.SnapshotIndex())
	}
	k := 0 // segments to drop
	for k+1 < len(l.segs) && l.segs[k+1].first <= index+1 {
		k++
	}
	if k == 0 {
		return nil
	}
	for _, s := range l.segs[:k] {
		_ = s.f.Close()
		if err := os.Remove(s.path); err != nil {
			return l.fail(fmt.Errorf("logserver: removing %s: %w", s.path, err))
		}
	}
	newFirst := l.segs[k].first
	l.locs.dropFront(int(newFirst - l.first))
	l.first = newFirst
	clear(l.segs[:k])
	l.segs = append([]*segment(nil), l.segs[k:]...)
	l.segBase += uint32(k)
	if err := syncDir(l.dir); err != nil {
		return l.fail(err)
	}
	return nil
}

// dropAllSegments empties the log, which continues after index (Raft §7: a
// snapshot that the log does not match replaces the whole log). Pending
// records are discarded with their segment.
func (l *FileLog) dropAllSegments(index uint64) error {
	l.pend = l.pend[:0]
	for _, s := range l.segs {
		_ = s.f.Close()
		if err := os.Remove(s.path); err != nil {
			return fmt.Errorf("logserver: removing %s: %w", s.path, err)
		}
	}
	l.segBase += uint32(len(l.segs))
	l.segs, l.locs, l.first = nil, locIndex{}, index+1
	return syncDir(l.dir)
}

// LogBytes is the bytes of records in the segment files, records not yet
// written included (not the zeros written ahead of them: at most 1 MiB).
func (l *FileLog) LogBytes() uint64 {
	n := uint64(len(l.pend))
	for _, s := range l.segs {
		n += uint64(s.size)
	}
	return n
}

// SnapshotBytes is the size of the current snapshot file, 0 if none.
func (l *FileLog) SnapshotBytes() uint64 {
	if l.snap == nil {
		return 0
	}
	return uint64(l.snap.size)
}
