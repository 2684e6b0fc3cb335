// Package rafterpb holds the protobuf messages that cross actor boundaries in
// rafter: Raft messages between peers (RaftMessage and its bodies), client
// requests and replies, and the messages between a peer's consensus actor and
// its log server.
//
// The .proto files are the source; the Go code is generated and committed.
// Regenerate with
//
//	go generate ./rafterpb
//
// which needs protoc (Debian: protobuf-compiler). CI fails when the committed
// code differs from what the generator produces.
package rafterpb

//go:generate ../scripts/protogen.sh
