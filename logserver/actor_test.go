package logserver

import (
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	protoactor "github.com/asynkron/protoactor-go/actor"
	"github.com/rafter-go/rafter/rafterpb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
)

const callTimeout = 5 * time.Second

func newSystem(t testing.TB) *protoactor.ActorSystem {
	t.Helper()
	return protoactor.NewActorSystem(protoactor.WithLoggerFactory(func(*protoactor.ActorSystem) *slog.Logger {
		return slog.New(slog.DiscardHandler)
	}))
}

// call is a request from outside the actor system, with a deadline.
func call[R any](t testing.TB, sys *protoactor.ActorSystem, pid *protoactor.PID, msg any) R {
	t.Helper()
	res, err := sys.Root.RequestFuture(pid, msg, callTimeout).Result()
	require.NoError(t, err)
	r, ok := res.(R)
	require.True(t, ok, "reply %T", res)
	return r
}

// writer is a stand-in for the consensus actor: it forwards LogWrites to
// the log server with itself as sender and reports every LogWritten, in the
// order received, on acks.
func writer(log *protoactor.PID, acks chan<- *rafterpb.LogWritten) *protoactor.Props {
	return protoactor.PropsFromFunc(func(ctx protoactor.Context) {
		switch m := ctx.Message().(type) {
		case *rafterpb.LogWrite:
			ctx.Request(log, m)
		case *rafterpb.LogWritten:
			acks <- m
		}
	})
}

func recvAck(t testing.TB, acks <-chan *rafterpb.LogWritten) *rafterpb.LogWritten {
	t.Helper()
	select {
	case a := <-acks:
		return a
	case <-time.After(callTimeout):
		t.Fatal("no LogWritten before the deadline")
		return nil
	}
}

func write1(seq, index, term uint64) *rafterpb.LogWrite {
	return &rafterpb.LogWrite{Seq: seq, Entries: []*rafterpb.Entry{entry(nil, index, term, 16)}}
}

// gate holds the actor's fsync "in flight" until released.
type gate struct {
	entered chan struct{}
	release chan struct{}
}

func newGate() *gate {
	return &gate{entered: make(chan struct{}, 100), release: make(chan struct{}, 100)}
}
func (g *gate) hook() { g.entered <- struct{}{}; <-g.release }

func TestActorAcksOnlyAfterSyncInOrder(t *testing.T) {
	sys := newSystem(t)
	o, _ := testOptions(1 << 20)
	g := newGate()
	o.beforeSync = g.hook
	log := sys.Root.Spawn(Props(t.TempDir(), o))
	defer func() { require.NoError(t, sys.Root.StopFuture(log).Wait()) }()
	acks := make(chan *rafterpb.LogWritten, 100)
	w := sys.Root.Spawn(writer(log, acks))

	sys.Root.Send(w, &rafterpb.LogWrite{Seq: 1, Meta: &rafterpb.Meta{Term: 1}, Entries: entries(1, 1, 1, 8)})
	<-g.entered
	// The fsync is "in flight": no acknowledgement may leave. (A bounded
	// wait for something that must not happen, not synchronisation.)
	select {
	case a := <-acks:
		t.Fatalf("acknowledged before the sync: %v", a)
	case <-time.After(50 * time.Millisecond):
	}
	g.release <- struct{}{}
	a := recvAck(t, acks)
	assert.Equal(t, uint64(1), a.Seq)
	assert.Equal(t, uint64(1), a.LastIndex)
	assert.Nil(t, a.Error)

	for seq := uint64(2); seq <= 40; seq++ {
		g.release <- struct{}{}
		sys.Root.Send(w, write1(seq, seq, 1))
	}
	for seq := uint64(2); seq <= 40; seq++ {
		a := recvAck(t, acks)
		require.Equal(t, seq, a.Seq, "acks in order")
		require.Equal(t, seq, a.LastIndex)
		require.Equal(t, uint64(1), a.LastTerm)
	}
}

