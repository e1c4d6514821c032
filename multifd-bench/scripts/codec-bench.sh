#!/usr/bin/env bash
# Codec speed: the multifd-compress codecs under JMH next to the reference CLIs, in the same run,
# on exactly the same bytes: the non-zero pages of a seeded mixed image (zero / text-like /
# random pages), 96 batches of 512 KiB (48 MiB), cut into 512 KiB chunks by the CLIs too:
#   zstd -b<L> -B524288 -i<secs> FILE        (independent 512 KiB chunks, one frame each)
#   lz4  -b<L> -B524288 -i<secs> FILE        (lz4 1.9.4 takes any block size >= 32 bytes, so
#                                             exactly 512 KiB; -B7 would mean 4 MiB blocks)
# Prints a markdown table: medians of the CLI repetitions and of the JMH iterations, in MB/s
# (10^6 bytes per second, the CLIs' unit), with the JMH range.
#
# Usage: multifd-bench/scripts/codec-bench.sh [--quick] [--reps N] [--out DIR]
#   --quick   1 s JMH iterations, 2 CLI repetitions (a smoke test, not numbers to publish)
# Needs: root for apt-get (zstd, lz4), python3, a JDK (JAVA_HOME honoured), and either
# multifd-bench/target/benchmarks.jar (./mvnw -q -pl multifd-bench package -DskipTests), or,
# if that jar cannot be built, the script compiles io.multifd.bench.codec on its own against
# multifd-compress (./mvnw -q -pl multifd-compress package -DskipTests) and JMH from ~/.m2.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
quick=0
reps=6
out="${TMPDIR:-/tmp}/multifd-codec-bench"
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1; reps=2; shift ;;
    --reps) reps="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
mkdir -p "$out"
java_bin="${JAVA_HOME:+$JAVA_HOME/bin/}java"
javac_bin="${JAVA_HOME:+$JAVA_HOME/bin/}javac"

# ---- reference CLIs
if ! command -v zstd >/dev/null || ! command -v lz4 >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y zstd lz4 >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y zstd lz4 >/dev/null; }
fi

# ---- benchmark classes: the shaded jar if it has them, else a standalone build of this package
jar="${BENCH_JAR:-$root/multifd-bench/target/benchmarks.jar}"
if [ ! -f "$jar" ] && [ -z "${BENCH_JAR:-}" ]; then
  (cd "$root" && ./mvnw -q -pl multifd-bench package -DskipTests) >"$out/bench-build.log" 2>&1 || true
fi
# (grep without -q reads to the end: with pipefail, an early exit would fail the pipeline)
if [ -f "$jar" ] && unzip -l "$jar" 2>/dev/null | grep 'io/multifd/bench/codec/CodecBenchmark.class' >/dev/null; then
  cp_run="$jar"
  echo "# classes: $jar"
