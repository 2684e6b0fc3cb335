package sim

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"

	"github.com/rafter-go/rafter/consensus/core"
	"github.com/rafter-go/rafter/rafterpb"
	"google.golang.org/protobuf/proto"
)

// The snapshot "file" of the simulated log server: the state machine (the
// counter) with the snapshot's index, term and configuration, as bytes, so
// that InstallSnapshot streams real chunks that can be lost, duplicated,
// reordered and must be reassembled. Layout (big endian):
//
//	index u64 | term u64 | count u64 | config length u32 | table length u32 |
//	config (protobuf) | session table (consensus/session) | CRC-32C u32 of all before
//
// The errors mirror logserver's for the same refusals (logserver/install.go,
// snapsave.go, compact.go).
var (
	errSnapStale     = errors.New("sim: snapshot not newer than the current one")
	errSnapMismatch  = errors.New("sim: snapshot does not match the log")
	errSnapInvalid   = errors.New("sim: invalid snapshot")
	errBadChunk      = errors.New("sim: bad snapshot chunk")
	errSaveFailed    = errors.New("sim: snapshot save failed (injected disk error)")
	errCompactPast   = errors.New("sim: compaction past the snapshot index")
	castagnoli       = crc32.MakeTable(crc32.Castagnoli)
	snapFixed        = 8 + 8 + 8 + 4 + 4
	minSnapFile      = uint64(snapFixed + 4)
	marshalSnapshots = proto.MarshalOptions{Deterministic: true}
)

// snapFile is a snapshot file: its description (index, term, config,
// size), the counter it holds and its bytes.
type snapFile struct {
	meta  *rafterpb.SnapshotMeta
	count uint64
	table []byte // the session table, encoded
	data  []byte
}

func encodeSnap(index, term uint64, conf *rafterpb.Config, count uint64, table []byte) *snapFile {
	cb, err := marshalSnapshots.Marshal(conf)
	if err != nil {
		panic(fmt.Sprintf("sim: marshalling a configuration: %v", err))
	}
	b := make([]byte, 0, snapFixed+len(cb)+len(table)+4)
	b = binary.BigEndian.AppendUint64(b, index)
	b = binary.BigEndian.AppendUint64(b, term)
	b = binary.BigEndian.AppendUint64(b, count)
	b = binary.BigEndian.AppendUint32(b, uint32(len(cb)))
	b = binary.BigEndian.AppendUint32(b, uint32(len(table)))
	b = append(b, cb...)
	b = append(b, table...)
	b = binary.BigEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
	return &snapFile{meta: &rafterpb.SnapshotMeta{Index: index, Term: term, Config: cloneConfig(conf), Size: uint64(len(b))},
		count: count, table: table, data: b}
}

// decodeSnap checks and reads a received file.
func decodeSnap(b []byte) (*snapFile, error) {
	if uint64(len(b)) < minSnapFile {
		return nil, fmt.Errorf("%w: %d bytes", errSnapInvalid, len(b))
	}
	body, sum := b[:len(b)-4], binary.BigEndian.Uint32(b[len(b)-4:])
	if crc32.Checksum(body, castagnoli) != sum {
		return nil, fmt.Errorf("%w: checksum", errSnapInvalid)
	}
	n, tn := binary.BigEndian.Uint32(body[24:28]), binary.BigEndian.Uint32(body[28:32])
	if uint64(n)+uint64(tn) != uint64(len(body)-snapFixed) {
		return nil, fmt.Errorf("%w: config length %d, table length %d", errSnapInvalid, n, tn)
	}
	conf := &rafterpb.Config{}
	if err := proto.Unmarshal(body[snapFixed:snapFixed+int(n)], conf); err != nil {
		return nil, fmt.Errorf("%w: config: %w", errSnapInvalid, err)
	}
	table := append([]byte(nil), body[snapFixed+int(n):]...)
	f := encodeSnap(binary.BigEndian.Uint64(body[0:8]), binary.BigEndian.Uint64(body[8:16]), conf,
		binary.BigEndian.Uint64(body[16:24]), table)
	return f, nil
}

