package logserver

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/rafter-go/rafter/rafterpb"
	"google.golang.org/protobuf/proto"
)

// Open opens (creating if needed) the data directory dir and recovers the
// log: it removes a stale meta.tmp, reads the meta file, scans every segment
// and rebuilds the in-memory index. A torn record at the tail of the last
// segment is cut off and logged with its file and offset. Anything else that
// is wrong (a bad checksum before the tail, an index gap, unreadable
// metadata) returns a *CorruptError naming the file and offset: the peer must
// not start, because starting would forget acknowledged data.
func Open(dir string, opts Options) (*FileLog, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("logserver: creating %s: %w", dir, err)
	}
	lock, err := os.OpenFile(filepath.Join(dir, lockName), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("logserver: opening lock file: %w", err)
	}
	if err := lockFile(lock); err != nil {
		_ = lock.Close()
		return nil, err
	}
	l := &FileLog{dir: dir, opts: opts, log: opts.Logger, lock: lock, first: 1}
	if err := l.recover(); err != nil {
		for _, s := range l.segs {
			if s.f != nil {
				_ = s.f.Close()
			}
		}
		_ = lock.Close()
		return nil, err
	}
	openLogs.Add(1)
	return l, nil
}

func (l *FileLog) recover() error {
	tmp := filepath.Join(l.dir, metaTmpName)
	switch err := os.Remove(tmp); {
	case err == nil:
		// A crash between writing the temp file and the rename: the meta
		// file still holds the previous, complete metadata.
		l.log.Warn("logserver: removed stale metadata temp file", "file", tmp)
	case !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("logserver: removing %s: %w", tmp, err)
	}
	meta, err := readMeta(l.dir)
	if err != nil {
		return err
	}
	l.meta = meta
	snaps, snapIdx, err := listSnapshots(l, true) // removes unfinished temp files
	if err != nil {
		return err
	}
	segs, err := listSegments(l.dir)
	if err != nil {
		return err
	}
	if len(segs) > 0 {
		if segs[0].first == 0 {
			return &CorruptError{File: segs[0].path, Reason: "segment for index 0"}
		}
		l.first = segs[0].first
	}
	for i, s := range segs {
		f, err := os.OpenFile(s.path, os.O_RDWR, 0)
		if err != nil {
			return fmt.Errorf("logserver: opening %s: %w", s.path, err)
		}
		s.f = f
		l.segs = append(l.segs, s)
		if err := l.scanSegment(s, i == len(segs)-1); err != nil {
			return err
		}
	}
	chosen, err := l.chooseSnapshot(snaps, snapIdx)
	if err != nil {
		return err
	}
	if err := l.reconcile(chosen); err != nil {
		return err
	}
	if l.meta == nil && (l.locs.len() > 0 || l.SnapshotIndex() > 0) {
		// Write puts the metadata on disk before any record, so a log
		// without it has lost it (deleted, or dropped by a disk). Reading
		// a blank peer would forget its term and vote: it could vote twice
		// in one term.
		return &CorruptError{File: filepath.Join(l.dir, metaName),
			Reason: "missing while the log holds entries or a snapshot: the term and vote are unknown; " +
				"restore the file, or empty the directory so that the peer catches up from the leader"}
	}
	// The directory may have been created or had meta.tmp removed.
	return syncDir(l.dir)
}

// scanSegment reads one segment, checks every record and appends to the
// index. Only the last segment may end in a torn record.
func (l *FileLog) scanSegment(s *segment, last bool) error {
	data, err := io.ReadAll(s.f)
	if err != nil {
		return fmt.Errorf("logserver: reading %s: %w", s.path, err)
	}
	want := l.LastIndex() + 1
	if s.first != want {
		return &CorruptError{File: s.path, Offset: 0, Reason: fmt.Sprintf("index gap: segment starts at %d, expected %d", s.first, want)}
	}
	var off int
	for off < len(data) {
		r, n, err := decodeRecord(data[off:])
		if err != nil {
			rest := data[off:]
			if last && allZero(rest) {
				break // the zeros written ahead of the records (zeroAhead)
			}
			if last && torn(err, rest, int64(off)) {
				return l.cutTail(s, int64(off), err)
			}
			reason := err.Error()
			switch {
			case allZero(rest):
				reason = "zeros after the records of a segment that is not the last"
			case torn(err, rest, int64(off)):
				reason = "torn record before the last segment: " + reason
			}
			return &CorruptError{File: s.path, Offset: int64(off), Reason: reason}
		}
		if err := l.checkRecord(r, want); err != nil {
			return &CorruptError{File: s.path, Offset: int64(off), Reason: err.Error()}
		}
		// scanSegment runs right after s is appended to segs.
		l.locs.push(loc{seg: l.segNo(), off: int64(off), size: uint32(n), term: r.term})
		off += n
		want++
	}
	s.size, s.alloc = int64(off), int64(len(data))
	return nil
}

