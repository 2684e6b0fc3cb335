#!/usr/bin/env bash
# Usage: scripts/grpclog-race-retry.sh OUTPUT
#
# OUTPUT is what `go test -race ./...` printed when it failed. A package
# whose only failures are data races on gRPC's global logger, written by
# protoactor's Remote.Start (grpclog.SetLoggerV2, which gRPC documents as
# not goroutine-safe), is run once more; any other failure, or a second
# failure of that package, fails. actor/grpclog_race.go orders the write
# after the reads it can see; a gRPC connection of another System closing
# at that moment is a read it cannot order (see actor/doc.go).
set -euo pipefail
out=$1
status=0
# Each package's output ends with a line "ok|FAIL|?<TAB>path"; a failing
# package's block is everything since the previous such line.
mapfile -t failed < <(awk -F'\t' '$1 == "FAIL" && NF >= 2 { print $2 }' "$out")
if [ ${#failed[@]} -eq 0 ]; then
  echo "go test failed without a failing package (a build error?)"; exit 1
fi
for pkg in "${failed[@]}"; do
  block=$(awk -F'\t' -v pkg="$pkg" '
    ($1 == "ok" || $1 == "FAIL" || $1 == "?" ) && NF >= 2 {
      if ($2 == pkg && $1 == "FAIL") { printf "%s", b; exit }
      b = ""; next }
    { b = b $0 "\n" }' "$out")
  races=$(grep -c 'WARNING: DATA RACE' <<<"$block" || true)
  logger=$(awk '/WARNING: DATA RACE/ { r = 1; hit = 0 }
                r && /grpclog\.SetLoggerV2/ { hit = 1 }
                r && /^=+$/ { n += hit; r = 0 }
                END { print n + 0 }' <<<"$block")
  fails=$(grep -c -E '^\s*--- FAIL' <<<"$block" || true)
  racefails=$(grep -c 'race detected during execution of test' <<<"$block" || true)
  if [ "$races" -eq 0 ] || [ "$logger" -ne "$races" ] || [ "$fails" -ne "$racefails" ]; then
    echo "$pkg: failed for a reason other than the gRPC logger race ($races races, $logger on the logger, $fails failed tests)"
    status=1
    continue
  fi
  echo "$pkg: only the gRPC logger race ($races report(s)); running it once more"
  go test -race -count=1 "$pkg" || status=1
done
exit $status
