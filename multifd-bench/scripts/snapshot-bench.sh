#!/usr/bin/env bash
# File mode: `multifd save` and `multifd restore` of a mixed image at several channel counts,
# beside `cp` of a file of the same size on the same disk, in the same run, alternating.
# One JSON line per measurement on stdout; a median table at the end.
#   SIZE=1G CHANNELS="1 2 4" RUNS=3 DIR=/var/tmp/snapbench multifd-bench/scripts/snapshot-bench.sh
# Each save and restore is a fresh JVM (./multifd); "seconds" is the command's own figure (from
# its start of work to a complete file, without the JVM's start and without hashing; for save,
# "save_seconds" is from the first round's start, the image already mapped), "cpu_s" the whole
# process's user+system CPU (JVM start included). Nothing is synced inside a measurement: every
# figure is into the page cache, as QEMU's own file migration measures; `sync` runs before each
# one (not timed), so that no earlier run's dirty pages are written back during it.
# Optional, alternating in the same rounds:
#   QEMU_SAVE=.../qemu_mapped_ram_save.py  QEMU 10 saving the same image (mapped-ram, multifd at
#                                           each channel count), right after each of our saves
#   ALT_JAVA_OPTS="-XX:TieredStopAtLevel=1" each save also run with these JVM options ("save-alt")
#   ALT_JIT=tiered                          each save also run with MULTIFD_JIT=tiered ("save-alt": the
#                                           JVM's own JIT policy instead of the command line's C1-first one)
#   RESTORE=0                               no restores
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
size="${SIZE:-1G}"
channels="${CHANNELS:-1 2 4}"
runs="${RUNS:-3}"
qemu_save="${QEMU_SAVE:-}"
alt_opts="${ALT_JAVA_OPTS:-}"
alt_jit="${ALT_JIT:-c1}"
restore="${RESTORE:-1}"
dir="${DIR:-${TMPDIR:-/tmp}/multifd-snapshot-bench}"
mkdir -p "$dir"
mf="$root/multifd"
img="$dir/image"
[ -f "$img" ] || "$mf" gen-image --size "$size" --seed 1 --quiet "$img"
results="$dir/results.jsonl"
: > "$results"

measure() { # label channels command...: runs the command under time, appends one JSON line
  local label="$1" ch="$2"; shift 2
  local t0 t1 out cpu
  sync
  t0=$(date +%s.%N)
  out=$( { /usr/bin/time -f "%U %S" "$@" 2>"$dir/time.err" ; } ) || { cat "$dir/time.err" >&2; exit 1; }
  t1=$(date +%s.%N)
  cpu=$(tail -1 "$dir/time.err" | awk '{print $1 + $2}')
  python3 - "$label" "$ch" "$t0" "$t1" "$cpu" "$out" <<'PY' | tee -a "$results"
import json, sys
label, ch, t0, t1, cpu, out = sys.argv[1:7]
row = {"what": label, "channels": int(ch), "wall_s": round(float(t1) - float(t0), 3), "cpu_s": float(cpu),
       "load1": float(open("/proc/loadavg").read().split()[0])}  # the machine's load: was the run disturbed?
if out.strip():
    j = json.loads(out.strip().splitlines()[-1])
    if "total_time_ms" in j:  # QEMU's save: its own total-time, the file's allocated size
        row.update(seconds=j["total_time_ms"] / 1000, ram_bytes=j["ram"]["total"],
                   file_allocated_bytes=j.get("file_allocated_bytes"))
    else:
        row.update(seconds=j["seconds"], ram_bytes=j["ram_bytes"], file_bytes=j.get("file_bytes"))
    if "save_seconds" in j:
        row["save_seconds"] = j["save_seconds"]
else:
    row["seconds"] = row["wall_s"]
print(json.dumps(row))
PY
}

for run in $(seq 1 "$runs"); do
  rm -f "$dir/copy"
  measure cp 0 cp "$img" "$dir/copy"
  for c in $channels; do
    rm -f "$dir/snap" "$dir/restored" # unlinking a large file with dirty pages can take long: not measured
    measure save "$c" "$mf" save --image "$img" --to "$dir/snap" --channels "$c" --force --no-verify --json --quiet
    if [ -n "$alt_opts" ] || [ "$alt_jit" != c1 ]; then
      rm -f "$dir/snap"
      MULTIFD_JIT="$alt_jit" MULTIFD_JAVA_OPTS="$alt_opts" measure save-alt "$c" "$mf" save --image "$img" --to "$dir/snap" --channels "$c" \
          --force --no-verify --json --quiet
    fi
    if [ -n "$qemu_save" ]; then
      rm -f "$dir/qemu-snap"
      measure qemu-save "$c" python3 "$qemu_save" "$img" "$dir/qemu-snap" --mem "$(( $(stat -c %s "$img") / 1048576 + 1 ))M" \
          --channels "$c"
    fi
    if [ "$restore" = 1 ]; then
      measure restore "$c" "$mf" restore --from "$dir/snap" --out "$dir/restored" --channels "$c" --force --no-verify --json --quiet
    fi
  done
done
[ "$restore" != 1 ] || cmp "$img" "$dir/restored"
echo "du of the image, the snapshot(s), the restored image (KiB):" >&2
du -k "$img" "$dir/snap" "$dir"/qemu-snap "$dir"/restored >&2 2>/dev/null || true
python3 - "$results" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
keys = sorted({(r["what"], r["channels"]) for r in rows}, key=lambda k: ("cp save save-alt qemu-save restore".split().index(k[0]), k[1]))
print("| what | channels | seconds, median (min-max) | GiB/s at the median | save_seconds, median | CPU s, median |")
print("|---|---|---|---|---|---|")
for k in keys:
    rs = [r for r in rows if (r["what"], r["channels"]) == k]
    s = [r["seconds"] for r in rs]
    size = rs[0].get("ram_bytes") or 0
    med = statistics.median(s)
    gib = f"{size / med / 2**30:.2f}" if size else "-"
    ss = [r["save_seconds"] for r in rs if "save_seconds" in r]
    sv = f"{statistics.median(ss):.2f}" if ss else "-"
    print(f"| {k[0]} | {k[1] or '-'} | {med:.2f} ({min(s):.2f}-{max(s):.2f}) | {gib} | {sv} | {statistics.median(r['cpu_s'] for r in rs):.2f} |")
for k in keys:  # ours against QEMU at the same channel count: save_seconds against total-time
    q = [r["seconds"] for r in rows if (r["what"], r["channels"]) == ("qemu-save", k[1])]
    if k[0] in ("save", "save-alt") and q:
        ss = statistics.median(r["save_seconds"] for r in rows if (r["what"], r["channels"]) == k)
        print(f"{k[0]} at {k[1]} channels: save_seconds {ss:.3f} / QEMU total-time {statistics.median(q):.3f}"
              f" = {ss / statistics.median(q):.2f} x")
PY
