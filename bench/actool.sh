#!/usr/bin/env bash
# Benchmarks actool against the reference Go actool, side by side in one run, on tmpfs.
# Prints medians and ratios (reference time / our time: >1 means we are faster).
# Usage: bench/actool.sh [RUNS] (default 5). Needs: golang-go, golang-github-appc-spec-dev.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
RUNS=${1:-5}
W=${BENCH_DIR:-/dev/shm/appc-bench}
mkdir -p "$W"

cargo build --release -q -p actool
OURS=$PWD/target/release/actool
REF=$W/ref-actool
[ -x "$REF" ] || GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE=$W/gocache \
  go build -o "$REF" github.com/appc/spec/actool

# The layout: a ~100 MB tree of real files plus a manifest.
L=$W/layout
make_tree "$L/rootfs" 100
cat >"$L/manifest" <<'JSON'
{"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/bench","labels":[{"name":"version","value":"1.0.0"},{"name":"os","value":"linux"},{"name":"arch","value":"amd64"}],"app":{"exec":["/bin/true"],"user":"0","group":"0"}}
JSON
echo "tree: $(du -sh --apparent-size "$L/rootfs" | cut -f1) in $(find "$L/rootfs" | wc -l) entries on $W; $RUNS runs each"

compare "build (gzip)" "$RUNS" \
  "$OURS build --overwrite $L $W/ours.aci" "$REF build --overwrite $L $W/ref.aci"
compare "build --no-compression" "$RUNS" \
  "$OURS build --overwrite --no-compression $L $W/ours.tar.aci" \
  "$REF build --overwrite --no-compression $L $W/ref.tar.aci"
compare "validate (gzip ACI built by the reference)" "$RUNS" \
  "$OURS validate $W/ref.aci" "$REF validate $W/ref.aci"
gzip -dc "$W/ref.aci" >"$W/plain.tar"
compare "validate vs gzip -dc" "$RUNS" "$OURS validate $W/ref.aci" "gzip -dc $W/ref.aci >/dev/null"
RG=$RATIO
compare "validate vs sha512sum of the tar" "$RUNS" "$OURS validate $W/ref.aci" "sha512sum $W/plain.tar >/dev/null"
RS=$RATIO
awk -v g="$RG" -v s="$RS" 'BEGIN { m = (g > s ? g : s); printf "%-44s %.2f (target <= 1.3)\n", "validate / max(gzip -dc, sha512sum)", 1 / m }'
compare "cat-manifest (each on the ACI it built)" "$RUNS" \
  "$OURS cat-manifest $W/ours.aci" "$REF cat-manifest $W/ref.aci"
compare "cat-manifest (both on our ACI)" "$RUNS" \
  "$OURS cat-manifest $W/ours.aci" "$REF cat-manifest $W/ours.aci"
echo "sizes: ours.aci $(stat -c %s "$W/ours.aci") bytes, ref.aci $(stat -c %s "$W/ref.aci") bytes"
echo "peak RSS (MiB): build gzip $(peak_rss_mib "$OURS" build --overwrite "$L" "$W/ours.aci")," \
  "validate $(peak_rss_mib "$OURS" validate "$W/ref.aci")," \
  "build --compression xz $(peak_rss_mib "$OURS" build --overwrite --compression xz "$L" "$W/ours.xz.aci")"
