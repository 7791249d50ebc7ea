#!/usr/bin/env bash
# acnet add+del on the default network vs Debian's CNI ptp + host-local plugins doing the same
# (veth pair, /24 pool, default route, masquerade), side by side, medians of N rounds.
#
# Needs root, nftables, iptables and containernetworking-plugins (see scripts/apt-packages).
# Usage: bench/acnet.sh [ROUNDS]   (ACNET=path/to/acnet to skip the release build)
# Everything it creates (one netns, temp dirs, its own nft table, CNI's iptables chains) is
# removed at exit; traffic: none.
set -euo pipefail

rounds=${1:-30}
root=$(cd "$(dirname "$0")/.." && pwd)
if [[ -z "${ACNET:-}" ]]; then
    cargo build --release -q -p acnet --manifest-path "$root/Cargo.toml"
    ACNET="$root/target/release/acnet"
fi
plugins=${CNI_PLUGIN_DIR:-/usr/lib/cni}
[[ -x $plugins/ptp && -x $plugins/host-local ]] || { echo "need CNI ptp and host-local in $plugins" >&2; exit 1; }

tmp=$(mktemp -d)
ns="acnet-bench-$$"
table="acnet_bench_$$"
had_nat=0
nft list table ip nat >/dev/null 2>&1 && had_nat=1
cleanup() {
    ip netns del "$ns" 2>/dev/null || true
    nft delete table inet "$table" 2>/dev/null || true
    # ptp's ipMasq creates iptables' nat table; remove it only if this script brought it.
    if [[ $had_nat == 0 ]]; then nft delete table ip nat 2>/dev/null || true; fi
    rm -rf "$tmp"
}
trap cleanup EXIT
ip netns add "$ns"
mkdir -p "$tmp/conf"

# Same pool as each other; 198.18.0.0/15 is never routed on a real host.
cat > "$tmp/conf/10-default.conf" <<JSON
{"cniVersion":"1.0.0","name":"default","type":"acnet-ptp","subnet":"198.18.99.0/24","ipMasq":true}
JSON
cat > "$tmp/ptp.json" <<JSON
{"cniVersion":"1.0.0","name":"benchnet","type":"ptp","ipMasq":true,
 "ipam":{"type":"host-local","subnet":"198.18.98.0/24","routes":[{"dst":"0.0.0.0/0"}],"dataDir":"$tmp/cni-ipam"}}
JSON

export ACNET_DATA_DIR=$tmp/data ACNET_CONFIG_DIR=$tmp/conf ACNET_VENDOR_CONFIG_DIR=$tmp/none ACNET_NFT_TABLE=$table
pod=0b5e7c1a-0000-4000-8000-000000000001

source "$root/bench/lib.sh"
cni_env="CNI_CONTAINERID=bench CNI_NETNS=/run/netns/$ns CNI_IFNAME=eth0 CNI_PATH=$plugins"
ours="'$ACNET' add --pod $pod --netns /run/netns/$ns && '$ACNET' del --pod $pod"
theirs="env $cni_env CNI_COMMAND=ADD '$plugins/ptp' < '$tmp/ptp.json' && env $cni_env CNI_COMMAND=DEL '$plugins/ptp' < '$tmp/ptp.json'"
compare "add+del default network (median of $rounds)" "$rounds" "$ours" "$theirs"
echo "acnet vs CNI ptp + host-local: ours takes $(awk -v r="$RATIO" 'BEGIN { printf "%.2f", 1 / r }')x their time (target <= 0.50)"
