// Package kvsmpb holds the protobuf messages of kvsm: the Command and Query
// encodings, their Result, and the records of a snapshot stream.
//
// kvsm.proto is the source; the Go code is generated and committed.
// Regenerate with
//
//	go generate ./kvsm/kvsmpb
//
// which runs scripts/protogen.sh (protoc from Debian's protobuf-compiler and the
// protoc-gen-go that go.mod pins).
package kvsmpb

//go:generate ../../scripts/protogen.sh
