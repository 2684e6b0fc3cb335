package main

import (
	"context"
	"errors"
	"strconv"

	"github.com/rafter-go/rafter/kvsm"
)

// INCR, INCRBY and DECR, with Redis's semantics and replies: the value is
// a signed 64-bit integer stored as decimal text (an absent key counts as
// 0); the reply is the new value. They go through the node's kvsm
// session, so a leader that fails over under the node is retried exactly
// once: the increment is applied once however many attempts it took. If
// the client's own connection to the node drops before the reply, the
// outcome is unknown to that client (as with Redis itself).

// notInteger is Redis's reply for a value or an argument that is not an
// integer, and for an overflow of INCR and DECR's range.
const notInteger = "ERR value is not an integer or out of range"

func cmdIncr(ctx context.Context, s *server, w *writer, args [][]byte) {
	incrBy(ctx, s, w, args[1], 1)
}

func cmdDecr(ctx context.Context, s *server, w *writer, args [][]byte) {
	incrBy(ctx, s, w, args[1], -1)
}

// INCRBY key increment.
func cmdIncrBy(ctx context.Context, s *server, w *writer, args [][]byte) {
	if len(args[2]) > 20 { // refuse before parsing: no int64 is longer
		w.errorReply(notInteger)
		return
	}
	d, err := strconv.ParseInt(string(args[2]), 10, 64)
	if err != nil || string(args[2]) != strconv.FormatInt(d, 10) {
		w.errorReply(notInteger)
		return
	}
	incrBy(ctx, s, w, args[1], d)
}

func incrBy(ctx context.Context, s *server, w *writer, key []byte, delta int64) {
	v, err := s.kv.Incr(ctx, s.cfg.Table, string(key), delta)
	switch {
	case errors.Is(err, kvsm.ErrNotInteger):
		w.errorReply(notInteger)
	case err != nil:
		s.replyErr(w, err, true)
	default:
		w.integer(v)
	}
}
