#!/usr/bin/env bash
# End-to-end throughput: multifd sender and receiver in two JVMs over loopback TCP, beside the
# raw baseline (the same number of plain NIO sockets) and iperf3 (if installed:
# apt-get install -y iperf3). Every option is passed on to io.multifd.bench.e2e.E2eBench:
#   --size 4g --channels 1,2,4 --runs 2 --codec none [--level N] [--max-bandwidth 1g]
#   [--fresh] [--no-raw] [--no-iperf] [--content random|text|zero|mixed]
# Build first: ./mvnw -q -pl multifd-bench package -DskipTests (or set BENCH_JAR).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
jar="${BENCH_JAR:-$here/../target/benchmarks.jar}"
java_bin="${JAVA_HOME:+$JAVA_HOME/bin/}java"
exec "$java_bin" -Xmx512m -cp "$jar" io.multifd.bench.e2e.E2eBench "$@"
