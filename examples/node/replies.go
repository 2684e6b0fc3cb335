package main

import (
	"context"
	"errors"

	"github.com/rafter-go/rafter"
	"github.com/rafter-go/rafter/kvsm"
)

// replyErr turns a failed kvsm call into a Redis error reply. The first
// word is the error kind a client can act on:
//
//	TRYAGAIN  nothing was applied (definite), the cluster is between
//	          leaders or still forming: retry the same command later.
//	          For reads every failure is TRYAGAIN: a read changes nothing.
//	UNKNOWN   a write whose outcome is unknown (timeout, leadership lost
//	          while pending): it may or may not have been applied. Read the
//	          key back before retrying a non-idempotent command.
//	ERR       anything else (a rejected command, a value over the peer's
//	          MaxCommandBytes, a stopped node).
//
// The text after the kind is the library's error, which names the cause.
func (s *server) replyErr(w *writer, err error, write bool) {
	s.log.Debug("command failed", "err", err, "write", write)
	switch {
	case errors.Is(err, kvsm.ErrNoSuchTable):
		w.errorReply("TRYAGAIN table '" + s.cfg.Table + "' does not exist yet: the cluster is still bootstrapping (" + err.Error() + ")")
	case errors.Is(err, kvsm.ErrMalformed):
		w.errorReply("ERR " + err.Error())
	case errors.Is(err, rafter.ErrStopped) && s.stopping():
		w.errorReply("ERR node shutting down: " + err.Error())
	case errors.Is(err, rafter.ErrTooLarge):
		// Definite, but a retry cannot succeed: not TRYAGAIN.
		w.errorReply("ERR " + err.Error())
	case errors.Is(err, rafter.ErrNotMember):
		w.errorReply("TRYAGAIN this node is not in a configuration yet (was the cluster bootstrapped?): " + err.Error())
	case !write && (rafter.Definite(err) || !isResult(err)):
		w.errorReply("TRYAGAIN " + err.Error())
	case rafter.Definite(err):
		w.errorReply("TRYAGAIN " + err.Error())
	case errors.Is(err, context.Canceled):
		w.errorReply("UNKNOWN outcome unknown, node shutting down: " + err.Error())
	case !isResult(err):
		w.errorReply("UNKNOWN outcome unknown, the write may have been applied: " + err.Error())
	default:
		w.errorReply("ERR " + err.Error())
	}
}

// isResult reports whether err is the state machine's own answer rather
// than a failure to get one.
func isResult(err error) bool {
	var ae *rafter.ApplyError
	var re *rafter.ReadError
	return errors.As(err, &ae) || errors.As(err, &re)
}
