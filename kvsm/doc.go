// Package kvsm is a replicated key-value store for rafter: Machine is the
// state machine (a port of rafter's rafter_backend_ets, with compare-and-set
// and append added) and Client is its typed client over the public API.
//
// # Data model
//
// Named tables of string keys (UTF-8, as proto3 strings) and byte values.
// Commands (NewTable, DeleteTable, Put, Delete, CompareAndSet, Append, Incr:
// an int64 kept as decimal text, Redis INCRBY's rules, ErrNotInteger) and
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
// Client writes go through a rafter.Session (committed by a quorum, applied
// in log order, exactly once: an attempt of unknown outcome is retried with
// the same sequence until the call's context ends; WithoutSession sends
// each write once with System.Op instead) and reads through System.ReadOp
// (linearizable: the leader confirms its leadership before answering). Any
// peer may be the Client's via peer; followers forward to the leader.
// rafter's errors pass through wrapped, so errors.Is(err, rafter.ErrTimeout)
// and rafter.Definite(err) tell whether a failed write may have happened.
//
// # Snapshots
//
// Machine implements rafter.Snapshotter, so its peer's log can be
// compacted. Each table is a copy-on-write B-tree
// (github.com/tidwall/btree): Snapshot copies only the table list and the
// tree roots (O(tables), microseconds at a million keys), and the
// snapshot's WriteTo then streams that point-in-time state from another
// goroutine while Apply goes on; Apply copies a tree node the first time
// it changes one a live snapshot shares. The stream (drawn in
// kvsmpb/kvsm.proto) is a header with the applied index, the tables in
// name order each followed by its keys in key order, and a footer with the
// counts and a CRC-32C: the same state always gives the same bytes.
// Restore checks a whole stream before it replaces anything, refuses a
// record longer than 64 MiB before allocating it, and fails with
// ErrBadSnapshot on any truncation or damage, leaving the Machine as it
// was.
//
// # Example
//
//	opts := rafter.DefaultOptions()
//	opts.DataDir = dir
//	opts.StateMachine = kvsm.Factory()
//	_ = sys.StartNode(a, opts) // and the other peers; then sys.Bootstrap
//	kv := kvsm.NewClient(sys, a)
//	_ = kv.NewTable(ctx, "users")
//	_ = kv.Put(ctx, "users", "bob", []byte("1"))
//	v, found, err := kv.Get(ctx, "users", "bob")
package kvsm
