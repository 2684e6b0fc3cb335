package logserver

import (
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"os"

	"github.com/rafter-go/rafter/rafterpb"
)

// SnapshotReader reads the body of one snapshot file for a state machine's
// Restore. It holds the file open, so the snapshot it names stays readable
// even if a newer one replaces it meanwhile (the log server may delete the
// name; the open file lives on). It checks the body's CRC-32C as it goes:
// the read that reaches the end returns a *CorruptError instead of io.EOF
// if the bytes differ from what was saved.
type SnapshotReader struct {
	f    *os.File
	r    *io.SectionReader
	crc  hash.Hash32
	meta *rafterpb.SnapshotMeta
	want uint32
	path string
	off  int64
}

// OpenSnapshot opens the current snapshot's body, nil if there is none.
// Reading is the caller's (it may run on any goroutine); the log server
// never reads a whole body into memory.
func (l *FileLog) OpenSnapshot() (*SnapshotReader, error) {
	if l.snap == nil {
		return nil, nil
	}
	f, err := os.Open(l.snap.path)
	if err != nil {
		return nil, fmt.Errorf("logserver: opening %s: %w", l.snap.path, err)
	}
	return &SnapshotReader{f: f, r: io.NewSectionReader(f, int64(l.snap.hdrLen), int64(l.snap.hdr.bodySize)),
		crc: crc32.New(castagnoli), meta: l.snap.Meta(), want: l.snap.hdr.bodyCRC, path: l.snap.path,
		off: int64(l.snap.hdrLen)}, nil
}

// Read implements io.Reader over the body.
func (r *SnapshotReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.crc.Write(p[:n])
	if err == io.EOF && r.crc.Sum32() != r.want {
		return n, &CorruptError{File: r.path, Offset: r.off, Reason: "snapshot body checksum mismatch while reading"}
	}
	return n, err
}

// Meta describes the snapshot being read.
func (r *SnapshotReader) Meta() *rafterpb.SnapshotMeta { return r.meta }

// Close closes the file.
func (r *SnapshotReader) Close() error { return r.f.Close() }

// ReadSnapshotChunk reads up to max bytes of the snapshot file at index
// from off, for a leader's InstallSnapshot. If index is no longer the
// current snapshot, replaced is true and the caller should restart with
// the current one (Snapshot()).
func (l *FileLog) ReadSnapshotChunk(index, off uint64, max int) (data []byte, done, replaced bool, err error) {
	if l.snap == nil || l.snap.hdr.index != index {
		return nil, false, true, nil
	}
	size := uint64(l.snap.size)
	if off > size {
		return nil, false, false, fmt.Errorf("%w: offset %d past the %d-byte snapshot", ErrBadChunk, off, size)
	}
	n := min(uint64(max), size-off)
	f, err := os.Open(l.snap.path)
	if err != nil {
		return nil, false, false, fmt.Errorf("logserver: opening %s: %w", l.snap.path, err)
	}
	defer f.Close()
	data = make([]byte, n)
	if _, err := f.ReadAt(data, int64(off)); err != nil {
		return nil, false, false, fmt.Errorf("logserver: reading %s at %d: %w", l.snap.path, off, err)
	}
	return data, off+n == size, false, nil
}
