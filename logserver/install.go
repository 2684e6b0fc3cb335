package logserver

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/rafter-go/rafter/rafterpb"
)

// install is a snapshot being received from a leader (Raft §7).
type install struct {
	index, term uint64
	total       uint64 // declared file size
	next        uint64 // bytes received in order so far
	f           *os.File
	path        string
}

// minSnapFile is the smallest possible snapshot file: a header with an
// empty configuration and an empty body.
const minSnapFile = snapFixedSize + 4

// InstallChunk takes one chunk of a snapshot file sent by a leader and
// answers with the offset it expects next. Only the expected offset is
// written (so memory and disk stay bounded by the declared size, and
// nothing is allocated for it up front); a duplicate or a chunk from the
// future changes nothing and the reply tells the sender where to resume. A
// chunk for another snapshot aborts a partial one. The last byte makes
// InstallChunk check the file end to end (header, size, body CRC-32C, the
// index and term offered), fsync it, rename it into place, fsync the
// directory and reset the log (Raft §7: entries after the snapshot are kept
// only if the log holds its index with its term), all before the reply says
// done. A refused chunk (ErrBadChunk, ErrSnapshotStale, ErrSnapshotInvalid)
// aborts the partial install and leaves the current snapshot and the log
// as they were.
func (l *FileLog) InstallChunk(c *rafterpb.LogInstallChunk) (*rafterpb.LogInstallReply, error) {
	if err := l.usable(); err != nil {
		return nil, err
	}
	index, term, total, off := c.GetIndex(), c.GetTerm(), c.GetTotalSize(), c.GetOffset()
	reply := &rafterpb.LogInstallReply{Index: index, Term: term}
	if l.snap != nil && index == l.snap.hdr.index && term == l.snap.hdr.term {
		// Installed already (a duplicated last chunk): harmless.
		reply.NextOffset, reply.Done, reply.Snapshot, reply.LastIndex = uint64(l.snap.size), true, l.snap.Meta(), l.LastIndex()
		return reply, nil
	}
	if index == 0 || index <= l.SnapshotIndex() {
		return reply, fmt.Errorf("%w: offered %d/%d, current snapshot %d", ErrSnapshotStale, index, term, l.SnapshotIndex())
	}
	if total < minSnapFile || off+uint64(len(c.GetData())) > total || off+uint64(len(c.GetData())) < off {
		l.abortInstall()
		return reply, fmt.Errorf("%w: %d bytes at offset %d of a %d-byte snapshot", ErrBadChunk, len(c.GetData()), off, total)
	}
	in := l.install
	if in != nil && (in.index != index || in.term != term || in.total != total) {
		l.log.Info("logserver: a new snapshot offer aborts a partial install",
			"partial", in.index, "received", in.next, "offered", index)
		l.abortInstall()
		in = nil
	}
	if in == nil {
		if off != 0 {
			return reply, nil // NextOffset 0: start from the beginning
		}
		var err error
		if in, err = l.startInstall(index, term, total); err != nil {
			return reply, err
		}
	}
	if off <= in.next && off+uint64(len(c.GetData())) > in.next {
		data := c.GetData()[in.next-off:]
		if _, err := in.f.WriteAt(data, int64(in.next)); err != nil {
			l.abortInstall()
			return reply, fmt.Errorf("logserver: writing %s: %w", in.path, err)
		}
		in.next += uint64(len(data))
	}
	reply.NextOffset = in.next
	if in.next < in.total {
		return reply, nil
	}
	return l.finishInstall(reply)
}

func (l *FileLog) startInstall(index, term, total uint64) (*install, error) {
	dir, err := l.ensureSnapDir()
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, installTmpName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("logserver: creating %s: %w", path, err)
	}
	l.install = &install{index: index, term: term, total: total, f: f, path: path}
	return l.install, nil
}

// abortInstall drops a partial install and its temp file.
func (l *FileLog) abortInstall() {
	if in := l.install; in != nil {
		_ = in.f.Close()
		_ = os.Remove(in.path)
		l.install = nil
	}
}

// finishInstall checks, installs and resets the log.
func (l *FileLog) finishInstall(reply *rafterpb.LogInstallReply) (*rafterpb.LogInstallReply, error) {
	in := l.install
	err := in.f.Sync()
	if cerr := in.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		l.install = nil
		_ = os.Remove(in.path)
		return reply, fmt.Errorf("logserver: finishing %s: %w", in.path, err)
	}
	sf, err := checkSnapFile(in.path)
	if err == nil && (sf.hdr.index != in.index || sf.hdr.term != in.term) {
		err = fmt.Errorf("header says %d/%d", sf.hdr.index, sf.hdr.term)
	}
	if err != nil {
		l.install = nil
		_ = os.Remove(in.path)
		return reply, fmt.Errorf("%w: snapshot %d/%d: %w", ErrSnapshotInvalid, in.index, in.term, err)
	}
	l.install = nil
	sf.path = filepath.Join(filepath.Dir(in.path), snapshotName(in.index))
	if err := os.Rename(in.path, sf.path); err != nil {
		_ = os.Remove(in.path)
		return reply, fmt.Errorf("logserver: installing %s: %w", sf.path, err)
	}
	if err := l.adoptSnapshot(sf); err != nil {
		return reply, l.fail(err)
	}
	if err := l.resetLog(sf.hdr.index, sf.hdr.term); err != nil {
		return reply, l.fail(err)
	}
	if err := l.Sync(); err != nil {
		return reply, err
	}
	reply.Done, reply.Snapshot, reply.LastIndex = true, sf.Meta(), l.LastIndex()
	return reply, nil
}

// resetLog applies Raft §7 after an install at index/term: if the log holds
// index with term, the entries after it are kept; otherwise the whole log
// is discarded and continues after index.
func (l *FileLog) resetLog(index, term uint64) error {
	if index <= l.LastIndex() && index >= l.first && l.locs.at(index-l.first).term == term {
		return nil
	}
	return l.dropAllSegments(index)
}