// TestActorGroupCommit: writes that arrive while an fsync is in flight share
// the next one.
func TestActorGroupCommit(t *testing.T) {
	sys := newSystem(t)
	o, _ := testOptions(1 << 20)
	g := newGate()
	o.beforeSync = g.hook
	log := sys.Root.Spawn(Props(t.TempDir(), o))
	defer func() { require.NoError(t, sys.Root.StopFuture(log).Wait()) }()
	acks := make(chan *rafterpb.LogWritten, 100)
	w := sys.Root.Spawn(writer(log, acks))

	sys.Root.Send(w, write1(1, 1, 1))
	<-g.entered // the first fsync is in flight
	const queued = 31
	for seq := uint64(2); seq <= queued+1; seq++ {
		sys.Root.RequestWithCustomSender(log, write1(seq, seq, 1), w)
	}
	// Sent straight to the log server's mailbox (a local send enqueues
	// before it returns), so all of them wait behind the fsync.
	g.release <- struct{}{}
	g.release <- struct{}{}
	for seq := uint64(1); seq <= queued+1; seq++ {
		require.Equal(t, seq, recvAck(t, acks).Seq)
	}
	st := call[*rafterpb.LogStatsReply](t, sys, log, &rafterpb.LogGetStats{})
	assert.Equal(t, uint64(2), st.Syncs, "one fsync for the first write, one for the 31 queued behind it")
	assert.Equal(t, uint64(queued), st.MaxBatch)
	assert.Equal(t, uint64(queued+1), st.Writes)
	assert.Equal(t, uint64(queued+1), st.Entries)
	assert.Equal(t, []uint64{1, 0, 0, 0, 1}, st.BatchHistogram)
}

func TestActorRefusedWriteRepliesWithError(t *testing.T) {
	sys := newSystem(t)
	o, _ := testOptions(1 << 20)
	dir := t.TempDir()
	log := sys.Root.Spawn(Props(dir, o))
	defer func() { require.NoError(t, sys.Root.StopFuture(log).Wait()) }()
	acks := make(chan *rafterpb.LogWritten, 10)
	w := sys.Root.Spawn(writer(log, acks))
	sys.Root.Send(w, &rafterpb.LogWrite{Seq: 1, Entries: entries(1, 3, 2, 4), CommitFloor: 2})
	sys.Root.Send(w, write1(2, 9, 2))                                          // gap
	sys.Root.Send(w, write1(3, 2, 3))                                          // below the commit floor
	sys.Root.Send(w, write1(4, 4, 1))                                          // term goes down
	sys.Root.Send(w, &rafterpb.LogWrite{Seq: 5, Entries: entries(3, 4, 3, 4)}) // fine: truncates 3
	want := []rafterpb.ErrorCode{0, rafterpb.ErrorCode_ERROR_CODE_INVALID_ARGUMENT, rafterpb.ErrorCode_ERROR_CODE_INVALID_ARGUMENT,
		rafterpb.ErrorCode_ERROR_CODE_INVALID_ARGUMENT, 0}
	for i, code := range want {
		a := recvAck(t, acks)
		require.Equal(t, uint64(i+1), a.Seq)
		assert.Equal(t, code, a.GetError().GetCode(), "seq %d: %v", a.Seq, a.GetError())
	}
	st := call[*rafterpb.LogStatsReply](t, sys, log, &rafterpb.LogGetStats{})
	assert.Equal(t, uint64(4), st.LastIndex)
	assert.Equal(t, uint64(3), st.LastTerm)
	assert.Equal(t, uint64(2), st.CommitFloor)
}

func TestActorReads(t *testing.T) {
	sys := newSystem(t)
	o, _ := testOptions(1 << 20)
	log := sys.Root.Spawn(Props(t.TempDir(), o))
	defer func() { require.NoError(t, sys.Root.StopFuture(log).Wait()) }()
	meta := &rafterpb.Meta{Term: 2, VotedFor: &rafterpb.Peer{Name: "a"}}
	es := append(entries(1, 2, 1, 4), configEntry(3, 2, "a", "b"), entry(nil, 4, 2, 9))
	a := call[*rafterpb.LogWritten](t, sys, log, &rafterpb.LogWrite{Seq: 7, Meta: meta, Entries: es})
	assert.Equal(t, uint64(7), a.Seq)
	assert.Equal(t, uint64(4), a.LastIndex)

	e := call[*rafterpb.LogEntryReply](t, sys, log, &rafterpb.LogGetEntry{Index: 2})
	assert.True(t, proto.Equal(es[1], e.Entry))
	e = call[*rafterpb.LogEntryReply](t, sys, log, &rafterpb.LogGetEntry{Last: true})
	assert.True(t, proto.Equal(es[3], e.Entry))
	e = call[*rafterpb.LogEntryReply](t, sys, log, &rafterpb.LogGetEntry{Index: 5})
	assert.Nil(t, e.Entry)
	assert.Nil(t, e.Error)
	ld := call[*rafterpb.LogLoadReply](t, sys, log, &rafterpb.LogLoad{})
	assert.True(t, proto.Equal(meta, ld.Meta))
	require.Len(t, ld.Entries, 4)
	assert.True(t, proto.Equal(es[3], ld.Entries[3]))
}

