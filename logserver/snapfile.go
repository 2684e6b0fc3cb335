package logserver

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/rafter-go/rafter/rafterpb"
	"google.golang.org/protobuf/proto"
)

// Snapshot file layout: see doc.go. Big-endian, CRC-32C as for records.
const (
	snapMagic      = "RSNP"
	snapFixedSize  = 40 // magic .. config length
	snapOffIndex   = 4
	snapOffTerm    = 12
	snapOffBody    = 20
	snapOffBodyCRC = 28
	snapOffVersion = 32
	snapOffConfLen = 36
	snapVersion    = 1
	// maxSnapConfig bounds the configuration in a header, so that a damaged
	// length cannot make the decoder allocate absurd amounts before the
	// header checksum is checked. A configuration is a list of peers: far
	// smaller.
	maxSnapConfig = 1 << 20

	snapDirName     = "snap"
	snapSuffix      = ".snap"
	snapNameLen     = 20 + len(snapSuffix)
	tmpSuffix       = ".tmp"
	corruptSuffix   = ".corrupt"
	installTmpName  = "install" + tmpSuffix
	snapReadBufSize = 256 << 10
)

// snapHeader is a decoded snapshot header.
type snapHeader struct {
	index, term uint64
	bodySize    uint64
	bodyCRC     uint32
	config      *rafterpb.Config
}

// Errors of the snapshot header decoder.
var (
	errSnapMagic   = errors.New("not a snapshot file (bad magic)")
	errSnapVersion = errors.New("unknown snapshot format version")
	errSnapConfig  = errors.New("configuration length out of range")
)

// encodeSnapHeader returns the header bytes for h.
func encodeSnapHeader(h snapHeader) ([]byte, error) {
	conf, err := proto.MarshalOptions{Deterministic: true}.Marshal(h.config)
	if err != nil {
		return nil, fmt.Errorf("logserver: encoding snapshot configuration: %w", err)
	}
	if len(conf) > maxSnapConfig {
		return nil, fmt.Errorf("%w: configuration is %d bytes, limit %d", ErrSnapshotInvalid, len(conf), maxSnapConfig)
	}
	b := make([]byte, snapFixedSize, snapFixedSize+len(conf)+4)
	copy(b, snapMagic)
	binary.BigEndian.PutUint64(b[snapOffIndex:], h.index)
	binary.BigEndian.PutUint64(b[snapOffTerm:], h.term)
	binary.BigEndian.PutUint64(b[snapOffBody:], h.bodySize)
	binary.BigEndian.PutUint32(b[snapOffBodyCRC:], h.bodyCRC)
	binary.BigEndian.PutUint32(b[snapOffVersion:], snapVersion)
	binary.BigEndian.PutUint32(b[snapOffConfLen:], uint32(len(conf)))
	b = append(b, conf...)
	return binary.BigEndian.AppendUint32(b, crcOf(b)), nil
}

// snapHeaderLen is the length of a header whose configuration encodes to n
// bytes.
func snapHeaderLen(n int) int { return snapFixedSize + n + 4 }

// decodeSnapHeader decodes the header at the start of b and returns it with
// its length. errShort means b ends inside the header. The configuration
// length is bounded before anything is allocated for it.
func decodeSnapHeader(b []byte) (snapHeader, int, error) {
	if len(b) < snapFixedSize {
		return snapHeader{}, 0, errShort
	}
	if string(b[:4]) != snapMagic {
		return snapHeader{}, 0, errSnapMagic
	}
	if v := binary.BigEndian.Uint32(b[snapOffVersion:]); v != snapVersion {
		return snapHeader{}, 0, fmt.Errorf("%w: %d", errSnapVersion, v)
	}
	n := binary.BigEndian.Uint32(b[snapOffConfLen:])
	if n > maxSnapConfig {
		return snapHeader{}, 0, errSnapConfig
	}
	size := snapHeaderLen(int(n))
	if len(b) < size {
		return snapHeader{}, 0, errShort
	}
	if crcOf(b[:size-4]) != binary.BigEndian.Uint32(b[size-4:]) {
		return snapHeader{}, 0, errHeaderCRC
	}
	h := snapHeader{
		index:    binary.BigEndian.Uint64(b[snapOffIndex:]),
		term:     binary.BigEndian.Uint64(b[snapOffTerm:]),
		bodySize: binary.BigEndian.Uint64(b[snapOffBody:]),
		bodyCRC:  binary.BigEndian.Uint32(b[snapOffBodyCRC:]),
		config:   &rafterpb.Config{},
	}
	if err := proto.Unmarshal(b[snapFixedSize:size-4], h.config); err != nil {
		return snapHeader{}, 0, fmt.Errorf("undecodable configuration: %w", err)
	}
	if h.index == 0 {
		return snapHeader{}, 0, errors.New("snapshot index 0")
	}
	return h, size, nil
}