// allZero reports whether b holds only zero bytes.
func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// Torn writes. A record is written over zeros (the file's new end, or the
// zeros written ahead of the records), and a crash before its fdatasync may
// keep any subset of the disk sectors it touched.
const (
	sectorSize = 512
	// minZeroRun is the fewest zero bytes of a record, all of its share of
	// one sector, that count as a sector the crash did not write. Fewer
	// could be the record's own zeros, unless the rest of the sector (the
	// next record's header, which is never all zeros) is zeros too.
	minZeroRun = 8
)

// torn reports whether the record at the start of rest (at file offset
// off), which failed to decode with err, looks like a write cut short by a
// crash: the file ends inside it, or its share of some disk sector is all
// zeros, that sector never written. The record is its header if the
// header's checksum fails, else the whole record its header describes; a
// share shorter than minZeroRun counts only if the sector is zeros to its
// end. Then everything from the record on was never acknowledged: an
// acknowledgement follows the fdatasync of every earlier byte. A checksum
// failure with every sector of the record written is corruption. (A disk
// that returns zeros for a damaged sector of the last segment is taken for
// a crash too: the check cannot tell them apart.)
func torn(err error, rest []byte, off int64) bool {
	if errors.Is(err, errShort) {
		return true
	}
	extent := min(headerSize, len(rest))
	if errors.Is(err, errPayloadCRC) {
		extent = min(headerSize+int(binary.BigEndian.Uint32(rest[offLength:])), len(rest))
	} else if !errors.Is(err, errHeaderCRC) {
		return false // a header that checks out says what was written
	}
	for start := 0; start < extent; {
		sectorEnd := min(len(rest), start+sectorSize-int((off+int64(start))%sectorSize))
		end := min(extent, sectorEnd)
		if allZero(rest[start:end]) && (end-start >= minZeroRun || allZero(rest[end:sectorEnd])) {
			return true
		}
		start = end
	}
	return false
}

// checkRecord checks one decoded record against the log so far.
func (l *FileLog) checkRecord(r record, want uint64) error {
	if r.typ != recEntry {
		return fmt.Errorf("record type %d in a segment", r.typ)
	}
	if r.index != want {
		return fmt.Errorf("index gap: record has index %d, expected %d", r.index, want)
	}
	if r.term < l.LastTerm() {
		return fmt.Errorf("term %d lower than previous term %d", r.term, l.LastTerm())
	}
	e := &rafterpb.Entry{}
	if err := proto.Unmarshal(r.payload, e); err != nil {
		return fmt.Errorf("undecodable entry: %w", err)
	}
	if e.GetIndex() != r.index || e.GetTerm() != r.term {
		return fmt.Errorf("header says %d/%d, entry says %d/%d", r.index, r.term, e.GetIndex(), e.GetTerm())
	}
	return nil
}

// cutTail truncates a torn tail record: it was never acknowledged, because
// acknowledgements follow fdatasync of whole records.
func (l *FileLog) cutTail(s *segment, off int64, why error) error {
	l.log.Warn("logserver: cutting torn record at the tail", "file", s.path, "offset", off, "reason", why.Error())
	if err := s.f.Truncate(off); err != nil {
		return fmt.Errorf("logserver: truncating torn tail of %s at %d: %w", s.path, off, err)
	}
	if err := datasync(s.f); err != nil {
		return err
	}
	s.size, s.alloc = off, off
	return nil
}