// TestActorRestartRecovers: a crash (supervised restart) and a stop and
// respawn both reopen the directory and recover everything acknowledged.
func TestActorRestartRecovers(t *testing.T) {
	sys := newSystem(t)
	o, _ := testOptions(300)
	dir := t.TempDir()
	pids := make(chan *protoactor.PID, 1)
	parent := sys.Root.Spawn(protoactor.PropsFromFunc(func(ctx protoactor.Context) {
		if _, ok := ctx.Message().(*protoactor.Started); ok {
			pids <- ctx.Spawn(Props(dir, o))
		}
	}, protoactor.WithSupervisor(protoactor.NewOneForOneStrategy(10, time.Minute, protoactor.DefaultDecider))))
	defer func() { require.NoError(t, sys.Root.StopFuture(parent).Wait()) }()
	log := <-pids

	meta := &rafterpb.Meta{Term: 5, VotedFor: &rafterpb.Peer{Name: "me"}}
	es := entries(1, 30, 5, 40)
	a := call[*rafterpb.LogWritten](t, sys, log, &rafterpb.LogWrite{Seq: 1, Meta: meta, Entries: es})
	require.Nil(t, a.Error)
	sys.Root.Send(log, Crash{})
	ld := call[*rafterpb.LogLoadReply](t, sys, log, &rafterpb.LogLoad{}) // served by the restarted instance
	assert.True(t, proto.Equal(meta, ld.Meta))
	require.Len(t, ld.Entries, 30)
	for i := range es {
		require.True(t, proto.Equal(es[i], ld.Entries[i]))
	}
	// The restarted actor appends after the recovered log.
	a = call[*rafterpb.LogWritten](t, sys, log, write1(2, 31, 5))
	require.Nil(t, a.Error)
	assert.Equal(t, uint64(31), a.LastIndex)

	// Stop (files closed, lock released) and start a fresh actor on the dir.
	require.NoError(t, sys.Root.StopFuture(log).Wait())
	log2 := sys.Root.Spawn(Props(dir, o))
	defer func() { require.NoError(t, sys.Root.StopFuture(log2).Wait()) }()
	st := call[*rafterpb.LogStatsReply](t, sys, log2, &rafterpb.LogGetStats{})
	assert.Equal(t, uint64(31), st.LastIndex)
}

// TestActorFailedOpenFailsStart: a damaged directory makes the start panic,
// which the supervisor sees; the actor never serves the damaged log.
func TestActorFailedOpenFailsStart(t *testing.T) {
	sys := newSystem(t)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, metaName), []byte("garbage"), 0o644))
	failures := make(chan any, 10)
	sub := sys.EventStream.Subscribe(func(ev any) {
		if se, ok := ev.(*protoactor.SupervisorEvent); ok {
			select {
			case failures <- se.Reason:
			default:
			}
		}
	})
	defer sys.EventStream.Unsubscribe(sub)
	o, _ := testOptions(300)
	parent := sys.Root.Spawn(protoactor.PropsFromFunc(func(ctx protoactor.Context) {
		if _, ok := ctx.Message().(*protoactor.Started); ok {
			ctx.Spawn(Props(dir, o))
		}
	}, protoactor.WithSupervisor(protoactor.NewOneForOneStrategy(1, time.Minute, func(any) protoactor.Directive { return protoactor.StopDirective }))))
	defer func() { require.NoError(t, sys.Root.StopFuture(parent).Wait()) }()
	select {
	case r := <-failures:
		err, ok := r.(error)
		require.True(t, ok, "reason %T", r)
		assert.ErrorIs(t, err, ErrCorrupt)
		assert.Contains(t, err.Error(), filepath.Join(dir, metaName))
	case <-time.After(callTimeout):
		t.Fatal("no supervisor event for the failed start")
	}
}