// readSnapHeader reads and decodes the header of an open snapshot file.
func readSnapHeader(f *os.File) (snapHeader, int, error) {
	fixed := make([]byte, snapFixedSize)
	if _, err := f.ReadAt(fixed, 0); err != nil {
		return snapHeader{}, 0, errShort
	}
	if _, _, err := decodeSnapHeader(fixed); err != nil && !errors.Is(err, errShort) {
		return snapHeader{}, 0, err
	}
	n := binary.BigEndian.Uint32(fixed[snapOffConfLen:]) // bounded by the decode above
	b := make([]byte, snapHeaderLen(int(n)))
	if _, err := f.ReadAt(b, 0); err != nil {
		return snapHeader{}, 0, errShort
	}
	return decodeSnapHeader(b)
}

// snapFile is a snapshot file that passed every check.
type snapFile struct {
	hdr    snapHeader
	hdrLen int
	size   int64 // file bytes: hdrLen + body
	path   string
}

// Meta describes the snapshot in its wire form.
func (s *snapFile) Meta() *rafterpb.SnapshotMeta {
	if s == nil {
		return nil
	}
	return &rafterpb.SnapshotMeta{Index: s.hdr.index, Term: s.hdr.term, Config: proto.CloneOf(s.hdr.config),
		Size: uint64(s.size), BodySize: s.hdr.bodySize}
}

// checkSnapFile verifies a whole snapshot file: header checksum, size, and
// the body's CRC-32C (read in bounded pieces, never whole into memory).
func checkSnapFile(path string) (*snapFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("logserver: opening %s: %w", path, err)
	}
	defer f.Close()
	hdr, n, err := readSnapHeader(f)
	if err != nil {
		return nil, &CorruptError{File: path, Offset: 0, Reason: "snapshot header: " + err.Error()}
	}
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("logserver: stat %s: %w", path, err)
	}
	if uint64(st.Size()) != uint64(n)+hdr.bodySize {
		return nil, &CorruptError{File: path, Offset: int64(n), Reason: fmt.Sprintf("snapshot file is %d bytes, header says %d", st.Size(), uint64(n)+hdr.bodySize)}
	}
	crc, err := crcRange(f, int64(n), int64(hdr.bodySize))
	if err != nil {
		return nil, fmt.Errorf("logserver: reading %s: %w", path, err)
	}
	if crc != hdr.bodyCRC {
		return nil, &CorruptError{File: path, Offset: int64(n), Reason: "snapshot body checksum mismatch"}
	}
	return &snapFile{hdr: hdr, hdrLen: n, size: st.Size(), path: path}, nil
}

// crcRange is the CRC-32C of n bytes of f from off.
func crcRange(f *os.File, off, n int64) (uint32, error) {
	h := crc32.New(castagnoli)
	if _, err := io.CopyBuffer(h, io.NewSectionReader(f, off, n), make([]byte, snapReadBufSize)); err != nil {
		return 0, err
	}
	return h.Sum32(), nil
}

func snapshotName(index uint64) string { return fmt.Sprintf("%020d%s", index, snapSuffix) }

// listSnapshots returns the snapshot file paths in dir/snap, newest (highest
// index) first, with their indexes. At start (cleanTemps) temp files are
// removed: a save or an install that never finished (the rename is what
// makes a snapshot exist). Later, temp files belong to a save or an install
// in progress and are left alone.
func listSnapshots(l *FileLog, cleanTemps bool) ([]string, []uint64, error) {
	dir := filepath.Join(l.dir, snapDirName)
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("logserver: reading %s: %w", dir, err)
	}
	var paths []string
	var idx []uint64
	removed := false
	for _, de := range ents {
		name, path := de.Name(), filepath.Join(dir, de.Name())
		switch {
		case strings.HasSuffix(name, tmpSuffix) && cleanTemps:
			if err := os.Remove(path); err != nil {
				return nil, nil, fmt.Errorf("logserver: removing %s: %w", path, err)
			}
			l.log.Warn("logserver: removed an unfinished snapshot temp file", "file", path)
			removed = true
		case strings.HasSuffix(name, snapSuffix):
			i, err := strconv.ParseUint(strings.TrimSuffix(name, snapSuffix), 10, 64)
			if err != nil || len(name) != snapNameLen || !de.Type().IsRegular() {
				return nil, nil, &CorruptError{File: path, Reason: "not a snapshot file name (want 20 digits + .snap)"}
			}
			paths, idx = append(paths, path), append(idx, i)
		}
	}
	if removed {
		if err := syncDir(dir); err != nil {
			return nil, nil, err
		}
	}
	order := make([]int, len(paths))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return idx[order[a]] > idx[order[b]] })
	ps, is := make([]string, len(order)), make([]uint64, len(order))
	for k, o := range order {
		ps[k], is[k] = paths[o], idx[o]
	}
	return ps, is, nil
}

// ensureSnapDir creates dir/snap (and makes its creation durable).
func (l *FileLog) ensureSnapDir() (string, error) {
	dir := filepath.Join(l.dir, snapDirName)
	if _, err := os.Stat(dir); err == nil {
		return dir, nil
	}
	if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return "", fmt.Errorf("logserver: creating %s: %w", dir, err)
	}
	return dir, syncDir(l.dir)
}
