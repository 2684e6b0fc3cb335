package logserver

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/rafter-go/rafter/rafterpb"
	"google.golang.org/protobuf/proto"
)

// encodeMeta returns the bytes of the meta file: one recMeta record.
func encodeMeta(m *rafterpb.Meta) ([]byte, error) {
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("logserver: encoding metadata: %w", err)
	}
	return appendRecord(nil, recMeta, m.GetTerm(), 0, b), nil
}

// writeMeta replaces the meta file atomically: write meta.tmp, fsync it,
// rename it over meta, fsync the directory. A crash at any point leaves
// either the old or the new metadata, never a mix.
func writeMeta(dir string, m *rafterpb.Meta) error {
	data, err := encodeMeta(m)
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, metaTmpName)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("logserver: writing metadata: %w", err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("logserver: writing %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, metaName)); err != nil {
		return fmt.Errorf("logserver: replacing metadata: %w", err)
	}
	return syncDir(dir)
}

// readMeta reads the meta file; a missing file means a blank peer (nil).
// Anything else that is not exactly one valid recMeta record is corruption:
// the file is only ever replaced whole, so damage cannot be a torn write,
// and guessing would risk forgetting a term or a vote.
func readMeta(dir string) (*rafterpb.Meta, error) {
	path := filepath.Join(dir, metaName)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("logserver: reading metadata: %w", err)
	}
	r, n, err := decodeRecord(data)
	if err != nil {
		return nil, &CorruptError{File: path, Offset: 0, Reason: "unreadable metadata: " + err.Error()}
	}
	if r.typ != recMeta {
		return nil, &CorruptError{File: path, Offset: 0, Reason: fmt.Sprintf("record type %d, want metadata", r.typ)}
	}
	if n != len(data) {
		return nil, &CorruptError{File: path, Offset: int64(n), Reason: fmt.Sprintf("%d trailing bytes after the metadata record", len(data)-n)}
	}
	m := &rafterpb.Meta{}
	if err := proto.Unmarshal(r.payload, m); err != nil {
		return nil, &CorruptError{File: path, Offset: headerSize, Reason: "undecodable metadata: " + err.Error()}
	}
	if m.GetTerm() != r.term {
		return nil, &CorruptError{File: path, Offset: 0, Reason: fmt.Sprintf("header term %d, payload term %d", r.term, m.GetTerm())}
	}
	return m, nil
}
