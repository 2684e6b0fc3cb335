package logserver

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	protoactor "github.com/asynkron/protoactor-go/actor"
	"github.com/rafter-go/rafter/rafterpb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testBody is a SnapshotBody that writes data, optionally waiting on gate
// half way, and counts Release calls.
type testBody struct {
	data     []byte
	started  chan struct{}
	gate     chan struct{}
	fail     error
	released atomic.Int32
}

func (b *testBody) WriteTo(w io.Writer) (int64, error) {
	n, err := w.Write(b.data[:len(b.data)/2])
	if err != nil {
		return int64(n), err
	}
	if b.started != nil {
		close(b.started)
	}
	if b.gate != nil {
		<-b.gate
	}
	if b.fail != nil {
		return int64(n), b.fail
	}
	m, err := w.Write(b.data[len(b.data)/2:])
	return int64(n + m), err
}

func (b *testBody) Release() { b.released.Add(1) }

func register(t testing.TB, b SnapshotBody) uint64 {
	t.Helper()
	h, err := RegisterSnapshot(b)
	require.NoError(t, err)
	return h
}

func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(callTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func tmpFiles(t testing.TB, dir string) []string {
	p, err := filepath.Glob(filepath.Join(dir, snapDirName, "*"+tmpSuffix))
	require.NoError(t, err)
	return p
}

// TestActorSnapshotSaveOffTheMailbox: while a body's WriteTo is blocked,
// the log server keeps acknowledging writes; a second save is refused as
// busy; the reply comes once the file is durable, and then compaction,
// reads, LogLoad and the status figures see the snapshot.
func TestActorSnapshotSaveOffTheMailbox(t *testing.T) {
	sys := newSystem(t)
	o, _ := testOptions(400)
	o.MaxChunkBytes = 4096
	dir := t.TempDir()
	log := sys.Root.Spawn(Props(dir, o))
	defer func() { require.NoError(t, sys.Root.StopFuture(log).Wait()) }()
	a := call[*rafterpb.LogWritten](t, sys, log, &rafterpb.LogWrite{Seq: 1, Meta: &rafterpb.Meta{Term: 2}, Entries: entries(1, 60, 2, 30)})
	require.Nil(t, a.Error)

	b := &testBody{data: body(200_000, 20), started: make(chan struct{}), gate: make(chan struct{})}
	saved := sys.Root.RequestFuture(log, &rafterpb.LogSnapshotSave{Handle: register(t, b), Index: 50, Term: 2, Config: testConfig("a")}, 2*callTimeout)
	<-b.started
	a = call[*rafterpb.LogWritten](t, sys, log, write1(2, 61, 2))
	require.Nil(t, a.Error, "writes go on while the body is written")
	other := &testBody{data: body(10, 1)}
	busy := call[*rafterpb.LogSnapshotSaved](t, sys, log, &rafterpb.LogSnapshotSave{Handle: register(t, other), Index: 55, Term: 2})
	assert.Contains(t, busy.GetError().GetMessage(), ErrSnapshotBusy.Error())
	assert.Equal(t, int32(1), other.released.Load())
	close(b.gate)
	res, err := saved.Result()
	require.NoError(t, err)
	s := res.(*rafterpb.LogSnapshotSaved)
	require.Nil(t, s.Error)
	assert.Equal(t, uint64(50), s.Index)
	assert.Greater(t, s.Bytes, uint64(200_000))
	assert.Equal(t, s.Bytes, s.SnapshotBytes, "the answer carries the new snapshot's bytes")
	assert.Greater(t, s.LogBytes, uint64(0))
	assert.Equal(t, int32(1), b.released.Load())

	c := call[*rafterpb.LogCompacted](t, sys, log, &rafterpb.LogCompact{Index: 50})
	require.Nil(t, c.Error)
	require.Greater(t, c.FirstIndex, uint64(1))
	assert.Less(t, c.LogBytes, s.LogBytes, "the answer carries the log's bytes after the compaction")
	assert.Equal(t, s.Bytes, c.SnapshotBytes)
	compacted := c.LogBytes
	c = call[*rafterpb.LogCompacted](t, sys, log, &rafterpb.LogCompact{Index: 51})
	assert.Equal(t, rafterpb.ErrorCode_ERROR_CODE_INVALID_ARGUMENT, c.GetError().GetCode())
	e := call[*rafterpb.LogEntryReply](t, sys, log, &rafterpb.LogGetEntry{Index: 1})
	assert.True(t, e.Compacted)
	assert.Nil(t, e.Entry)

	ld := call[*rafterpb.LogLoadReply](t, sys, log, &rafterpb.LogLoad{})
	require.Nil(t, ld.Error)
	assert.Equal(t, uint64(50), ld.Snapshot.GetIndex())
	require.Len(t, ld.Entries, 11, "only the entries after the snapshot")
	assert.Equal(t, uint64(51), ld.Entries[0].Index)
	assert.Equal(t, c.FirstIndex, ld.FirstIndex)
	assert.Equal(t, compacted, ld.LogBytes)
	assert.Equal(t, s.Bytes, ld.SnapshotBytes)

	op := call[*rafterpb.LogSnapshotOpened](t, sys, log, &rafterpb.LogSnapshotOpen{})
	require.Nil(t, op.Error)
	r, err := TakeSnapshotReader(op.Handle)
	require.NoError(t, err)
	got, err := io.ReadAll(r)
	require.NoError(t, err)
	require.NoError(t, r.Close())
	assert.True(t, bytes.Equal(b.data, got), "restored body differs")
	_, err = TakeSnapshotReader(op.Handle)
	assert.ErrorIs(t, err, ErrUnknownHandle, "a handle is taken once")

	ch := call[*rafterpb.LogSnapshotChunk](t, sys, log, &rafterpb.LogSnapshotRead{Index: 50, Offset: 0, MaxBytes: 1 << 30})
	require.Nil(t, ch.Error)
	assert.Equal(t, o.MaxChunkBytes, len(ch.Data), "capped")
	assert.False(t, ch.Done)
	ch = call[*rafterpb.LogSnapshotChunk](t, sys, log, &rafterpb.LogSnapshotRead{Index: 49})
	assert.True(t, ch.Replaced)
	assert.Equal(t, uint64(50), ch.Snapshot.GetIndex())

	st := call[*rafterpb.LogStatsReply](t, sys, log, &rafterpb.LogGetStats{})
	assert.Equal(t, c.FirstIndex, st.FirstIndex)
	assert.Equal(t, uint64(61), st.LastIndex)
	assert.Equal(t, uint64(50), st.SnapshotIndex)
	assert.Equal(t, uint64(2), st.SnapshotTerm)
	assert.Equal(t, s.Bytes, st.SnapshotBytes)
	assert.Greater(t, st.LogBytes, uint64(0))
	assert.Less(t, st.LogBytes, uint64(61*(30+headerSize+10)))
}

// TestActorSnapshotSaveFailure: a failing WriteTo (or an unknown handle, a
// stale index) is answered with an error and changes nothing: no temp
// file, no new snapshot.
func TestActorSnapshotSaveFailure(t *testing.T) {
	sys := newSystem(t)
	o, _ := testOptions(1 << 20)
	dir := t.TempDir()
	log := sys.Root.Spawn(Props(dir, o))
	defer func() { require.NoError(t, sys.Root.StopFuture(log).Wait()) }()
	call[*rafterpb.LogWritten](t, sys, log, &rafterpb.LogWrite{Seq: 1, Meta: &rafterpb.Meta{Term: 1}, Entries: entries(1, 10, 1, 3)})

	b := &testBody{data: body(5000, 1), fail: errors.New("disk full")}
	s := call[*rafterpb.LogSnapshotSaved](t, sys, log, &rafterpb.LogSnapshotSave{Handle: register(t, b), Index: 5, Term: 1})
	require.NotNil(t, s.Error)
	assert.Contains(t, s.Error.Message, "disk full")
	assert.Equal(t, int32(1), b.released.Load())
	assert.Empty(t, tmpFiles(t, dir))

	s = call[*rafterpb.LogSnapshotSaved](t, sys, log, &rafterpb.LogSnapshotSave{Handle: 1 << 60, Index: 5, Term: 1})
	assert.Equal(t, rafterpb.ErrorCode_ERROR_CODE_INVALID_ARGUMENT, s.GetError().GetCode())
	b2 := &testBody{data: body(10, 1)}
	s = call[*rafterpb.LogSnapshotSaved](t, sys, log, &rafterpb.LogSnapshotSave{Handle: register(t, b2), Index: 11, Term: 1})
	assert.Equal(t, rafterpb.ErrorCode_ERROR_CODE_INVALID_ARGUMENT, s.GetError().GetCode(), "beyond the log")
	assert.Equal(t, int32(1), b2.released.Load())

	st := call[*rafterpb.LogStatsReply](t, sys, log, &rafterpb.LogGetStats{})
	assert.Equal(t, uint64(0), st.SnapshotIndex)
	op := call[*rafterpb.LogSnapshotOpened](t, sys, log, &rafterpb.LogSnapshotOpen{})
	assert.Nil(t, op.Snapshot)
	assert.Equal(t, uint64(0), op.Handle)
}

// TestActorCrashDuringSnapshotSave: the log server restarts while a body is
// being written: the temp file goes, the late completion is ignored, the
// restarted server has no snapshot and takes the next save.
func TestActorCrashDuringSnapshotSave(t *testing.T) {
	sys := newSystem(t)
	o, _ := testOptions(1 << 20)
	dir := t.TempDir()
	pids := make(chan *protoactor.PID, 1)
	parent := sys.Root.Spawn(protoactor.PropsFromFunc(func(ctx protoactor.Context) {
		if _, ok := ctx.Message().(*protoactor.Started); ok {
			pids <- ctx.Spawn(Props(dir, o))
		}
	}, protoactor.WithSupervisor(protoactor.NewOneForOneStrategy(10, time.Minute, protoactor.DefaultDecider))))
	defer func() { require.NoError(t, sys.Root.StopFuture(parent).Wait()) }()
	log := <-pids
	call[*rafterpb.LogWritten](t, sys, log, &rafterpb.LogWrite{Seq: 1, Meta: &rafterpb.Meta{Term: 1}, Entries: entries(1, 10, 1, 3)})

	b := &testBody{data: body(5000, 1), started: make(chan struct{}), gate: make(chan struct{})}
	sys.Root.Send(log, &rafterpb.LogSnapshotSave{Handle: register(t, b), Index: 5, Term: 1})
	<-b.started
	require.Len(t, tmpFiles(t, dir), 1)
	sys.Root.Send(log, Crash{})
	st := call[*rafterpb.LogStatsReply](t, sys, log, &rafterpb.LogGetStats{}) // the restarted instance
	assert.Equal(t, uint64(10), st.LastIndex)
	assert.Empty(t, tmpFiles(t, dir))
	close(b.gate)
	waitFor(t, "the body to be released", func() bool { return b.released.Load() == 1 })

	b2 := &testBody{data: body(100, 2)}
	s := call[*rafterpb.LogSnapshotSaved](t, sys, log, &rafterpb.LogSnapshotSave{Handle: register(t, b2), Index: 8, Term: 1})
	require.Nil(t, s.Error)
	st = call[*rafterpb.LogStatsReply](t, sys, log, &rafterpb.LogGetStats{})
	assert.Equal(t, uint64(8), st.SnapshotIndex, "the late completion of the aborted save changed nothing")
	assert.Empty(t, tmpFiles(t, dir))
}

// TestActorInstall: chunks through the actor; the install replies done
// only once durable, and a parked write is answered first.
func TestActorInstall(t *testing.T) {
	leader := leaderWithSnapshot(t, body(30_000, 21))
	meta := leader.Snapshot()
	sys := newSystem(t)
	o, _ := testOptions(1 << 20)
	log := sys.Root.Spawn(Props(t.TempDir(), o))
	defer func() { require.NoError(t, sys.Root.StopFuture(log).Wait()) }()
	call[*rafterpb.LogWritten](t, sys, log, &rafterpb.LogWrite{Seq: 1, Entries: entries(1, 5, 1, 3)})
	var next uint64
	for {
		data, _, _, err := leader.ReadSnapshotChunk(60, next, 8000)
		require.NoError(t, err)
		r := call[*rafterpb.LogInstallReply](t, sys, log, &rafterpb.LogInstallChunk{Index: 60, Term: 2, TotalSize: meta.Size, Offset: next, Data: data})
		require.Nil(t, r.Error)
		if r.Done {
			assert.Equal(t, uint64(60), r.LastIndex)
			assert.Equal(t, meta.Size, r.SnapshotBytes, "the last answer carries the installed snapshot's bytes")
			assert.Zero(t, r.LogBytes, "the install reset the log")
			break
		}
		assert.Greater(t, r.LogBytes, uint64(0), "before the install, the log's own entries")
		assert.Zero(t, r.SnapshotBytes)
		next = r.NextOffset
	}
	r := call[*rafterpb.LogInstallReply](t, sys, log, &rafterpb.LogInstallChunk{Index: 59, Term: 2, TotalSize: 100})
	assert.Equal(t, rafterpb.ErrorCode_ERROR_CODE_INVALID_ARGUMENT, r.GetError().GetCode())
	ld := call[*rafterpb.LogLoadReply](t, sys, log, &rafterpb.LogLoad{})
	assert.Equal(t, uint64(60), ld.Snapshot.GetIndex())
	assert.Empty(t, ld.Entries)
	assert.Equal(t, uint64(61), ld.FirstIndex)
}

// TestActorCompactSyncsParkedWritesFirst: a write parked for the group
// commit when a LogCompact arrives is made durable and acknowledged before
// the compaction runs (answers in that order). A compaction ahead of an
// unsynced write that truncates the log could otherwise survive a power
// cut that the write did not, leaving the snapshot above a log it does not
// continue.
func TestActorCompactSyncsParkedWritesFirst(t *testing.T) {
	sys := newSystem(t)
	o, _ := testOptions(400)
	var armed atomic.Bool
	g := newGate()
	o.beforeSync = func() {
		if armed.Load() {
			g.hook()
		}
	}
	log := sys.Root.Spawn(Props(t.TempDir(), o))
	defer func() { require.NoError(t, sys.Root.StopFuture(log).Wait()) }()
	a := call[*rafterpb.LogWritten](t, sys, log, &rafterpb.LogWrite{Seq: 1, Meta: &rafterpb.Meta{Term: 1}, Entries: entries(1, 40, 1, 30)})
	require.Nil(t, a.Error)
	s := call[*rafterpb.LogSnapshotSaved](t, sys, log, &rafterpb.LogSnapshotSave{Handle: register(t, &testBody{data: body(100, 1)}), Index: 20, Term: 1, Config: testConfig("a")})
	require.Nil(t, s.Error)

	replies := make(chan any, 10)
	driver := sys.Root.Spawn(protoactor.PropsFromFunc(func(ctx protoactor.Context) {
		switch m := ctx.Message().(type) {
		case *rafterpb.LogWrite, *rafterpb.LogCompact:
			ctx.Request(log, m)
		case *rafterpb.LogWritten, *rafterpb.LogCompacted:
			replies <- m
		}
	}))
	armed.Store(true)
	sys.Root.Send(driver, write1(2, 41, 1))
	<-g.entered // the log server is inside that write's sync
	sys.Root.Send(driver, &rafterpb.LogWrite{Seq: 3, Meta: &rafterpb.Meta{Term: 2}, Entries: entries(30, 30, 2, 30)})
	sys.Root.Send(driver, &rafterpb.LogCompact{Index: 20})
	armed.Store(false)
	g.release <- struct{}{}
	var order []string
	for range 3 {
		select {
		case m := <-replies:
			switch r := m.(type) {
			case *rafterpb.LogWritten:
				require.Nil(t, r.Error)
				order = append(order, fmt.Sprintf("written %d", r.Seq))
			case *rafterpb.LogCompacted:
				require.Nil(t, r.Error)
				order = append(order, "compacted")
			}
		case <-time.After(callTimeout):
			t.Fatalf("replies so far: %v", order)
		}
	}
	assert.Equal(t, []string{"written 2", "written 3", "compacted"}, order)
}
