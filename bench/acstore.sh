#!/usr/bin/env bash
# Benchmarks acstore side by side with the plain tools doing the same work, on tmpfs.
# Prints medians and ratios (other time / our time: >1 means we are faster).
# Usage: bench/acstore.sh [RUNS] (default 5).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
RUNS=${1:-5}
W=${BENCH_DIR:-/dev/shm/appc-bench}
mkdir -p "$W"
cargo build --release -q -p actool -p acstore
ACTOOL=$PWD/target/release/actool
ACSTORE=$PWD/target/release/acstore

L=$W/layout
make_tree "$L/rootfs" 100
cat >"$L/manifest" <<'JSON'
{"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/bench","labels":[{"name":"version","value":"1.0.0"},{"name":"os","value":"linux"},{"name":"arch","value":"amd64"}]}
JSON
ACI=$W/store-bench.aci
[ -f "$ACI" ] || "$ACTOOL" build --overwrite "$L" "$ACI"
echo "image: $(stat -c %s "$ACI") bytes gzip, $(gzip -dc "$ACI" | wc -c) bytes tar; $RUNS runs each, on $W"

S=$W/store
compare "import (fresh store each run)" "$RUNS" \
  "rm -rf $S && $ACSTORE --store-dir $S import $ACI" \
  "gzip -dc $ACI | sha512sum"
echo "  target: ratio >= 0.83 (within 1.2x of gzip -dc | sha512sum)"

rm -rf "$S"
"$ACSTORE" --store-dir "$S" import "$ACI" >/dev/null
X=$W/untar
compare "cold render (tree removed each run)" "$RUNS" \
  "rm -rf $S/trees/* $S/locks/tree-*; $ACSTORE --store-dir $S render example.com/bench" \
  "rm -rf $X && mkdir -p $X && tar -xzf $ACI -C $X"
echo "  target: ratio >= 1.0 (within 1.0x of tar -xzf)"
"$ACSTORE" --store-dir "$S" render example.com/bench >/dev/null
compare "cached render vs a 10 ms budget" "$RUNS" \
  "$ACSTORE --store-dir $S render example.com/bench" "sleep 0.01"
echo "  target: ratio >= 1.0 (at most 10 ms)"

# 1000 images: small distinct ACIs, imported once.
S2=$W/store-1000
if [ ! -f "$S2/.bench-complete" ]; then
  rm -rf "$S2"
  mk=$W/mk1000
  rm -rf "$mk" && mkdir -p "$mk/rootfs"
  for i in $(seq 1 1000); do
    printf '{"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/img%d","labels":[{"name":"version","value":"1.0.%d"}]}' "$i" "$i" >"$mk/manifest"
    "$ACTOOL" build --no-compression "$mk" - | "$ACSTORE" --store-dir "$S2" import - >/dev/null
  done
  touch "$S2/.bench-complete"
fi
compare "ls over 1000 images vs a 50 ms budget" "$RUNS" "$ACSTORE --store-dir $S2 ls" "sleep 0.05"
compare "ls --json over 1000 images vs a 50 ms budget" "$RUNS" "$ACSTORE --store-dir $S2 ls --json" "sleep 0.05"
echo "  target: ratio >= 1.0 (at most 50 ms)"

echo "peak RSS (MiB): import $(rm -rf "$S"; peak_rss_mib "$ACSTORE" --store-dir "$S" import "$ACI")," \
  "cold render $(rm -rf "$S"/trees/* "$S"/locks/tree-*; peak_rss_mib "$ACSTORE" --store-dir "$S" render example.com/bench)," \
  "tar -xzf of the same: $(rm -rf "$X"; mkdir -p "$X"; peak_rss_mib tar -xzf "$ACI" -C "$X")"
