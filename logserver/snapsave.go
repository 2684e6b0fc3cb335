package logserver

import (
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"os"
	"path/filepath"
	"sync"

	"github.com/rafter-go/rafter/rafterpb"
	"google.golang.org/protobuf/proto"
)

// SnapshotWriter receives the body of a snapshot being saved. It is made by
// FileLog.CreateSnapshot on the log server's goroutine, written (Write, then
// Finish) on another goroutine, and committed by FileLog.CommitSnapshot on
// the log server's goroutine again; Abort may be called from any goroutine.
// The body goes to a temp file after room for the header; Finish writes the
// header (size and CRC-32C are known only then) and fsyncs.
type SnapshotWriter struct {
	f      *os.File
	tmp    string
	final  string
	hdr    snapHeader
	hdrLen int
	crc    hash.Hash32
	n      int64
	hook   func(string)

	mu       sync.Mutex
	aborted  bool
	finished bool
}

// CreateSnapshot starts saving a snapshot of the state machine at
// index/term, config being the configuration in force there. index must be
// newer than the current snapshot and inside the log (ErrSnapshotStale,
// ErrSnapshotMismatch otherwise: definite, nothing changed).
func (l *FileLog) CreateSnapshot(index, term uint64, config *rafterpb.Config) (*SnapshotWriter, error) {
	if err := l.usable(); err != nil {
		return nil, err
	}
	if index == 0 || index <= l.SnapshotIndex() {
		return nil, fmt.Errorf("%w: index %d, current snapshot %d", ErrSnapshotStale, index, l.SnapshotIndex())
	}
	if t, err := l.TermAt(index); err != nil || t != term {
		return nil, fmt.Errorf("%w: snapshot %d/%d, log term there %d (%v)", ErrSnapshotMismatch, index, term, t, err)
	}
	hdr := snapHeader{index: index, term: term, config: proto.CloneOf(config)}
	if hdr.config == nil {
		hdr.config = &rafterpb.Config{}
	}
	head, err := encodeSnapHeader(hdr)
	if err != nil {
		return nil, err
	}
	dir, err := l.ensureSnapDir()
	if err != nil {
		return nil, err
	}
	final := filepath.Join(dir, snapshotName(index))
	tmp := final + tmpSuffix
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("logserver: creating %s: %w", tmp, err)
	}
	if _, err := f.Seek(int64(len(head)), 0); err != nil {
		_ = f.Close()
		_ = os.Remove(tmp)
		return nil, fmt.Errorf("logserver: seeking in %s: %w", tmp, err)
	}
	return &SnapshotWriter{f: f, tmp: tmp, final: final, hdr: hdr, hdrLen: len(head),
		crc: crc32.New(castagnoli), hook: l.opts.snapHook}, nil
}

// Write appends body bytes.
func (w *SnapshotWriter) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	w.crc.Write(p[:n])
	w.n += int64(n)
	if err != nil {
		return n, fmt.Errorf("logserver: writing snapshot %s: %w", w.tmp, err)
	}
	return n, nil
}

// Finish writes the header and fsyncs the temp file. It does not make the
// snapshot current: FileLog.CommitSnapshot does.
func (w *SnapshotWriter) Finish() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.aborted {
		return ErrSnapshotAborted
	}
	w.hdr.bodySize, w.hdr.bodyCRC = uint64(w.n), w.crc.Sum32()
	head, err := encodeSnapHeader(w.hdr)
	if err == nil && len(head) != w.hdrLen {
		err = errors.New("logserver: snapshot header changed size")
	}
	if err == nil {
		_, err = w.f.WriteAt(head, 0)
	}
	w.at("before-fsync")
	if err == nil {
		err = w.f.Sync()
	}
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("logserver: finishing snapshot %s: %w", w.tmp, err)
	}
	w.finished = true
	return nil
}

// Abort removes the temp file; a Write or Finish running meanwhile fails.
func (w *SnapshotWriter) Abort() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.aborted {
		return
	}
	w.aborted = true
	_ = w.f.Close()
	_ = os.Remove(w.tmp)
}

// Index is the snapshot's last included index.
func (w *SnapshotWriter) Index() uint64 { return w.hdr.index }

func (w *SnapshotWriter) at(point string) {
	if w.hook != nil {
		w.hook(point)
	}
}

// CommitSnapshot makes a finished snapshot the current one: rename the temp
// file into place, fsync the directory, then remove the older snapshot
// files (and fsync again). A crash at any point leaves the old or the new
// snapshot, each with the log entries after it (compaction only runs later,
// on request). If a newer snapshot became current meanwhile (an install),
// the writer is aborted and ErrSnapshotStale returned.
func (l *FileLog) CommitSnapshot(w *SnapshotWriter) (*rafterpb.SnapshotMeta, error) {
	if err := l.usable(); err != nil {
		w.Abort()
		return nil, err
	}
	if !w.finished {
		w.Abort()
		return nil, fmt.Errorf("%w: committing an unfinished snapshot", ErrSnapshotAborted)
	}
	if w.hdr.index <= l.SnapshotIndex() {
		w.Abort()
		return nil, fmt.Errorf("%w: index %d, current snapshot %d", ErrSnapshotStale, w.hdr.index, l.SnapshotIndex())
	}
	w.at("before-rename")
	if err := os.Rename(w.tmp, w.final); err != nil {
		w.Abort()
		return nil, fmt.Errorf("logserver: installing snapshot %s: %w", w.final, err)
	}
	w.at("after-rename")
	sf := &snapFile{hdr: w.hdr, hdrLen: w.hdrLen, size: int64(w.hdrLen) + w.n, path: w.final}
	if err := l.adoptSnapshot(sf); err != nil {
		return nil, l.fail(err)
	}
	w.at("after-remove")
	return sf.Meta(), nil
}

// adoptSnapshot makes sf (already renamed into place) current: directory
// fsync, then the older snapshot files go.
func (l *FileLog) adoptSnapshot(sf *snapFile) error {
	dir := filepath.Dir(sf.path)
	if err := syncDir(dir); err != nil {
		return err
	}
	l.snap = sf
	l.floor = max(l.floor, sf.hdr.index)
	return l.removeSnapshotsBelow(sf.hdr.index)
}

// removeSnapshotsBelow removes snapshot files older than index.
func (l *FileLog) removeSnapshotsBelow(index uint64) error {
	paths, idx, err := listSnapshots(l, false)
	if err != nil {
		return err
	}
	removed := false
	for i, p := range paths {
		if idx[i] < index {
			if err := os.Remove(p); err != nil {
				return fmt.Errorf("logserver: removing %s: %w", p, err)
			}
			removed = true
		}
	}
	if removed {
		return syncDir(filepath.Join(l.dir, snapDirName))
	}
	return nil
}

// SnapshotIndex is the current snapshot's last included index, 0 if none.
func (l *FileLog) SnapshotIndex() uint64 {
	if l.snap == nil {
		return 0
	}
	return l.snap.hdr.index
}

// SnapshotTerm is the current snapshot's term, 0 if none.
func (l *FileLog) SnapshotTerm() uint64 {
	if l.snap == nil {
		return 0
	}
	return l.snap.hdr.term
}

// Snapshot describes the current snapshot, nil if none.
func (l *FileLog) Snapshot() *rafterpb.SnapshotMeta { return l.snap.Meta() }