// partialInstall is an install file being received (install.tmp).
type partialInstall struct {
	index, term, total uint64
	data               []byte
}

// checkSave mirrors logserver's CreateSnapshot: the index must be newer
// than the current snapshot and in the log with the snapshot's term.
func (s *store) checkSave(m *rafterpb.SnapshotMeta) error {
	if m.GetIndex() == 0 || m.GetIndex() <= s.snap.index() {
		return fmt.Errorf("%w: index %d, current snapshot %d", errSnapStale, m.GetIndex(), s.snap.index())
	}
	if t, ok := s.view.term(m.GetIndex()); !ok || t != m.GetTerm() {
		return fmt.Errorf("%w: snapshot %d/%d, log term there %d", errSnapMismatch, m.GetIndex(), m.GetTerm(), t)
	}
	return nil
}

// commitSave mirrors CommitSnapshot: a save older than the current
// snapshot (an install overtook it) is dropped.
func (s *store) commitSave(f *snapFile) error {
	if f.meta.GetIndex() <= s.snap.index() {
		return fmt.Errorf("%w: index %d, current snapshot %d", errSnapStale, f.meta.GetIndex(), s.snap.index())
	}
	s.snap = f
	return nil
}

func (f *snapFile) index() uint64 {
	if f == nil {
		return 0
	}
	return f.meta.GetIndex()
}

// compact mirrors logserver's Compact: the writes handed over before it
// are made durable first (they are acknowledged at their own fsync events
// later, which is only later than necessary), then entries up to c go,
// from the view (the log server's log, pending records included) and from
// the durable log; never past the durable snapshot. unsynced is
// Faults.CompactUnsynced: the pending writes are left as they are.
func (s *store) compact(c uint64, unsynced bool) error {
	if c > s.snap.index() {
		return fmt.Errorf("%w: index %d, snapshot %d", errCompactPast, c, s.snap.index())
	}
	if !unsynced {
		for _, w := range s.pending {
			if err := s.makeDurable(w); err != nil {
				return err
			}
		}
	}
	if c > s.view.last() {
		return fmt.Errorf("compaction at %d past the log's last index %d", c, s.view.last())
	}
	viewTerm, _ := s.view.term(c)
	if c > s.view.off {
		s.view.compact(c)
	}
	if c <= s.logOff {
		return nil
	}
	if c <= s.logLast() {
		s.logOffTerm = s.log[c-s.logOff-1].GetTerm()
		s.log = append([]*rafterpb.Entry(nil), s.log[c-s.logOff:]...)
	} else {
		s.logOffTerm, s.log = viewTerm, nil
	}
	s.logOff = c
	return nil
}

