#!/usr/bin/env bash
# Soak: consecutive RAM migrations of the same source in one sender JVM and one receiver JVM
# (loopback TCP), default 20 of 512 MiB after a warm-up. After each migration both roles print
# their heap after a full GC, direct memory, open file descriptors, threads and the SHA-256 of
# their memory; this script checks that every migration arrived byte-exact and prints how run N
# compares with run 1. Not part of CI (a few minutes). Extra options go to E2eBench
# (e.g. --channels 4 --codec zstd).
#   multifd-bench/scripts/soak.sh [--size 512m] [--runs 20] [--channels 2] [...]
# Build first: ./mvnw -q -pl multifd-bench -am package -DskipTests (or set BENCH_JAR).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
"$here/e2e-bench.sh" --size 512m --runs 20 --channels 2 --no-raw --no-iperf "$@" --soak | tee "$out" | grep -E '^\[(sender|receiver)\] (RUN|SOAK)' || true
awk '
  /\] SOAK / {
    role = $3; split($4, r, "="); run = r[2] + 0
    for (i = 5; i <= NF; i++) { split($i, kv, "="); v[role, run, kv[1]] = kv[2] }
    if (run > last) last = run
  }
  END {
    bad = 0
    for (k = 0; k <= last; k++) if (v["sender", k, "sha256"] != v["receiver", k, "sha256"]) { print "run " k ": NOT byte-exact"; bad = 1 }
    if (!bad) print "all " last + 1 " migrations byte-exact (sha256 " substr(v["sender", 0, "sha256"], 1, 16) "...)"
    n = split("heapAfterGc direct fds threads", keys, " ")
    for (ri = 1; ri <= 2; ri++) {
      role = ri == 1 ? "sender" : "receiver"
      for (i = 1; i <= n; i++) {
        a = v[role, 1, keys[i]]; b = v[role, last, keys[i]]
        printf "%-8s %-12s run 1 %14s  run %d %14s  change %+.2f%%\n", role, keys[i], a, last, b, (a > 0 ? (b - a) * 100 / a : 0)
      }
    }
    exit bad
  }' "$out"
