# Shared helpers of the bench/ scripts: interleaved timing (A, B, A, B, ...) so that the noise of
# a shared machine hits both sides alike, medians, and ratios. Source it; needs bash and awk.

# ns_now: nanoseconds since the epoch.
ns_now() { date +%s%N; }

# time_once CMD...: runs CMD (its output discarded) and prints the wall time in seconds.
time_once() {
  local t0 t1
  t0=$(ns_now)
  "$@" >/dev/null 2>&1 || { echo "bench: command failed: $*" >&2; return 1; }
  t1=$(ns_now)
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f\n", (b - a) / 1e9 }'
}

# median: reads numbers on stdin, prints their median.
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.6f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# compare LABEL RUNS "CMD_OURS" "CMD_THEIRS": runs both RUNS times, interleaved, and prints
# both medians and theirs/ours (>1 means we are faster). Sets RATIO for the caller.
compare() {
  local label=$1 runs=$2 ours=$3 theirs=$4 i a=() b=()
  bash -c "$ours" >/dev/null 2>&1 || { echo "bench: failed: $ours" >&2; return 1; }   # warm-up
  bash -c "$theirs" >/dev/null 2>&1 || { echo "bench: failed: $theirs" >&2; return 1; }
  for ((i = 0; i < runs; i++)); do
    a+=("$(time_once bash -c "$ours")")
    b+=("$(time_once bash -c "$theirs")")
  done
  local ma mb
  ma=$(printf '%s\n' "${a[@]}" | median)
  mb=$(printf '%s\n' "${b[@]}" | median)
  RATIO=$(awk -v a="$ma" -v b="$mb" 'BEGIN { printf "%.2f", b / a }')
  printf '%-44s ours %8.3fs  other %8.3fs  ratio %6sx\n' "$label" "$ma" "$mb" "$RATIO"
}

# peak_rss_mib CMD...: the peak resident memory of CMD in MiB (GNU time).
peak_rss_mib() {
  local f
  f=$(mktemp)
  /usr/bin/time -f '%M' -o "$f" "$@" >/dev/null 2>&1 || true
  awk '{ v = $1 } END { printf "%.1f", v / 1024 }' "$f"
  rm -f "$f"
}

# make_tree DIR MB: a deterministic tree of about MB megabytes of real files (from /usr) in DIR;
# its marker and scratch files go beside DIR's parent, never inside the layout.
make_tree() {
  local dir=$1 mb=$2
  local tag
  tag="$(dirname "$(dirname "$dir")")/.$(basename "$(dirname "$dir")")-tree"
  [ -f "$tag.complete" ] && return 0
  rm -rf "$dir"
  mkdir -p "$dir"
  # awk stops reading early on purpose: the list is written to a file first, so no SIGPIPE
  # reaches a pipeline under pipefail.
  find /usr/lib/x86_64-linux-gnu /usr/share -xdev -type f -size -8M -printf '%s %p\n' 2>/dev/null |
    sort -k2 >"$tag.list"
  awk -v max=$((mb * 1000 * 1000)) 'NR % 8 == 0 { t += $1; if (t > max) exit; print substr($0, index($0, " ") + 1) }' "$tag.list" >"$tag.files"
  tar -cf - --files-from="$tag.files" 2>/dev/null | tar -xf - -C "$dir"
  rm -f "$tag.list" "$tag.files"
  touch "$tag.complete"
}
