#!/usr/bin/env bash
# Migration over a capped link: the receiver runs in a network namespace of its own behind a veth
# pair whose sender-to-receiver direction is limited by a token-bucket qdisc (tc tbf), and the
# command line migrates an image of random pages (nothing to skip or compress, so the wire carries
# the image). Prints, per run, the cap, the wire throughput the sender measured, their ratio and
# whether both sides hashed the same bytes. Needs root, iproute2 (ip, tc) and the built CLI jar.
#
#   multifd-bench/scripts/capped-link.sh [--rate 200mbit] [--size 256M] [--channels 4] [--runs 3]
#                                        [--io-timeout 5] [--codec none]
#
# Everything it creates (namespace mfd-cap-PID, veth mfdcN-s/mfdcN-r, files in a temporary
# directory) is removed on exit. The names and the /30 in 10.203.0.0/16 (sender side .1, receiver
# .2 of it) come from the process id, so that two runs at once (two builds) do not collide.
set -euo pipefail
rate=200mbit size=256M channels=4 runs=3 io_timeout=5 codec=none
while [ $# -gt 0 ]; do
  case "$1" in
    --rate) rate=$2; shift 2 ;;
    --size) size=$2; shift 2 ;;
    --channels) channels=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --io-timeout) io_timeout=$2; shift 2 ;;
    --codec) codec=$2; shift 2 ;;
    *) echo "capped-link: unknown option $1" >&2; exit 2 ;;
  esac
done
root="$(cd "$(dirname "$0")/../.." && pwd)"
cli="$root/multifd"
export MULTIFD_NO_BUILD=1
[ "$(id -u)" = 0 ] || { echo "capped-link: needs root (network namespaces, tc)" >&2; exit 2; }
[ -f "$root/examples/cli/target/multifd.jar" ] || { echo "capped-link: build first: ./mvnw -q package -DskipTests" >&2; exit 2; }

id=$(( $$ % 16000 ))                         # 16000 /30 subnets fit in 10.203.0.0/16
ns="mfd-cap-$$"
veth="mfdc$id-s" peer="mfdc$id-r"            # at most 15 characters
base=$(( id * 4 ))
subnet="10.203.$(( base / 256 )).$(( base % 256 ))"
host_ip="10.203.$(( (base + 1) / 256 )).$(( (base + 1) % 256 ))"
recv_ip="10.203.$(( (base + 2) / 256 )).$(( (base + 2) % 256 ))"
work="$(mktemp -d)"
cleanup() {
  ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null || true
  ip link del "$veth" 2>/dev/null || true
  ip netns del "$ns" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
ip netns add "$ns"
ip link add "$veth" type veth peer name "$peer"
ip link set "$peer" netns "$ns"
ip addr add "$host_ip/30" dev "$veth"
ip link set "$veth" up
ip netns exec "$ns" ip addr add "$recv_ip/30" dev "$peer"
ip netns exec "$ns" ip link set "$peer" up
ip netns exec "$ns" ip link set lo up
# the cap: sender -> receiver leaves through $veth ($subnet/30)
tc qdisc add dev "$veth" root tbf rate "$rate" burst 256kb latency 100ms

"$cli" gen-image "$work/src.img" --size "$size" --zero 0 --text 0 --random 100 --quiet
rate_bits=$(tc -j qdisc show dev "$veth" | python3 -c 'import json,sys; q=json.load(sys.stdin)[0]; print(q["options"]["rate"])' 2>/dev/null \
  || echo "")
echo "cap: $rate on the sender-to-receiver direction; image $size of random pages; $channels channels; codec $codec"
if command -v iperf3 > /dev/null; then
  # what TCP itself gets through the same cap with as many connections: the link's real limit
  ip netns exec "$ns" iperf3 -s -1 -p 5201 > /dev/null 2>&1 &
  srv=$!
  sleep 0.5 # the server binds; a failed attempt is retried below
  for attempt in 1 2 3; do
    if iperf=$(iperf3 -c "$recv_ip" -p 5201 -P "$channels" -t 5 -J 2> /dev/null); then break; fi
    sleep 0.5
  done
  wait "$srv" 2> /dev/null || true
  python3 - "$rate" "${iperf:-}" <<'PY'
import json, sys, re
rate, raw = sys.argv[1], sys.argv[2]
m = re.fullmatch(r"([0-9.]+)([kmg]?)bit", rate.lower())
cap = float(m.group(1)) * {"": 1, "k": 1e3, "m": 1e6, "g": 1e9}[m.group(2)]
try:
    bps = json.loads(raw)["end"]["sum_received"]["bits_per_second"]
    print(f"iperf3, same cap and connections: {bps / 1e6:.1f} Mbit/s ({bps / cap:.3f} of the cap)")
except Exception:
    print("iperf3 baseline: not measured")
PY
fi
printf '%-4s %-12s %-14s %-8s %s\n' run cap wire_Mbit/s ratio same_bytes
for run in $(seq 1 "$runs"); do
  rm -f "$work/dst.img"
  ip netns exec "$ns" "$cli" recv --listen "$recv_ip:5000" --out "$work/dst.img" --json --timeout 30 \
     --io-timeout "$io_timeout" > "$work/recv.json" 2> "$work/recv.err" &
  rx=$!
  tx_json=$("$cli" send --connect "$recv_ip:5000" --image "$work/src.img" --channels "$channels" --codec "$codec" \
     --io-timeout "$io_timeout" --connect-timeout 20 --json 2> "$work/send.err") || { cat "$work/send.err" >&2; exit 1; }
  wait "$rx" || { cat "$work/recv.err" >&2; exit 1; }
  echo "$tx_json" > "$work/send.json"
  [ -n "${CAPPED_LINK_KEEP:-}" ] && cp "$work/send.json" "$work/recv.json" "$CAPPED_LINK_KEEP/"
  python3 - "$rate" "$run" "$tx_json" "$work/recv.json" <<'PY'
import json, sys, re
rate, run, tx, rx_file = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), sys.argv[4]
rx = json.loads(open(rx_file).read().strip().splitlines()[-1])
m = re.fullmatch(r"([0-9.]+)([kmg]?)bit", rate.lower())
cap = float(m.group(1)) * {"": 1, "k": 1e3, "m": 1e6, "g": 1e9}[m.group(2)]
wire = tx["wire_bytes"] * 8 / tx["seconds"]
same = tx.get("sha256") is not None and tx.get("sha256") == rx.get("sha256")
print(f"{run:<4} {rate:<12} {wire / 1e6:<14.1f} {wire / cap:<8.3f} {'yes' if same else 'NO'}")
if not same:
    sys.exit(1)
PY
done
