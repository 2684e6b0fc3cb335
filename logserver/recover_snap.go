package logserver

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// chooseSnapshot picks the newest snapshot file that passes every check.
// Newer files that fail are corruption: falling back to an older snapshot
// is allowed only if the log still holds every entry in between (with the
// older snapshot's term at its index), because otherwise acknowledged,
// applied state would silently roll back. Then the bad files are renamed
// aside (*.corrupt, kept for inspection); else Open fails naming the file.
func (l *FileLog) chooseSnapshot(paths []string, idx []uint64) (*snapFile, error) {
	var (
		chosen     *snapFile
		bad        []string
		corrupt    *CorruptError
		corruptIdx uint64
	)
	for i, p := range paths {
		sf, err := checkSnapFile(p)
		if err == nil && sf.hdr.index != idx[i] {
			err = &CorruptError{File: p, Reason: fmt.Sprintf("header index %d, file name says %d", sf.hdr.index, idx[i])}
		}
		var ce *CorruptError
		if errors.As(err, &ce) {
			if corrupt == nil {
				corrupt, corruptIdx = ce, idx[i]
			}
			bad = append(bad, p)
			continue
		}
		if err != nil {
			return nil, err
		}
		chosen = sf
		break
	}
	if corrupt == nil {
		return chosen, nil
	}
	var base, baseTerm uint64
	if chosen != nil {
		base, baseTerm = chosen.hdr.index, chosen.hdr.term
	}
	covered := l.locs.len() > 0 && l.first <= base+1 && l.LastIndex() >= corruptIdx
	if covered && base >= l.first {
		covered = l.locs.at(base-l.first).term == baseTerm
	}
	if !covered {
		return nil, &CorruptError{File: corrupt.File, Offset: corrupt.Offset, Reason: fmt.Sprintf(
			"%s; refusing to fall back to snapshot %d: the log (entries %d..%d) does not hold %d..%d, so acknowledged state would roll back",
			corrupt.Reason, base, l.first, l.LastIndex(), base+1, corruptIdx)}
	}
	for _, p := range bad {
		l.log.Error("logserver: corrupt snapshot set aside; the log covers it, using the previous one",
			"file", p, "reason", corrupt.Reason, "fallback", base)
		if err := os.Rename(p, p+corruptSuffix); err != nil {
			return nil, fmt.Errorf("logserver: setting aside %s: %w", p, err)
		}
	}
	return chosen, syncDir(filepath.Join(l.dir, snapDirName))
}

// reconcile makes the log agree with the chosen snapshot. Without one, the
// log must start at 1. With one at index S, the log must start at or before
// S+1 (else entries are missing: corruption). If the log ends before S or
// has another term at S, it is what an install left when it crashed before
// its log reset finished (Raft §7: such a log is discarded), so the reset
// is finished here. Older snapshot files are removed.
func (l *FileLog) reconcile(sf *snapFile) error {
	if sf == nil {
		if len(l.segs) > 0 && l.first != 1 {
			return &CorruptError{File: l.segs[0].path, Reason: fmt.Sprintf("first segment starts at index %d and there is no snapshot", l.first)}
		}
		return nil
	}
	l.snap = sf
	l.floor = max(l.floor, sf.hdr.index)
	s := sf.hdr.index
	switch {
	case l.locs.len() > 0 && l.first > s+1:
		return &CorruptError{File: l.segs[0].path, Reason: fmt.Sprintf("log starts at %d, snapshot %s ends at %d: entries missing", l.first, sf.path, s)}
	case l.locs.len() == 0 && len(l.segs) > 0 && l.first > s+1:
		return &CorruptError{File: l.segs[0].path, Reason: fmt.Sprintf("empty segment for %d after snapshot %s at %d: entries missing", l.first, sf.path, s)}
	case l.locs.len() == 0, l.LastIndex() < s, s >= l.first && l.locs.at(s-l.first).term != sf.hdr.term:
		if l.locs.len() > 0 {
			l.log.Warn("logserver: log does not continue the snapshot; finishing an interrupted install reset",
				"snapshot", sf.path, "first", l.first, "last", l.LastIndex())
		}
		if err := l.dropAllSegments(s); err != nil {
			return err
		}
	}
	return l.removeSnapshotsBelow(s)
}
