#!/usr/bin/env bash
# Long fuzzing, outside CI: every Jazzer fuzz target in turn, coverage-guided (JAZZER_FUZZ=1), for
# DURATION each, with an input taking over 1 s (a whole receiver: over 2 s twice) counted as a
# finding; then the campaigns at four times their size in the normal build (40,000 damaged
# streams per codec, 800 fault runs, 4,000 setup races) and the seeded drivers at 5x.
#
# A finding is written by Jazzer into the target's corpus directory under src/test/resources
# (<TestClass>Inputs/<method>/crash-...): the normal test run replays it from then on. Fix the
# library, keep the file as the regression test. The coverage corpus Jazzer grows is kept in
# <module>/.cifuzz-corpus/ (ignored by git) and reused by the next run.
#
# Usage: multifd-bench/scripts/fuzz.sh [--duration 10m] [--only PATTERN] [--no-campaigns] [--scale N] [--log FILE]
#   --duration  fuzzing time per target (Jazzer syntax: 30s, 10m, 1h; default 10m)
#   --only      run only the targets whose "module:Class#method" matches the grep pattern
#   --scale     campaign size as a multiple of the normal build's (default 4)
# Prints one line per target (runs, coverage, findings) and the campaign summaries, also to FILE.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
duration=10m
only=.
campaigns=1
scale=4
log="${TMPDIR:-/tmp}/multifd-fuzz-$(date -u +%Y%m%dT%H%M%SZ).log"
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration="$2"; shift 2 ;;
    --only) only="$2"; shift 2 ;;
    --no-campaigns) campaigns=0; shift ;;
    --scale) scale="$2"; shift 2 ;;
    --log) log="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

targets=(
  multifd-core:io.multifd.core.fuzz.WireFuzzTest#hello
  multifd-core:io.multifd.core.fuzz.WireFuzzTest#reply
  multifd-core:io.multifd.core.fuzz.WireFuzzTest#manifest
  multifd-core:io.multifd.core.fuzz.WireFuzzTest#packets
  multifd-core:io.multifd.core.fuzz.ReceiverFuzzTest#receiver
  multifd-ram:io.multifd.ram.RamFuzzTest#setupRecord
  multifd-ram:io.multifd.ram.RamFuzzTest#payloadHeader
  multifd-ram:io.multifd.ram.PostcopyFuzzTest#postcopyPackets
  multifd-ram:io.multifd.ram.PostcopyFuzzTest#returnMessages
  multifd-device-state:io.multifd.devicestate.DeviceStateFuzzTest#setupRecord
  multifd-device-state:io.multifd.devicestate.DeviceStateFuzzTest#payloadHeader
  multifd-compress:io.multifd.compress.fuzz.CodecFuzzTest#zstd
  multifd-compress:io.multifd.compress.fuzz.CodecFuzzTest#lz4
  multifd-compress:io.multifd.compress.fuzz.CodecFuzzTest#zlib
)

cd "$root"
: > "$log"
say() { echo "$*" | tee -a "$log"; }
say "fuzzing $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $duration per target, $(date -u +%FT%TZ)"
failed=0
for t in "${targets[@]}"; do
  echo "$t" | grep -q -- "$only" || continue
  module="${t%%:*}"
  test="${t#*:}"
  out="$(mktemp)"
  start=$(date +%s)
  # hooks on: in fuzzing mode they carry the coverage instrumentation (the normal run turns them off).
  # Jazzer turns the test-template timeout into libFuzzer's -timeout (an input running longer is a
  # finding); JUnit's own enforcement is off, or it would stop the whole fuzzing run after it.
  limit="1 s"
  case "$test" in *ReceiverFuzzTest*) limit="5 s" ;; esac   # a whole receiver: 2 s, judged twice
  if JAZZER_FUZZ=1 ./mvnw -B -ntp -o -q -pl "$module" -am test -Dlicense.skip \
      -Dtest="${test##*.}" -Dsurefire.failIfNoSpecifiedTests=false \
      -Dmultifd.jazzer.hooks=true -Djazzer.max_duration="$duration" \
      -Djunit.jupiter.execution.timeout.mode=disabled \
      -Djunit.jupiter.execution.timeout.testtemplate.method.default="$limit" >"$out" 2>&1; then
    status=ok
  else
    status=FINDING
    failed=1
  fi
  done_line="$(grep -E '^Done [0-9]+ runs' "$out" | tail -1 || true)"
  cov="$(grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' "$out" | tail -1 || true)"
  say "$(printf '%-70s %s  %s  %s  (%ss)' "$t" "$status" "${done_line:-no Done line}" "$cov" "$(( $(date +%s) - start ))")"
  if [ "$status" != ok ]; then
    grep -E 'FuzzTestFindingException|Exception|Error|timeout|crash-' "$out" | head -20 | tee -a "$log"
  fi
  rm -f "$out"
done

if [ "$campaigns" = 1 ]; then
  out="$(mktemp)"
  # the campaigns at $scale times their normal size, and 5x the seeded drivers
  if ./mvnw -B -ntp -o -q -pl multifd-ram,multifd-core -am test -Dlicense.skip -Dmultifd.fuzz.scale=5 \
      -Dmultifd.campaign.runs=$((10000 * scale)) -Dmultifd.faultRuns=$((200 * scale)) \
      -Dmultifd.raceRuns=$((1000 * scale)) \
      -Dtest='RamMutationCampaignTest,RamFaultCampaignTest,SetupRaceCampaignTest,ReceiverFuzzTest,WireFuzzTest' \
      -Dsurefire.failIfNoSpecifiedTests=false >"$out" 2>&1; then
    say "campaigns: ok"
  else
    say "campaigns: FAILED"
    failed=1
    grep -E 'AssertionError|seed|left behind' "$out" | head -20 | tee -a "$log"
  fi
  grep -E '^(mutation|fault|race) campaign' "$out" | tee -a "$log" || true
  rm -f "$out"
fi
say "log: $log"
exit "$failed"
