// Package logserver is the persistent half of every rafter peer: the durable
// Raft log and the term/vote metadata, and the log-server actor that owns
// them (rafter: rafter_log, made production grade). See DESIGN.md §3.
//
// # How it fits
//
// The peer supervisor starts the log server ("<name>/log", Props) before the
// consensus actor. The consensus actor sends it LogLoad on (re)start, then
// one LogWrite per Ready (metadata plus entries, check-and-append), and
// feeds each LogWritten acknowledgement to its core as Persisted(index,
// term). An acknowledgement is sent only after fdatasync, so the leader
// counts its own entry, a follower answers AppendEntries and a vote leaves
// only once the data is durable. Writes that arrive while an fsync runs are
// written together and share the next one (group commit, see server in
// actor.go; LogGetStats reports the batch sizes). The same Log interface
// has an in-memory implementation, MemLog, for the simulator.
//
// # Data directory
//
//	<dir>/LOCK                           flock(2)ed while a log is open; empty
//	<dir>/meta                           term and vote: one record of type 2
//	<dir>/meta.tmp                       only during a metadata replace
//	<dir>/00000000000000000001.seg       segment: entry records 1, 2, ...
//	<dir>/000000000000000NNNNN.seg       next segment, first index NNNNN
//	<dir>/snap/                          reserved for snapshots (not yet used)
//
// A segment's name is the index of its first record, 20 decimal digits.
// Records are appended to the last segment; when the next record would push
// it past Options.SegmentBytes, the full segment is fdatasynced and a new
// one created (and the directory fsynced before anything in it is
// acknowledged). So on disk only the last segment can ever be torn. Whole segments are the
// unit a later compaction drops. The meta file is replaced atomically:
// write meta.tmp, fsync it, rename it over meta, fsync the directory.
//
// # Record layout
//
// Segments and the meta file are sequences of records. All integers are
// big-endian (as in rafter_log's header). CRC-32C uses the Castagnoli
// polynomial.
//
//	offset  size  field
//	     0     4  length     N, the payload length in bytes (<= 1 GiB)
//	     4     1  type       1 = entry (segments), 2 = metadata (meta file)
//	     5     8  term       entry term; metadata: current term
//	    13     8  index      entry index; metadata: 0
//	    21     4  data CRC   CRC-32C of the N payload bytes
//	    25     4  head CRC   CRC-32C of bytes 0..24 (length .. data CRC)
//	    29     N  payload    type 1: protobuf rafterpb.Entry (with the same
//	                         term and index); type 2: protobuf rafterpb.Meta
//
// The header has its own checksum so that a damaged length is caught before
// it is trusted: a record whose header checks out but whose payload runs
// past the end of the file is a torn write, never a misread length. Type 0
// is never written, so zero-filled space never decodes as a record.
//
// # Recovery (Open)
//
//   - meta.tmp is removed: the rename never happened, meta holds the previous
//     metadata. A meta file that is not exactly one valid type-2 record is
//     corruption (it is only ever replaced whole, so it cannot be torn).
//   - Segments are scanned in order; each record must pass both checksums,
//     have the next index (the first segment starts at 1; each segment's
//     name equals its first record's index), a term no lower than the
//     previous record's, and a payload that agrees with the header. The
//     in-memory index keeps one (segment, offset, size, term) per entry, so
//     Entry is one pread and TermAt no I/O.
//   - A torn tail is cut off (truncate + fdatasync) and logged with file and
//     offset: the last segment ends inside a record, or everything from a
//     record on is zero bytes. It was never acknowledged.
//   - Anything else (a checksum failure with real bytes after it, a torn
//     record in a segment that is not the last, an index gap, a term that goes
//     down, unreadable metadata) is returned as *CorruptError with the file
//     and offset, and the peer refuses to start. Recovery never resets the
//     term or the vote and never drops an acknowledged entry. Damage at the
//     very end that is not a clean cut (a flipped bit in the last record) is
//     also reported, not guessed at.
//
// # Bad input
//
// Write refuses, changing nothing, with ErrIndexGap (non-contiguous entries,
// a hole after the last index, index 0), ErrTermRegress (an entry term below
// the previous entry's, metadata term below the stored term), ErrBelowCommit
// (truncation at or below the commit floor, Raft §5.3) and ErrEntryTooLarge.
// A failed write or fsync makes the FileLog unusable (ErrClosed) and makes
// the actor panic without acknowledging the writes in flight: their outcome
// is unknown, and recovery after the supervisor's restart decides.
//
// # Fuzzing
//
// FuzzDecodeRecord (the record decoder) and FuzzRecover (Open on arbitrary
// segment and meta bytes) run their seed corpus in every go test. The long
// run, e.g. before a release:
//
//	go test -run XXX -fuzz FuzzDecodeRecord -fuzztime 30m ./logserver/
//	go test -run XXX -fuzz FuzzRecover -fuzztime 30m ./logserver/
//
// # Example
//
//	l, err := logserver.Open(dir, logserver.DefaultOptions())
//	if err != nil { return err } // *CorruptError: do not start the peer
//	defer l.Close()
//	err = l.Write(&rafterpb.Meta{Term: 1}, []*rafterpb.Entry{{Term: 1, Index: 1}})
//	if err == nil { err = l.Sync() } // durable from here on
//
// As an actor: pid := ctx.SpawnNamed(logserver.Props(dir, opts), "log"),
// then ctx.Request(pid, &rafterpb.LogWrite{Seq: 1, Entries: ...}) and wait
// for *rafterpb.LogWritten.
package logserver
