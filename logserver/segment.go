package logserver

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// File names in the data directory; see doc.go.
const (
	segSuffix   = ".seg"
	segNameLen  = 20 + len(segSuffix)
	metaName    = "meta"
	metaTmpName = "meta.tmp"
	lockName    = "LOCK"
)

// segment is one segment file: records for indexes first, first+1, ...
type segment struct {
	first uint64
	path  string
	f     *os.File
	size  int64 // bytes of whole records written (the next write offset)
	// alloc is the file's length: size plus the zeros written ahead of
	// the records (see zeroAhead); only the last segment has any.
	alloc int64
	dirty bool // written since the last fdatasync
}

func segmentName(first uint64) string { return fmt.Sprintf("%020d%s", first, segSuffix) }

// listSegments returns the segment files of dir sorted by first index.
func listSegments(dir string) ([]*segment, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("logserver: reading %s: %w", dir, err)
	}
	var segs []*segment
	for _, de := range ents {
		name := de.Name()
		if !strings.HasSuffix(name, segSuffix) {
			continue
		}
		path := filepath.Join(dir, name)
		first, err := strconv.ParseUint(strings.TrimSuffix(name, segSuffix), 10, 64)
		if err != nil || len(name) != segNameLen || !de.Type().IsRegular() {
			return nil, &CorruptError{File: path, Offset: 0, Reason: "not a segment file name (want 20 digits + .seg)"}
		}
		segs = append(segs, &segment{first: first, path: path})
	}
	sort.Slice(segs, func(i, j int) bool { return segs[i].first < segs[j].first })
	return segs, nil
}

// createSegment creates the segment file for first. The caller must fsync
// the directory before acknowledging anything written to it.
func createSegment(dir string, first uint64) (*segment, error) {
	path := filepath.Join(dir, segmentName(first))
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, fmt.Errorf("logserver: creating segment: %w", err)
	}
	return &segment{first: first, path: path, f: f}, nil
}

// syncDir fsyncs a directory so that file creations, renames and removals
// in it survive a crash.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("logserver: opening directory for fsync: %w", err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("logserver: fsync directory %s: %w", dir, err)
	}
	return nil
}
