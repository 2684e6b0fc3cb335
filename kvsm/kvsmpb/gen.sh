#!/usr/bin/env bash
# Regenerates the Go code of kvsm for every .proto file in this directory.
# The protoc-gen-go plugin is built from the google.golang.org/protobuf version
# that go.mod pins, so the generated code follows go.mod; protoc comes from
# Debian's protobuf-compiler package (CI installs it).
set -euo pipefail
cd "$(dirname "$0")"
command -v protoc >/dev/null || { echo "gen.sh: protoc not found: apt-get install protobuf-compiler" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/protoc-gen-go" google.golang.org/protobuf/cmd/protoc-gen-go
protoc --plugin=protoc-gen-go="$tmp/protoc-gen-go" --go_out=. --go_opt=paths=source_relative ./*.proto
