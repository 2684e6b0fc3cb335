#!/usr/bin/env bash
# protogen.sh regenerates the Go code for every .proto file in the current
# directory; `go generate` runs it in the package's directory (rafterpb,
# kvsm/kvsmpb). The protoc-gen-go plugin is built from the
# google.golang.org/protobuf version that go.mod pins, so the generated code
# follows go.mod; protoc comes from Debian's protobuf-compiler package (CI
# installs it). CI fails when the committed code differs from its output.
set -euo pipefail
command -v protoc >/dev/null || { echo "protogen.sh: protoc not found: apt-get install protobuf-compiler" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/protoc-gen-go" google.golang.org/protobuf/cmd/protoc-gen-go
protoc --plugin=protoc-gen-go="$tmp/protoc-gen-go" --go_out=. --go_opt=paths=source_relative ./*.proto
