// Package logserver is the persistent half of every rafter peer: the durable
// Raft log, the term/vote metadata and the state-machine snapshots, and the
// log-server actor that owns them (rafter: rafter_log, made production
// grade). It owns every file in the data directory.
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
// actor.go; LogGetStats reports the batch sizes and the log's figures).
//
// Snapshots (Raft §7): the consensus actor decides when and at which index;
// the log server makes the file durable, compacts the log behind it on
// request (LogCompact), serves the file in chunks to a leader sending
// InstallSnapshot (LogSnapshotRead), assembles one received from a leader
// (LogInstallChunk), and hands the body to the state machine's Restore
// (LogSnapshotOpen). See "Snapshot messages" below.
//
// # Data directory
//
//	<dir>/LOCK                           flock(2)ed while a log is open; empty
//	<dir>/meta                           term and vote: one record of type 2
//	<dir>/meta.tmp                       only during a metadata replace
//	<dir>/00000000000000000001.seg       segment: entry records 1, 2, ...
//	<dir>/000000000000000NNNNN.seg       next segment, first index NNNNN
//	<dir>/snap/                          snapshots
//	<dir>/snap/000000000000000NNNNN.snap snapshot whose last included index is NNNNN
//	<dir>/snap/NNNNN.snap.tmp            only while a save runs (removed at start)
//	<dir>/snap/install.tmp               only while an install is received (idem)
//	<dir>/snap/NNNNN.snap.corrupt        a corrupt snapshot set aside (see Recovery)
//
// A segment's name is the index of its first record, 20 decimal digits.
// Records are appended to the last segment; when the next record would push
// it past Options.SegmentBytes, the full segment is cut to its records and
// fdatasynced and a new one created (and the directory fsynced before
// anything in it is acknowledged). So on disk only the last segment can
// ever be torn. The last segment's file runs up to 1 MiB ahead of its
// records in zeros, written with the records of a Sync when less than a
// quarter of that is left (never past SegmentBytes): records overwrite
// space already in the file, so an fdatasync need not also commit a new
// file length, which halves its time on ext4. On Linux, the only log of a
// process fdatasyncs as a raw system call, so its goroutine keeps its P and
// answers as soon as the call returns (sync_linux.go says when it does not:
// several logs in one process, one P, or a recent call slower than 20 ms,
// since the collector's stop of the world waits for such a call; such a
// call is logged as a warning and counted in the peer's
// rafter_log_slow_held_fsyncs_total). Whole
// segments are the unit compaction drops: the segments all of whose entries
// are at or below the compaction index, oldest first (a crash in between
// leaves a log without a hole), never past the current snapshot. The log's
// first index is then the first remaining segment's name; the in-memory
// index numbers segments since Open, so dropping front segments rewrites no
// entry's location. The meta file is replaced atomically:
// write meta.tmp, fsync it, rename it over meta, fsync the directory; a
// changed meta is written before any record of the same write or Sync, so
// no record is ever on disk without the metadata of its term.
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
// # Snapshot file layout
//
// One file per snapshot: a header, then the body exactly as the state
// machine's WriteTo produced it. Big-endian, CRC-32C (Castagnoli).
//
//	offset  size  field
//	     0     4  magic      "RSNP"
//	     4     8  index      last included index (> 0)
//	    12     8  term       term of that entry
//	    20     8  body size  B, bytes after the header
//	    28     4  body CRC   CRC-32C of the B body bytes
//	    32     4  version    1
//	    36     4  conf len   C, bytes of the configuration (<= 1 MiB)
//	    40     C  config     protobuf rafterpb.Config in force at index
//	  40+C     4  head CRC   CRC-32C of bytes 0 .. 40+C-1
//	  44+C     B  body
//
// The configuration length is bounded before anything is allocated for it,
// and the header checksum is checked before any field is trusted. The file
// size must be exactly 44+C+B. A leader sends this file as it is, so the
// follower checks the same header and body CRC end to end.
//
// Saving (LogSnapshotSave): the body is written to NNNNN.snap.tmp after
// room for the header, on a goroutine of the log server (WriteTo may take
// long; appends and fsyncs go on); then the header (size and CRC are known
// only at the end) and fsync, still off the actor; then, on the actor: rename
// to NNNNN.snap, fsync snap/, remove older snapshot files, fsync snap/
// again. A crash before the rename leaves the previous snapshot (the temp
// file is removed at start); after it, the new one. The log is untouched by
// a save, so either snapshot is followed by the entries after it.
//
// Installing (LogInstallChunk): bytes arrive at offsets into install.tmp;
// only the next expected offset is written (a duplicate or a chunk from the
// future changes nothing, and the reply names the offset to resume from), a
// chunk past the declared size is refused, a different index/term aborts
// the partial file. At the last byte: fsync, check header and body CRC and
// that they are the offered index/term, rename, fsync snap/, then reset the
// log (Raft §7: if the log holds the snapshot's index with its term, the
// entries after it stay; otherwise every segment goes and the log continues
// after the snapshot), all before the reply says done.
//
// # Recovery (Open)
//
//   - meta.tmp and snap/*.tmp are removed: their rename never happened, so
//     meta and snap/ hold the previous metadata and snapshot. A meta file that is not exactly one valid type-2 record is
//     corruption (it is only ever replaced whole, so it cannot be torn).
//     A missing meta file is a blank peer only if the log holds no entry
//     and no snapshot; beside either it was lost, and Open refuses naming
//     it (reading a blank peer would forget a vote).
//   - Segments are scanned in order; each record must pass both checksums,
//     have the next index (the first segment starts at 1, or after
//     compaction at or before the snapshot index + 1; each segment's
//     name equals its first record's index), a term no lower than the
//     previous record's, and a payload that agrees with the header. The
//     in-memory index keeps one (segment, offset, size, term) per entry, so
//     Entry is one pread and TermAt no I/O.
//   - Zero bytes from a record boundary to the end of the last segment are
//     the space written ahead of the records: the records end there, and
//     the next ones overwrite it.
//   - A torn tail is cut off (truncate + fdatasync) and logged with file and
//     offset: the last segment ends inside a record, or a record fails its
//     checksum and its share of some 512-byte disk sector is all zeros (a
//     crash kept some sectors of a write over the zeros and not others:
//     at least 8 bytes of the record, or zeros to the sector's end). It was
//     never acknowledged, nor was anything after it.
//   - Anything else (a checksum failure with real bytes after it, a torn
//     record in a segment that is not the last, an index gap, a term that goes
//     down, unreadable metadata) is returned as *CorruptError with the file
//     and offset, and the peer refuses to start. Recovery never resets the
//     term or the vote and never drops an acknowledged entry. Damage at the
//     very end that is not a clean cut (a flipped bit in the last record) is
//     also reported, not guessed at.
//   - Snapshots are checked newest first (header, size, body CRC). A corrupt
//     newest one may be set aside (renamed *.corrupt, logged) only if the
//     log still holds every entry between the previous valid snapshot (or
//     index 1) and the corrupt one's index; otherwise Open fails with a
//     *CorruptError naming it: falling back would silently roll back
//     applied, acknowledged state. The chosen snapshot's index is the commit
//     floor; the log must start at or before the index after it. A log that
//     ends before the snapshot index, or has another term there, is what an
//     install left when it crashed before its log reset: the reset is
//     finished (logged). Older snapshot files are removed.
//
// Lookups below the first index fail with ErrCompacted (LogEntryReply sets
// compacted); TermAt of the snapshot index answers the snapshot's term, so
// the consistency check of Raft §5.3 works at the boundary.
//
// # Snapshot messages
//
// A Go value cannot cross an actor boundary as protobuf. So the body to save
// (a SnapshotBody: io.WriterTo and Release, which rafter's Snapshot has) is
// put in a small per-process table with RegisterSnapshot, and
// LogSnapshotSave carries the handle; the log server takes it out, writes it
// on its goroutine, calls Release and answers LogSnapshotSaved once the file
// is durable. One save at a time (ErrSnapshotBusy); a failed WriteTo or
// write error removes the temp file and answers the error; nothing else
// changes. If the log server stops meanwhile, the temp file goes and the
// late completion is ignored.
//
// For Restore, LogSnapshotOpen answers a handle to a SnapshotReader (taken
// with TakeSnapshotReader): a reader by handle, not a path, because the
// reader holds the file open, so a newer snapshot or a compaction cannot
// pull the file away between the reply and the open, the body's CRC is
// checked as it is read, and the consensus actor needs no knowledge of the
// directory layout. Reading happens off the log server.
//
// A leader reads chunks with LogSnapshotRead{index, offset, max_bytes}
// (capped by Options.MaxChunkBytes), one pread each, never the whole body
// in memory; if index is no longer the current snapshot the reply says
// replaced and describes the newest, and the leader starts again with it.
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
// Snapshot requests are refused, changing nothing, with ErrSnapshotStale
// (not newer than the current snapshot), ErrSnapshotMismatch (index not in
// the log or another term there), ErrCompactPastSnapshot, ErrBadChunk (a
// chunk past the declared size, or a size below any header: the partial
// install is dropped), ErrSnapshotInvalid (a received file that fails its
// checks) and ErrUnknownHandle.
//
// # Fuzzing
//
// FuzzDecodeRecord (the record decoder), FuzzRecover (Open on arbitrary
// segment and meta bytes) and FuzzDecodeSnapshotHeader (the snapshot header
// decoder) run their seed corpus in every go test. The long run, e.g.
// before a release:
//
//	go test -run XXX -fuzz FuzzDecodeRecord -fuzztime 30m ./logserver/
//	go test -run XXX -fuzz FuzzRecover -fuzztime 30m ./logserver/
//	go test -run XXX -fuzz FuzzDecodeSnapshotHeader -fuzztime 30m ./logserver/
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
