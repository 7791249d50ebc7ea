#!/usr/bin/env bash
# Benchmarks acrun against Debian's crun, side by side: a pod of one app running /bin/true from
# a busybox image already in the store and rendered, with --net=none (crun's default spec also
# gives an empty network namespace). Prints medians, the ratio (crun time / acrun time: >1 means
# we are faster), and the memory of the pod's own processes (supervisor + init) next to crun's.
# Usage: bench/acrun.sh [RUNS] (default 20). Needs root, crun, busybox-static.
set -euo pipefail
[ -n "${BENCH_TRACE:-}" ] && set -x
cd "$(dirname "$0")/.."
# crun 1.8.1 does not cope with this machine's hybrid cgroups while cgroup2 is mounted at
# /sys/fs/cgroup/unified: run everything (both tools alike) in a private mount namespace
# without it.
if [ -z "${ACRUN_BENCH_NS:-}" ]; then
  exec unshare -m --propagation private env ACRUN_BENCH_NS=1 "$0" "$@"
fi
umount /sys/fs/cgroup/unified 2>/dev/null || true
. bench/lib.sh
RUNS=${1:-20}
W=${BENCH_DIR:-/dev/shm/appc-bench}/acrun
rm -rf "$W"
mkdir -p "$W"
cargo build --release -q -p acrun -p actool -p acstore
BIN=$PWD/target/release
S=$W/store
P=$W/pods

L=$W/layout
mkdir -p "$L/rootfs/bin" "$L/rootfs/etc"
cp /bin/busybox "$L/rootfs/bin/busybox"
for a in sh true sleep; do ln -sf busybox "$L/rootfs/bin/$a"; done
echo 'root:x:0:0:root:/:/bin/sh' >"$L/rootfs/etc/passwd"
echo 'root:x:0:' >"$L/rootfs/etc/group"
cat >"$L/manifest" <<'JSON'
{"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/true","labels":[{"name":"version","value":"1.0"},{"name":"os","value":"linux"},{"name":"arch","value":"amd64"}],"app":{"exec":["/bin/true"],"user":"0","group":"0"}}
JSON
"$BIN/actool" build --overwrite "$L" "$W/true.aci"
"$BIN/acstore" --store-dir "$S" import "$W/true.aci" >/dev/null
ROOTFS=$("$BIN/acstore" --store-dir "$S" render example.com/true)
[ -d "$ROOTFS/bin" ] || ROOTFS=$ROOTFS/rootfs

B=$W/bundle
mkdir -p "$B"
(cd "$B" && crun spec)
python3 - "$B/config.json" "$ROOTFS" <<'PY'
import json, sys
p, root = sys.argv[1], sys.argv[2]
c = json.load(open(p))
c["root"] = {"path": root, "readonly": True}
c["process"]["terminal"] = False
c["process"]["args"] = ["/bin/true"]
json.dump(c, open(p, "w"))
PY

echo "acrun $("$BIN/acrun" --version | awk '{print $2}') vs $(crun --version | head -1); $RUNS runs each"
ACRUN="$BIN/acrun --dir $P --store-dir $S run --net=none example.com/true"
compare "pod of /bin/true, --net=none" "$RUNS" "$ACRUN" "crun run --bundle $B bench-\$\$-\$RANDOM"
echo "  target: ratio >= 0.67 (at most 1.5x crun's time)"
"$BIN/acrun" --dir "$P" gc --grace-period 0s >/dev/null

# Memory: a pod sleeping 2 s; the pod's own processes are acrun's supervisor and init.
rss_kib() { awk '/^(Rss|Pss):/ { v[$1] = $2 } END { printf "%d %d\n", v["Rss:"], v["Pss:"] }' "/proc/$1/smaps_rollup"; }
"$BIN/acrun" --dir "$P" --store-dir "$S" run --net=none --uuid-file-save "$W/uuid" example.com/true --exec /bin/sleep -- 2 --- &
SUP=$!
for _ in $(seq 100); do [ -s "$W/uuid" ] && grep -q '"pid"' "$P/$(cat "$W/uuid")/state.json" 2>/dev/null && break; sleep 0.02; done
sleep 0.3
INIT=$(sed -n 's/.*"pid":\([0-9]*\).*/\1/p' "$P/$(cat "$W/uuid")/state.json")
read -r sr sp < <(rss_kib "$SUP")
read -r ir ip < <(rss_kib "$INIT")
wait "$SUP"
python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); c["process"]["args"]=["/bin/sleep","2"]; json.dump(c,open(sys.argv[1],"w"))' "$B/config.json"
crun run --bundle "$B" bench-mem-$$ &
CR=$!
sleep 0.5
read -r cr cp < <(rss_kib "$CR")
wait "$CR"
printf 'memory: acrun supervisor %d KiB RSS (%d PSS) + init %d KiB RSS (%d PSS); crun %d KiB RSS (%d PSS)\n' \
  "$sr" "$sp" "$ir" "$ip" "$cr" "$cp"
"$BIN/acrun" --dir "$P" gc --grace-period 0s >/dev/null
