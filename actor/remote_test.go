package actor

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// TestCallAcrossSystems: two Systems on two 127.0.0.1 ports in one process
// talk over gRPC, both ways.
func TestCallAcrossSystems(t *testing.T) {
	a := newNode(t, Options{})
	b := newNode(t, Options{})
	require.NotEqual(t, a.Address(), b.Address())

	r, err := Call[*wrapperspb.StringValue](t.Context(), a, a.PIDOf("echo", b.Address()), wrapperspb.String("a->b"))
	require.NoError(t, err)
	assert.Equal(t, "a->b", r.GetValue())

	r, err = Call[*wrapperspb.StringValue](t.Context(), b, b.PIDOf("echo", a.Address()), wrapperspb.String("b->a"))
	require.NoError(t, err)
	assert.Equal(t, "b->a", r.GetValue())
}

func TestCallRemoteDeadlineExpires(t *testing.T) {
	a := newNode(t, Options{})
	b := newNode(t, Options{})
	// An Empty-like message the echo actor ignores: a BoolValue.
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	_, err := Call[any](ctx, a, a.PIDOf("echo", b.Address()), wrapperspb.Bool(true))
	assert.ErrorIs(t, err, context.DeadlineExceeded)
}

// A name that does not exist on a live node: the remote dead-letter path
// answers, so the error is ErrNoProcess and comes long before the deadline.
func TestCallRemoteUnknownNameIsFast(t *testing.T) {
	a := newNode(t, Options{})
	b := newNode(t, Options{})
	echoUntilOK(t, a, a.PIDOf("echo", b.Address()), 5*time.Second) // connect first

	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	start := time.Now()
	_, err := Call[any](ctx, a, a.PIDOf("nobody", b.Address()), wrapperspb.String("hi"))
	assert.ErrorIs(t, err, ErrNoProcess)
	assert.Less(t, time.Since(start), time.Second)
}

// A node nobody listens on: with one connect attempt (maxRetryCount) the
// queued request is dead-lettered after one ~2 s cycle, not 10 s.
func TestCallDeadNode(t *testing.T) {
	a := newNode(t, Options{})
	ctx, cancel := context.WithTimeout(t.Context(), 8*time.Second)
	defer cancel()
	start := time.Now()
	_, err := Call[any](ctx, a, a.PIDOf("echo", deadAddr(t)), wrapperspb.String("hi"))
	assert.ErrorIs(t, err, ErrNoProcess)
	t.Logf("dead node reported after %v", time.Since(start))
	assert.Less(t, time.Since(start), 5*time.Second)
}

// A 5 MB message: over gRPC's default 4 MiB receive limit the frame is
// refused and the request lost, so this fails without MaxRecvMsgSize.
func TestCallLargeMessage(t *testing.T) {
	a := newNode(t, Options{})
	b := newNode(t, Options{})
	big := bytes.Repeat([]byte{7}, 5<<20)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	n, err := Call[*wrapperspb.Int64Value](ctx, a, a.PIDOf("echo", b.Address()), wrapperspb.Bytes(big))
	require.NoError(t, err)
	assert.Equal(t, int64(len(big)), n.GetValue())
}

func TestAdvertiseAddr(t *testing.T) {
	t.Run("unspecified listen host needs AdvertiseAddr", func(t *testing.T) {
		_, err := NewSystem(Options{ListenAddr: "0.0.0.0:0"})
		assert.ErrorIs(t, err, ErrBadOptions)
		_, err = NewSystem(Options{ListenAddr: ":0"})
		assert.ErrorIs(t, err, ErrBadOptions)
	})
	t.Run("explicit advertised host, port taken from the listener", func(t *testing.T) {
		a := newNode(t, Options{ListenAddr: "0.0.0.0:0", AdvertiseAddr: "127.0.0.1:0"})
		require.True(t, strings.HasPrefix(a.Address(), "127.0.0.1:"), a.Address())
		assert.NotEqual(t, "127.0.0.1:0", a.Address())
		b := newNode(t, Options{})
		// b reaches a at its advertised address and a answers b at b's.
		echoUntilOK(t, b, b.PIDOf("echo", a.Address()), 5*time.Second)
		echoUntilOK(t, a, a.PIDOf("echo", b.Address()), 5*time.Second)
	})
	t.Run("local only", func(t *testing.T) {
		assert.Empty(t, newLocal(t).Address())
		_, err := NewSystem(Options{AdvertiseAddr: "127.0.0.1:1"})
		assert.ErrorIs(t, err, ErrBadOptions)
	})
	t.Run("port in use", func(t *testing.T) {
		a := newNode(t, Options{})
		_, err := NewSystem(Options{ListenAddr: a.Address()})
		assert.ErrorIs(t, err, ErrRemote)
	})
}

// logStore holds the records of a captureHandler and its derivatives.
type logStore struct {
	mu      sync.Mutex
	records []slog.Record
}

func (st *logStore) all() []slog.Record {
	st.mu.Lock()
	defer st.mu.Unlock()
	return append([]slog.Record(nil), st.records...)
}

// captureHandler records every log record with the attributes given to
// WithAttrs, for the logging tests.
type captureHandler struct {
	store *logStore
	attrs []slog.Attr
}

func (h *captureHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *captureHandler) Handle(_ context.Context, r slog.Record) error {
	r = r.Clone()
	r.AddAttrs(h.attrs...)
	h.store.mu.Lock()
	h.store.records = append(h.store.records, r)
	h.store.mu.Unlock()
	return nil
}
func (h *captureHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &captureHandler{store: h.store, attrs: append(append([]slog.Attr{}, h.attrs...), as...)}
}
func (h *captureHandler) WithGroup(string) slog.Handler { return h }

// hasAttr reports whether r carries key=value.
func hasAttr(r slog.Record, key, value string) bool {
	found := false
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == key && a.Value.String() == value {
			found = true
		}
		return !found
	})
	return found
}

func TestProtoactorLogsGoToLogger(t *testing.T) {
	st := &logStore{}
	_ = newNode(t, Options{Logger: slog.New(&captureHandler{store: st})})
	n := 0
	for _, r := range st.all() {
		if hasAttr(r, "lib", "protoactor") {
			n++
		}
	}
	assert.Positive(t, n, "no record tagged lib=protoactor among %d", len(st.all()))
}

// BenchmarkCallRemote is a Call round trip between two Systems over gRPC on
// 127.0.0.1 (no TLS; BenchmarkOpRemoteTLS in the root package has the
// whole Op with TLS), from 16 goroutines at once as rafter's clients and
// peers load it: the remote transport's cost per message.
func BenchmarkCallRemote(b *testing.B) {
	from, to := newNode(b, Options{}), newNode(b, Options{})
	echo := from.PIDOf("echo", to.Address())
	echoUntilOK(b, from, echo, 10*time.Second)
	req := wrapperspb.String("x")
	b.ReportAllocs()
	b.SetParallelism(8) // x GOMAXPROCS
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := Call[*wrapperspb.StringValue](b.Context(), from, echo, req); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