else
  echo "# classes: standalone build of io.multifd.bench.codec (benchmarks.jar unavailable, see $out/bench-build.log)"
  (cd "$root" && ./mvnw -q -pl multifd-compress package -DskipTests \
      && ./mvnw -q -pl multifd-compress dependency:build-classpath -DincludeScope=runtime \
           -Dmdep.outputFile="$out/compress.cp") >"$out/compress-build.log" 2>&1
  m2="${MAVEN_REPO:-$HOME/.m2/repository}"
  jmh_ver="$(sed -n 's:.*<jmh.version>\(.*\)</jmh.version>.*:\1:p' "$root/pom.xml")"
  (cd "$root" && for a in jmh-core jmh-generator-annprocess; do
     ./mvnw -q dependency:get -Dartifact="org.openjdk.jmh:$a:$jmh_ver" >/dev/null; done)
  jmh_cp="$m2/org/openjdk/jmh/jmh-core/$jmh_ver/jmh-core-$jmh_ver.jar"
  jmh_cp="$jmh_cp:$(ls "$m2"/net/sf/jopt-simple/jopt-simple/*/jopt-simple-*.jar | grep -v sources | tail -1)"
  jmh_cp="$jmh_cp:$(ls "$m2"/org/apache/commons/commons-math3/*/commons-math3-*.jar | grep -v sources | tail -1)"
  compress_jar="$(ls "$root"/multifd-compress/target/multifd-compress-*.jar | grep -v -e sources -e tests | head -1)"
  cp_lib="$compress_jar:$(cat "$out/compress.cp"):$jmh_cp"
  rm -rf "$out/classes" && mkdir -p "$out/classes"
  "$javac_bin" --release 17 -nowarn -cp "$cp_lib" \
    -processorpath "$m2/org/openjdk/jmh/jmh-generator-annprocess/$jmh_ver/jmh-generator-annprocess-$jmh_ver.jar:$jmh_cp" \
    -d "$out/classes" "$root"/multifd-bench/src/main/java/io/multifd/bench/codec/*.java
  cp_run="$out/classes:$cp_lib"
fi

# ---- the data, and what runs where
data="$out/nonzero-pages.bin"
"$java_bin" --enable-native-access=ALL-UNNAMED -cp "$cp_run" io.multifd.bench.codec.MixedImage "$data" | sed 's/^/# /'
echo "# machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
echo "# java: $("$java_bin" -version 2>&1 | head -2 | tr '\n' ' ')"
echo "# zstd-jni path: $("$java_bin" -version 2>&1 | grep -q '"1[7-9]\|"2[01]' && echo JNI || echo 'FFM (JDK 22+)')"
echo "# cli: $(zstd -V | head -1); $(lz4 -V 2>&1 | head -1)"
echo "# date: $(date -u +%Y-%m-%dT%H:%M:%SZ), load: $(cut -d' ' -f1-3 /proc/loadavg)"

# ---- per codec and level, time-local: half the CLI repetitions, JMH, the other half (the
# machine is shared and noisy: this keeps each comparison within a few minutes)
cli_secs=3
if [ "$quick" = 1 ]; then jmh_opts=(-wi 2 -w 1 -i 3 -r 1); cli_secs=1; else jmh_opts=(-wi 3 -w 1 -i 8 -r 1); fi
: >"$out/cli.txt"
: >"$out/jmh.log"
rm -f "$out"/jmh-*.json
cli_run() { # codec level count
  local i line
  for ((i = 1; i <= $3; i++)); do
    line="$("$1" -b"$2" -B524288 -i"$cli_secs" "$data" 2>&1 | tr '\r' '\n' | grep -E 'MB/s.*MB/s' | tail -1)"
    echo "$1 $2 $line" >>"$out/cli.txt"
  done
}
jmh_run() { # name benchmark-regex params...
  local name="$1" regex="$2"
  shift 2
  "$java_bin" -cp "$cp_run" org.openjdk.jmh.Main "$regex" -f 1 "${jmh_opts[@]}" "$@" \
    -rf json -rff "$out/jmh-$name.json" >>"$out/jmh.log" 2>&1
}
for key in zstd:1 zstd:3 lz4:0 lz4:9 zlib:1 zlib:6; do
  codec="${key%%:*}"
  level="${key##*:}"
  cli_level="$level"
  [ "$key" = lz4:0 ] && cli_level=1
  first=$(((reps + 1) / 2))
  [ "$codec" != zlib ] && cli_run "$codec" "$cli_level" "$first"
  jmh_run "$codec$level" 'io.multifd.bench.codec.CodecBenchmark' -p codec="$key"
  case "$key" in
    zstd:1|lz4:0) jmh_run "lib-$codec$level" 'io.multifd.bench.codec.LibraryBaselineBenchmark' -p codec="$key" ;;
  esac
  [ "$codec" != zlib ] && cli_run "$codec" "$cli_level" $((reps - first))
  echo "# $key done, load $(cut -d' ' -f1-3 /proc/loadavg)"
done
jmh_run stream 'io.multifd.bench.codec.StreamVsFrameBenchmark'
echo "# cli commands: zstd -b1 -B524288 -i$cli_secs FILE; zstd -b3 ...; lz4 -b1 -B524288 -i$cli_secs FILE;" \
     "lz4 -b9 ... ($reps repetitions each, half before and half after the JMH runs of that codec)"
echo "# jmh: java -cp ... org.openjdk.jmh.Main <CodecBenchmark|LibraryBaselineBenchmark|StreamVsFrameBenchmark>" \
     "-p codec=<codec:level> -f 1 ${jmh_opts[*]} (log: $out/jmh.log)"
"$java_bin" --enable-native-access=ALL-UNNAMED -cp "$cp_run" io.multifd.bench.codec.CodecRatios >"$out/ratios.txt"

# ---- table
python3 - "$out/cli.txt" "$out/ratios.txt" "$out"/jmh-*.json <<'EOF'
import json, re, statistics, sys
cli_file, ratio_file = sys.argv[1:3]
jmh_files = sys.argv[3:]
BATCH = 512 * 1024
cli = {}
for line in open(cli_file):
    parts = line.split(None, 2)
    if len(parts) < 3:
        continue
    codec, level, text = parts
    m = re.search(r'\(x?([0-9.]+)\),\s*([0-9.]+) MB/s\s*,\s*([0-9.]+) MB/s', text)
    if m:
        cli.setdefault((codec, level), []).append(tuple(float(x) for x in m.groups()))
ratios = {}
for line in open(ratio_file):
    p = line.split()
    if len(p) >= 6 and not line.startswith('#') and p[0] != 'codec':
        ratios[(p[0], p[1], p[2])] = float(p[5])
jmh = {}
for e in [e for f in jmh_files for e in json.load(open(f))]:
    bench = e['benchmark'].rsplit('.', 1)[1]
    klass = e['benchmark'].rsplit('.', 2)[1]
    params = e.get('params', {})
    key = params.get('codec') or params.get('variant')
    raw = [x * BATCH / 1e6 for fork in e['primaryMetric']['rawData'] for x in fork]
    jmh[(klass, bench, key)] = (statistics.median(raw), min(raw), max(raw))
def fmt(v):
    return '-' if v is None else f'{v[0]:.0f} ({v[1]:.0f}-{v[2]:.0f})'
def delta(a, b):
    return '-' if a is None or b is None else f'{(a[0] / b - 1) * 100:+.1f}%'
def stat(xs):
    xs = list(xs)
    return (statistics.median(xs), min(xs), max(xs)) if xs else None
def best_delta(a, b):
    return '-' if a is None or b is None else f'{(a[2] / b[2] - 1) * 100:+.1f}%'
print()
print('Medians (min-max) in MB/s; "vs CLI" compares medians, and in brackets the best values.')
print()
print('| codec:level | ratio (CLI) | compress JMH | compress CLI | vs CLI | decompress JMH, one 512 KiB target '
      '| decompress CLI | vs CLI | decompress JMH, 128 page targets |')
print('|---|---|---|---|---|---|---|---|---|')
cli_level = {'zstd:1': ('zstd', '1'), 'zstd:3': ('zstd', '3'), 'lz4:0': ('lz4', '1'), 'lz4:9': ('lz4', '9')}
for key in ['zstd:1', 'zstd:3', 'lz4:0', 'lz4:9', 'zlib:1', 'zlib:6']:
    name, level = key.split(':')
    cc = cli.get(cli_level.get(key, ('', '')), [])
    cc_c, cc_d = stat(x[1] for x in cc), stat(x[2] for x in cc)
    cc_r = stat(x[0] for x in cc)
    j = jmh.get(('CodecBenchmark', 'compress', key))
    d = jmh.get(('CodecBenchmark', 'decompress', key))
    dp = jmh.get(('CodecBenchmark', 'decompressPages', key))
    ratio = ratios.get((name, level, 'frame'))
    ratio_txt = (f'{ratio:.3f}' if ratio else '-') + (f' ({cc_r[0]:.3f})' if cc_r else '')
    vs_c = f'{delta(j, cc_c[0])} ({best_delta(j, cc_c)})' if cc_c and j else '-'
    vs_d = f'{delta(d, cc_d[0])} ({best_delta(d, cc_d)})' if cc_d and d else '-'
    print(f'| {key} | {ratio_txt} | {fmt(j)} | {fmt(cc_c)} | {vs_c} | {fmt(d)} | {fmt(cc_d)} | {vs_d} | {fmt(dp)} |')
print()
print('| library called directly (no codec, no staging copy) | compress JMH | vs CLI | decompress JMH, one target | vs CLI |')
print('|---|---|---|---|---|')
for key in ['zstd:1', 'lz4:0']:
    cc = cli.get(cli_level[key], [])
    cc_c, cc_d = stat(x[1] for x in cc), stat(x[2] for x in cc)
    j = jmh.get(('LibraryBaselineBenchmark', 'compress', key))
    d = jmh.get(('LibraryBaselineBenchmark', 'decompress', key))
    if cc_c and j and d:
        print(f'| {key} | {fmt(j)} | {delta(j, cc_c[0])} ({best_delta(j, cc_c)}) | {fmt(d)} '
              f'| {delta(d, cc_d[0])} ({best_delta(d, cc_d)}) |')
print()
print('| stream vs frame | ratio | compress MB/s JMH median (range) | decompress MB/s (in order, one target) |')
print('|---|---|---|---|')
for v in ['zstd:1:frame', 'zstd:1:stream', 'zlib:1:frame', 'zlib:1:stream']:
    name, level, mode = v.split(':')
    j = jmh.get(('StreamVsFrameBenchmark', 'compress', v))
    d = jmh.get(('StreamVsFrameBenchmark', 'decompressStream', v)) if mode == 'stream' \
        else jmh.get(('CodecBenchmark', 'decompress', f'{name}:{level}'))
    r = ratios.get((name, level, mode))
    print(f'| {v} | {r:.3f} | {fmt(j)} | {fmt(d)} |' if r else f'| {v} | - | {fmt(j)} | {fmt(d)} |')
print()
print('CLI repetitions (codec level: ratio, compress MB/s, decompress MB/s):')
for k, v in cli.items():
    print(f'  {k[0]} -b{k[1]}: ' + '; '.join(f'{x[0]:.3f} {x[1]:.1f} {x[2]:.1f}' for x in v))
EOF
echo
echo "# ratios (CodecRatios):"
sed 's/^/#   /' "$out/ratios.txt"
