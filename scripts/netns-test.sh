#!/usr/bin/env bash
# netns-test.sh runs the multi-host test of issue 7 (internal/netns): three
# examples/node processes, each in its own network namespace behind a
# private bridge, under SIGKILL, SIGSTOP/SIGCONT and link cuts, with a
# linearizability check and a run log at the end. Needs root (it creates
# network namespaces) and iproute2; takes about 40 s.
#
#   sudo scripts/netns-test.sh                 # build examples/node, run the test
#   sudo NETNS_RACE=1 scripts/netns-test.sh    # the nodes built with -race
#   sudo scripts/netns-test.sh -netns.keep     # extra args go to the test binary
#
# RAFTER_NETNS_SEED replays the workload's choices; RAFTER_NETNS_STRICT=1
# also fails when the members neither ignore nor log a non-member's message.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
  echo "netns-test: needs root to create network namespaces; run: sudo $0" >&2
  exit 1
fi
if ! command -v ip >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq iproute2 >/dev/null
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
race=()
if [ "${NETNS_RACE:-0}" = 1 ]; then race=(-race); fi
go build "${race[@]}" -o "$work/node" ./examples/node

# The test also removes namespaces left by runs that were killed.
RAFTER_NETNS=1 RAFTER_NETNS_NODE="$work/node" \
  go test -count=1 -v -timeout 4m -run '^TestNetnsFaults$' ./internal/netns -args "$@"