// installChunk mirrors logserver's InstallChunk: only the expected offset
// is taken; a chunk of another snapshot aborts the partial file; the last
// byte checks the file and installs it (f: the new snapshot); the caller
// then resets the log (resetLog).
func (s *store) installChunk(in *rafterpb.InstallSnapshot) (r core.InstallReply, f *snapFile) {
	index, term, total, off := in.GetLastIncludedIndex(), in.GetLastIncludedTerm(), in.GetTotalSize(), in.GetOffset()
	data := in.GetData()
	if s.snap != nil && index == s.snap.meta.GetIndex() && term == s.snap.meta.GetTerm() {
		return core.InstallReply{NextOffset: s.snap.meta.GetSize(), Done: true, Snapshot: cloneSnapMeta(s.snap.meta)}, nil
	}
	if index == 0 || index <= s.snap.index() {
		return core.InstallReply{Err: fmt.Errorf("%w: offered %d/%d, current snapshot %d", errSnapStale, index, term, s.snap.index())}, nil
	}
	end := off + uint64(len(data))
	if total < minSnapFile || end > total || end < off {
		s.partial = nil
		return core.InstallReply{Err: fmt.Errorf("%w: %d bytes at offset %d of a %d-byte snapshot", errBadChunk, len(data), off, total)}, nil
	}
	p := s.partial
	if p != nil && (p.index != index || p.term != term || p.total != total) {
		p = nil
	}
	if p == nil {
		s.partial = nil
		if off != 0 {
			return core.InstallReply{}, nil // start from the beginning
		}
		p = &partialInstall{index: index, term: term, total: total}
		s.partial = p
	}
	next := uint64(len(p.data))
	if off <= next && end > next {
		p.data = append(p.data, data[next-off:]...)
	}
	r = core.InstallReply{NextOffset: uint64(len(p.data))}
	if r.NextOffset < total {
		return r, nil
	}
	s.partial = nil
	f, err := decodeSnap(p.data)
	if err == nil && (f.meta.GetIndex() != index || f.meta.GetTerm() != term) {
		err = fmt.Errorf("%w: header says %d/%d, offered %d/%d", errSnapInvalid, f.meta.GetIndex(), f.meta.GetTerm(), index, term)
	}
	if err != nil {
		r.Err = err
		return r, nil
	}
	s.snap = f
	r.Done, r.Snapshot = true, cloneSnapMeta(f.meta)
	return r, f
}

// resetLog applies Raft §7 after an install at index/term, to the view and
// to the durable log alike (the log server made every earlier write
// durable first); base is the chain hash at index (committed): the entries after index stay if the log holds index with
// term; otherwise the log is empty and continues after index.
// keepAny is Faults.InstallKeepsLog: the term at index is not compared.
func (s *store) resetLog(index, term uint64, base func(uint64) uint64, keepAny bool) {
	if r := s.view.rec(index); r != nil && (r.e.GetTerm() == term || keepAny) {
		return
	}
	s.view = logView{off: index, offTerm: term, base: base(index)}
	s.log, s.logOff, s.logOffTerm = nil, index, term
}

// reconcile mirrors logserver's recovery (reconcile): with a snapshot at
// S, the log must start at or before S+1 (else entries are missing: the
// error); a log that is empty, ends before S or has another term at S is
// what an install left before its reset, so the reset is finished. The
// entries at or below S are dropped here (the log server keeps them in
// their segment, but loads only those after S). reset: a non-empty log
// was dropped.
func (s *store) reconcile() (reset bool, err error) {
	if s.snap == nil {
		if s.logOff != 0 {
			return false, fmt.Errorf("log compacted to %d without a snapshot", s.logOff)
		}
		return false, nil
	}
	S, T := s.snap.meta.GetIndex(), s.snap.meta.GetTerm()
	switch {
	case s.logOff > S:
		return false, fmt.Errorf("log starts at %d, snapshot ends at %d: entries missing", s.logOff+1, S)
	case len(s.log) == 0, s.logLast() < S, S > s.logOff && s.log[S-s.logOff-1].GetTerm() != T:
		reset = len(s.log) > 0
		s.log, s.logOff, s.logOffTerm = nil, S, T
	case S > s.logOff:
		s.log = append([]*rafterpb.Entry(nil), s.log[S-s.logOff:]...)
		s.logOff, s.logOffTerm = S, T
	case s.logOffTerm != T:
		// The log was compacted exactly at S, from an entry of another
		// term: what follows may not continue the snapshot.
		return false, fmt.Errorf("log compacted at the snapshot index %d from an entry of term %d, snapshot term %d",
			S, s.logOffTerm, T)
	}
	return reset, nil
}

func cloneSnapMeta(m *rafterpb.SnapshotMeta) *rafterpb.SnapshotMeta {
	if m == nil {
		return nil
	}
	return &rafterpb.SnapshotMeta{Index: m.Index, Term: m.Term, Config: cloneConfig(m.Config), Size: m.Size}
}
