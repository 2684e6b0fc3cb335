// Package kvsm is a replicated key-value store for rafter: Machine is the
// state machine (a port of rafter's rafter_backend_ets, with compare-and-set
// and append added) and Client is its typed client over the public API.
//
// # Data model
//
// Named tables of string keys (UTF-8, as proto3 strings) and byte values.
// Commands (NewTable, DeleteTable, Put, Delete, CompareAndSet, Append) and
// queries (Get, ListTables, ListKeys) are protobuf messages, defined in
// kvsmpb/kvsm.proto; each is answered by a kvsmpb.Result. As in rafter's
// ets backend, an operation on a table that does not exist fails with
// ErrNoSuchTable; unknown or malformed bytes fail with ErrMalformed. Such a
// failure is a result: the command is committed, the state is unchanged,
// and every replica computes the same error. Apply never panics on input.
//
// # How it fits
//
// Give each peer a fresh Machine through Options.StateMachine = Factory().
// Client writes go through System.Op (committed by a quorum, applied in log
// order) and reads through System.ReadOp (linearizable: the leader confirms
// its leadership before answering). Any peer may be the Client's via peer;
// followers forward to the leader. rafter's errors pass through wrapped, so
// errors.Is(err, rafter.ErrTimeout) and rafter.Definite(err) tell whether a
// failed write may have happened.
//
// Machine also has Snapshot and Restore of its whole state (a sorted,
// checksummed stream: the same state always gives the same bytes) for log
// compaction.
//
// # Example
//
//	opts := rafter.DefaultOptions()
//	opts.DataDir = dir
//	opts.StateMachine = kvsm.Factory()
//	_ = sys.StartNode(a, opts) // and the other peers; then SetConfig
//	kv := kvsm.NewClient(sys, a)
//	_ = kv.NewTable(ctx, "users")
//	_ = kv.Put(ctx, "users", "bob", []byte("1"))
//	v, found, err := kv.Get(ctx, "users", "bob")
package kvsm
