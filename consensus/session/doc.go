// Package session is the table of client sessions that makes commands
// exactly-once (Raft thesis §6.3, "Implementing linearizable semantics";
// rafter's TODO "client sequence numbers").
//
// A client registers a session with a logged ENTRY_TYPE_SESSION entry; the
// session's ID is that entry's index. Every command of the session then
// carries (session, sequence) in its OP entry. Each replica runs every
// committed entry through its Table before the state machine sees it: the
// Table says whether to apply the command, or to answer with the result it
// remembers from the first time, or to refuse it because the session is
// unknown or expired. Everything the Table decides depends only on the
// entries it is given in log order, so every replica builds the same table
// (the package is pure: no clock, no goroutine, no I/O), and the consensus
// actor and the deterministic simulator (internal/sim) run this same code.
//
// Time is logged time: the leader stamps its clock (milliseconds) on the
// SESSION and session OP entries it appends; the Table's clock is the
// largest stamp applied so far, so it never goes back even when a new
// leader's clock is behind. A session idle for longer than Options.Timeout
// of logged time expires, at the same entry on every replica. Wall clocks
// never decide anything at apply.
//
// Bounds: at most Options.MaxSessions sessions (registering one more evicts
// the least recently used, by logged time) and at most Options.MaxResults
// remembered results, of at most Options.MaxResultBytes (the newest result
// is kept whatever its size), per session (recording one more forgets the oldest,
// and a command of that session below the oldest result kept is refused:
// it is never applied twice). A command also carries the client's lowest
// unacknowledged sequence, so results below it are forgotten early.
//
// The table is part of every snapshot (Encode / Decode: versioned,
// length-bounded, refuse-before-allocate) so a restart from a snapshot and
// the log after it rebuilds exactly the table the replica had.
//
// Example, as a replica's apply loop uses it:
//
//	t := session.New(session.Options{Timeout: 3600_000, MaxSessions: 4096, MaxResults: 64})
//	for _, e := range committed {
//		switch v := t.Apply(e); v.Kind {
//		case session.Run: // a new command: apply it, then remember its result
//			res, err := sm.Apply(e.GetIndex(), e.GetCmd())
//			t.Record(e, session.Result{Value: res, Err: errText(err)})
//		case session.Duplicate: // answer v.Result, do not apply
//		case session.Refused: // answer v.Err (ErrExpired), do not apply
//		case session.Registered: // session e.GetIndex() exists now
//		}
//	}
package session
