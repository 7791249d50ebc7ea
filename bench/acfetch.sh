#!/usr/bin/env bash
# Benchmarks acfetch against curl + acstore import, fetching a ~100 MB signed ACI from an HTTPS
# server on 127.0.0.1 (python3, a CA made here), and times a cached re-fetch.
# Prints medians and ratios (other time / our time: >1 means we are faster).
# Usage: bench/acfetch.sh [RUNS] (default 5).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
RUNS=${1:-5}
W=${BENCH_DIR:-/dev/shm/appc-fetch-bench}
mkdir -p "$W"
cargo build --release -q -p actool -p acstore -p acfetch
ACTOOL=$PWD/target/release/actool
ACSTORE=$PWD/target/release/acstore
ACFETCH=$PWD/target/release/acfetch

L=$W/layout
make_tree "$L/rootfs" 100
cat >"$L/manifest" <<'JSON'
{"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/fetch-bench","labels":[{"name":"version","value":"1.0.0"},{"name":"os","value":"linux"},{"name":"arch","value":"amd64"}]}
JSON
SRV=$W/srv
mkdir -p "$SRV"
ACI=$SRV/bench.aci
[ -f "$ACI" ] || "$ACTOOL" build --overwrite "$L" "$ACI"

# A signing key and the signature.
export GNUPGHOME=$W/gnupg
if [ ! -d "$GNUPGHOME" ]; then
  mkdir -m 700 "$GNUPGHOME"
  gpg --batch --pinentry-mode loopback --passphrase '' --quick-gen-key "Bench <bench@example.com>" ed25519 sign never 2>/dev/null
fi
gpg --batch --yes --armor --detach-sign -o "$ACI.asc" "$ACI" 2>/dev/null
gpg --batch --armor --export >"$W/key.asc"
CONF=$W/config
rm -rf "$CONF"
"$ACFETCH" --config-dir "$CONF" trust --root --yes "$W/key.asc" >/dev/null

# A CA and a certificate for 127.0.0.1.
if [ ! -f "$W/server.pem" ]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=bench-ca \
    -keyout "$W/ca.key" -out "$W/ca.pem" 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=127.0.0.1 \
    -keyout "$W/server.key" -out "$W/server.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1\n' >"$W/ext"
  openssl x509 -req -in "$W/server.csr" -CA "$W/ca.pem" -CAkey "$W/ca.key" -CAcreateserial \
    -days 2 -extfile "$W/ext" -out "$W/server.crt" 2>/dev/null
  cat "$W/server.crt" "$W/server.key" >"$W/server.pem"
fi

# A threaded HTTPS file server that sends an ETag and answers If-None-Match with 304.
PORT=$((20000 + RANDOM % 20000))
python3 - "$SRV" "$PORT" "$W/server.pem" <<'PY' &
import http.server, os, ssl, sys
root, port, pem = sys.argv[1], int(sys.argv[2]), sys.argv[3]
class H(http.server.SimpleHTTPRequestHandler):
    def __init__(self, *a, **k): super().__init__(*a, directory=root, **k)
    def log_message(self, *a): pass
    def send_head(self):
        path = self.translate_path(self.path)
        if os.path.isfile(path):
            st = os.stat(path)
            tag = '"%x-%x"' % (st.st_size, st.st_mtime_ns)
            if self.headers.get("If-None-Match") == tag:
                self.send_response(304); self.send_header("ETag", tag); self.end_headers(); return None
            f = open(path, "rb")
            self.send_response(200)
            self.send_header("Content-Length", str(st.st_size))
            self.send_header("ETag", tag)
            self.end_headers()
            return f
        return super().send_head()
srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); ctx.load_cert_chain(pem)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
srv.serve_forever()
PY
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; gpgconf --kill gpg-agent' EXIT
URL=https://127.0.0.1:$PORT/bench.aci
for _ in $(seq 50); do curl -sf --cacert "$W/ca.pem" -o /dev/null "$URL.asc" && break; sleep 0.1; done
echo "image: $(stat -c %s "$ACI") bytes gzip; $RUNS runs each, on $W"

S=$W/store
OPTS="--config-dir $CONF --ca-cert $W/ca.pem --progress never"
compare "fetch ~100 MB (fresh store each run)" "$RUNS" \
  "rm -rf $S && $ACFETCH --store-dir $S $OPTS $URL" \
  "rm -rf $S $W/dl.aci && curl -sf --cacert $W/ca.pem -o $W/dl.aci $URL && $ACSTORE --store-dir $S import $W/dl.aci"
echo "  target: ratio >= 0.83 (within 1.2x of curl -o + acstore import)"

rm -rf "$S"
"$ACFETCH" --store-dir "$S" $OPTS "$URL" >/dev/null
compare "cached re-fetch (304) vs a 20 ms budget" "$RUNS" \
  "$ACFETCH --store-dir $S $OPTS $URL" "sleep 0.02"
echo "  target: ratio >= 1.0 (at most 20 ms; the server answers 304, no body)"
if command -v hyperfine >/dev/null; then
  # Without the shell that compare() starts around each run.
  hyperfine -N -w 3 -r 20 --style basic "$ACFETCH --store-dir $S $OPTS $URL" 2>&1 | grep -E 'Time|Range'
fi

# A 3-layer docker image in a local registry: acfetch (layers in parallel, squashed into the
# store) against skopeo copying it to an OCI layout (no squash, no store).
if command -v docker-registry >/dev/null && command -v umoci >/dev/null && command -v skopeo >/dev/null; then
  RPORT=$((20000 + RANDOM % 20000))
  RR=$W/registry
  rm -rf "$RR" "$W/oci" "$W/b"*
  printf 'version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: 127.0.0.1:%s\n' "$RR" "$RPORT" >"$W/registry.yml"
  docker-registry serve "$W/registry.yml" >/dev/null 2>&1 &
  REGISTRY=$!
  trap 'kill $SERVER $REGISTRY 2>/dev/null || true; gpgconf --kill gpg-agent' EXIT
  umoci init --layout "$W/oci" && umoci new --image "$W/oci:t"
  (cd "$L/rootfs" && find . -type f | sort) >"$W/files"
  for n in 1 2 3; do
    awk -v n=$n 'NR % 3 == n % 3' "$W/files" >"$W/files$n"
    umoci unpack --image "$W/oci:t" "$W/b$n" >/dev/null
    tar -C "$L/rootfs" -cf - --files-from="$W/files$n" | tar -C "$W/b$n/rootfs" -xf -
    umoci repack --image "$W/oci:t" "$W/b$n"
  done
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$RPORT/v2/" >/dev/null && break; sleep 0.1; done
  skopeo --insecure-policy copy -q --dest-tls-verify=false "oci:$W/oci:t" "docker://127.0.0.1:$RPORT/bench/img:t"
  DREF=docker://127.0.0.1:$RPORT/bench/img:t
  echo "docker image: 3 layers, $(du -sb "$W/oci/blobs" | cut -f1) bytes of blobs"
  compare "docker pull, 3 layers (fresh store each run)" "$RUNS" \
    "rm -rf $S && $ACFETCH --store-dir $S $OPTS --insecure-options=image,http $DREF" \
    "rm -rf $W/pulled && skopeo --insecure-policy copy -q --src-tls-verify=false $DREF oci:$W/pulled:t"
  echo "  (ratio > 1: acfetch, which also squashes and stores, is faster than skopeo's plain copy)"
fi
