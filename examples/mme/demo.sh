#!/usr/bin/env bash
# Veripack MME demo (issue 3 item 6): the real Debian MME package nextepc-mme + nextepc-core is signed by
# a demo vendor PKI (root -> intermediate -> code-signing leaf) as CSAR nextepc-mme 0.3.10; the node's
# trust administrator sets the node's trust store once (the vendor root), then packages are installed
# without choosing any trust and run through the guard; then tampered, untrusted (also with the
# installer's own --trust, which the node refuses), downgraded and modified-on-disk variants are tried;
# then the operator publishes 0.3.10 and 0.3.10-1 in a TUF repository (veripack repo; served by nginx when it
# is installed, else read as a directory) and a second node updates from it, and refuses a replayed timestamp.
# Every outcome is checked; a summary table is printed. Exit 0 only if all happened,
# 75 when the Debian packages cannot be fetched here (CI treats 75 as "skipped"), 1 otherwise.
# Work files: examples/mme/out/ (gitignored). No network beyond Debian's package archive via apt.
set -uo pipefail
here="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
out="$here/out"
vp="$repo/veripack"
export DEBIAN_FRONTEND=noninteractive

say() { printf '\n== %s\n' "$*" >&2; }
skip() { echo "demo: SKIPPED: $*" >&2; exit 75; }

[ -d "$out" ] && chmod -R u+w "$out" 2>/dev/null; rm -rf "$out" && mkdir -p "$out/debs" "$out/pki" "$out/pkg"
cd "$out"

# --- 1. fetch the real Debian packages --------------------------------------------------------------
say "fetching nextepc-mme and nextepc-core from Debian"
command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null || skip "apt-get/dpkg-deb not available on this machine"
candidate() { local p; p="$(apt-cache policy nextepc-mme 2>/dev/null)"; grep -q 'Candidate: [0-9]' <<<"$p"; }
if ! candidate; then
  echo "updating apt's package lists (apt-get update)..." >&2
  apt-get update -qq >/dev/null 2>&1 || true
fi
candidate || skip "no apt candidate for nextepc-mme (is Debian bookworm main in the apt sources?)"
(cd debs && apt-get download -q nextepc-mme nextepc-core >download.log 2>&1) \
  || { cat debs/download.log >&2; skip "apt-get download nextepc-mme nextepc-core failed"; }
ls debs/*.deb >&2
mkdir tree
for d in debs/*.deb; do dpkg-deb -x "$d" tree || skip "dpkg-deb -x $d failed"; done
upstream="$(dpkg-deb -f debs/nextepc-mme_*.deb Version)"
echo "unpacked nextepc-mme $upstream: $(find tree -type f | wc -l) files, $(find tree -type l | wc -l) symlinks" >&2

# --- 2. runtime libraries the MME binary needs -------------------------------------------------------
missing() { LD_LIBRARY_PATH="$out/tree/usr/lib/nextepc" ldd "$out/tree/usr/bin/nextepc-mmed" 2>/dev/null | grep -c 'not found'; }
if [ "$(missing)" != "0" ]; then
  say "installing the MME's runtime libraries with apt-get"
  deps="$(apt-cache depends nextepc-mme nextepc-core 2>/dev/null | awk '/ Depends:/{print $2}' | grep -v '^nextepc' | grep -v '^<' | sort -u)"
  echo "libraries: $deps" >&2
  # shellcheck disable=SC2086
  apt-get install -y -qq $deps >apt-install.log 2>&1 || { apt-get update -qq >/dev/null 2>&1; apt-get install -y -qq $deps >apt-install.log 2>&1; } \
    || { tail -5 apt-install.log >&2; skip "cannot install the MME's runtime libraries"; }
fi
[ "$(missing)" = "0" ] || skip "nextepc-mmed still misses shared libraries"

# --- 3. demo vendor PKI (openssl): root -> intermediate -> code-signing leaf; and a rogue one ----------
say "creating the demo vendor PKI with openssl"
mkpki() { # dir "vendor name"
  local d="$1" o="$2"
  mkdir -p "$d"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
    -keyout "$d/root.key" -out "$d/root.pem" -subj "/O=$o/CN=$o Root CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null || return 1
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$d/ca.key" -out "$d/ca.csr" -subj "/O=$o/CN=$o Code Signing CA" 2>/dev/null || return 1
  printf 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n' >"$d/ca.ext"
  openssl x509 -req -in "$d/ca.csr" -CA "$d/root.pem" -CAkey "$d/root.key" -CAcreateserial -days 1825 \
    -extfile "$d/ca.ext" -out "$d/ca.pem" 2>/dev/null || return 1
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$d/signer.key" -out "$d/signer.csr" -subj "/O=$o/CN=$o MME Release Signing" 2>/dev/null || return 1
  printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=codeSigning\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n' >"$d/signer.ext"
  openssl x509 -req -in "$d/signer.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial -days 365 \
    -extfile "$d/signer.ext" -out "$d/signer.pem" 2>/dev/null || return 1
}
mkpki pki/vendor "Demo Vendor" || { echo "demo: openssl failed to create the vendor PKI" >&2; exit 1; }
mkpki pki/rogue "Rogue Vendor" || { echo "demo: openssl failed to create the rogue PKI" >&2; exit 1; }
openssl verify -CAfile pki/vendor/root.pem -untrusted pki/vendor/ca.pem -purpose codesign pki/vendor/signer.pem >&2 2>/dev/null \
  || openssl verify -CAfile pki/vendor/root.pem -untrusted pki/vendor/ca.pem pki/vendor/signer.pem >&2

# --- 4. sign the packages ------------------------------------------------------------------------------
say "signing CSARs (building the CLI on first use)"
sign() { # pki version out
  "$vp" sign --key "pki/$1/signer.key" --cert "pki/$1/signer.pem" --chain "pki/$1/ca.pem" \
    --csar tree --name nextepc-mme --version "$2" --out "$3"
}
sign vendor 0.3.10 pkg/nextepc-mme-0.3.10.csar || { echo "demo: signing failed" >&2; exit 1; }
sign vendor 0.3.10-1 pkg/nextepc-mme-0.3.10-1.csar || exit 1
sign rogue 0.3.10-2 pkg/nextepc-mme-0.3.10-2-rogue.csar || exit 1
# test a): one byte of libs1apasn1c.so flipped after signing (the zip entry is replaced, manifest and signature kept)
lib="usr/lib/nextepc/$(readlink tree/usr/lib/nextepc/libs1apasn1c.so || echo libs1apasn1c.so)"
cp pkg/nextepc-mme-0.3.10-1.csar pkg/nextepc-mme-0.3.10-1-tampered.csar
mkdir -p flip && (cd flip && unzip -q -o ../pkg/nextepc-mme-0.3.10-1.csar "$lib") || { echo "demo: $lib not in the CSAR" >&2; exit 1; }
chmod u+w "flip/$lib"
off=4096
orig=$(od -An -tu1 -j$off -N1 "flip/$lib" | tr -d ' ')
printf "$(printf '\\%03o' $(( orig ^ 0x01 )))" | dd of="flip/$lib" bs=1 seek=$off count=1 conv=notrunc status=none
(cd flip && zip -q ../pkg/nextepc-mme-0.3.10-1-tampered.csar "$lib") || { echo "demo: zip failed" >&2; exit 1; }
ls -l pkg >&2

node="$out/node"
env=(--env LD_LIBRARY_PATH=usr/lib/nextepc)
results=()
pass=0; fail=0
check() { # name expected actual ok(0/1)
  if [ "$4" = 0 ]; then results+=("PASS|$1|$2|$3"); pass=$((pass+1)); else results+=("FAIL|$1|$2|$3"); fail=$((fail+1)); fi
}
run_cli() { # captures combined output in $log, exit in $rc
  log="$("$vp" "$@" 2>&1)"; rc=$?
  printf '%s\n' "$log" | sed 's/^/    /' >&2
}
status_text() { "$vp" status --root "$node" 2>/dev/null; }
active_is() { local s; s="$(status_text)"; grep -q "^active: *nextepc-mme $1 " <<<"$s"; }
floor_is() { local s; s="$(status_text)"; grep -q "^version floor: nextepc-mme $1 " <<<"$s"; }
mme_runs() { # the guard starts the MME and it prints its version
  run_cli run --root "$node" "${env[@]}" -- usr/bin/nextepc-mmed -v
  [ $rc -eq 0 ] && grep -q "NextEPC daemon v0.3.10" <<<"$log"
}

nginx_pid=""
stop_nginx() { # nginx runs in the foreground (daemon off), so its PID is the one started here
  [ -n "$nginx_pid" ] || return 0
  kill "$nginx_pid" 2>/dev/null; wait "$nginx_pid" 2>/dev/null; nginx_pid=""
}
trap stop_nginx EXIT
trap 'exit 130' INT TERM
free_port() { # a port the kernel says is free on 127.0.0.1 (bind to port 0); nginx's bind can still race it
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null \
    || echo $(( 20000 + RANDOM % 20000 ))
}
serve_nginx() { # serves $pub on a free 127.0.0.1 port with its own prefix, config and logs; sets port, nginx_pid
  local try
  mkdir -p "$out/nginx"
  for try in 1 2 3; do
    port="$(free_port)"
    cat >"$out/nginx/nginx.conf" <<EOF
worker_processes 1;
pid "$out/nginx/nginx.pid";
error_log "$out/nginx/error.log" warn;
events { worker_connections 64; }
http {
  access_log "$out/nginx/access.log";
  default_type application/octet-stream;
  types { application/json json; }
  server { listen 127.0.0.1:$port; root "$pub"; location / { } }
}
EOF
    "$nginx_bin" -p "$out/nginx" -c "$out/nginx/nginx.conf" -e "$out/nginx/error.log" -g 'daemon off;' \
      >>"$out/nginx/error.log" 2>&1 &
    nginx_pid=$!
    for _ in $(seq 50); do # up to 5 s; nginx listens within a few ms
      kill -0 "$nginx_pid" 2>/dev/null || break
      (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
      sleep 0.1
    done
    stop_nginx # it exited (e.g. the port was taken meanwhile) or never listened: another port
  done
  return 1
}

# --- 5. the scenario -------------------------------------------------------------------------------
say "trust administrator: set the node's trust store to the vendor root (creates the node root)"
run_cli trust set --root "$node" --trust pki/vendor/root.pem
ok=1; [ $rc -eq 0 ] && "$vp" trust show --root "$node" 2>/dev/null | grep -q "Demo Vendor Root CA" && ok=0
check "trust set (vendor root)" "exit 0, store lists the vendor root" "exit $rc" $ok
"$vp" trust show --root "$node" >&2

say "install nextepc-mme 0.3.10 on the node (trust comes from the node, not from the command line)"
run_cli install --root "$node" pkg/nextepc-mme-0.3.10.csar
obs="exit $rc"; ok=1; [ $rc -eq 0 ] && active_is 0.3.10 && ok=0 && obs="$obs, active 0.3.10"
check "install 0.3.10 (vendor-signed)" "exit 0, active 0.3.10" "$obs" $ok
say "run usr/bin/nextepc-mmed -v through the guard"
mme_runs; ok=$?; check "guard runs nextepc-mmed -v" "NextEPC daemon v0.3.10" "exit $rc: $(grep -o 'NextEPC daemon v[0-9.]*' <<<"$log" | head -1)" $ok

say "test a): upgrade whose $lib has one byte flipped after signing"
run_cli install --root "$node" pkg/nextepc-mme-0.3.10-1-tampered.csar
obs="exit $rc$(grep -q DIGEST_MISMATCH <<<"$log" && echo ' DIGEST_MISMATCH')"
ok=1; [ $rc -eq 1 ] && grep -q DIGEST_MISMATCH <<<"$log" && active_is 0.3.10 && mme_runs && ok=0 && obs="$obs, still runs 0.3.10"
check "test a) tampered upgrade" "exit 1 DIGEST_MISMATCH, still 0.3.10" "$obs" $ok

say "test b): genuine upgrade 0.3.10-1"
run_cli install --root "$node" pkg/nextepc-mme-0.3.10-1.csar
obs="exit $rc"
ok=1; [ $rc -eq 0 ] && active_is 0.3.10-1 && mme_runs && ok=0 && obs="$obs, active 0.3.10-1, runs"
check "test b) genuine upgrade 0.3.10-1" "exit 0, active 0.3.10-1, runs" "$obs" $ok

say "package signed by a key outside the node's trust anchors"
run_cli install --root "$node" pkg/nextepc-mme-0.3.10-2-rogue.csar
ok=1; [ $rc -eq 1 ] && grep -q SIGNER_UNTRUSTED <<<"$log" && active_is 0.3.10-1 && floor_is 0.3.10-1 && ok=0
check "untrusted signer" "exit 1 SIGNER_UNTRUSTED" "exit $rc$(grep -q SIGNER_UNTRUSTED <<<"$log" && echo ' SIGNER_UNTRUSTED')" $ok

say "the installer brings the rogue vendor's root itself: install --trust is refused by the node"
run_cli install --root "$node" --trust pki/rogue/root.pem pkg/nextepc-mme-0.3.10-2-rogue.csar
ok=1; [ $rc -eq 2 ] && grep -q "config/policy.yaml" <<<"$log" && active_is 0.3.10-1 && floor_is 0.3.10-1 \
  && grep -q '"trust.option-refused"' "$node/audit/events.jsonl" && ok=0
check "install --trust rogue root" "exit 2, names the node's policy, audited" "exit $rc" $ok

say "downgrade to 0.3.10"
run_cli install --root "$node" pkg/nextepc-mme-0.3.10.csar
ok=1; [ $rc -eq 1 ] && grep -q VERSION_ROLLBACK <<<"$log" && active_is 0.3.10-1 && ok=0
check "downgrade to 0.3.10" "exit 1 VERSION_ROLLBACK" "exit $rc$(grep -q VERSION_ROLLBACK <<<"$log" && echo ' VERSION_ROLLBACK')" $ok

say "operator rollback to the previous slot"
run_cli rollback --root "$node"
obs="exit $rc"
ok=1; [ $rc -eq 0 ] && active_is 0.3.10 && floor_is 0.3.10-1 && mme_runs \
  && ok=0 && obs="$obs, active 0.3.10, floor 0.3.10-1, runs"
check "rollback (floor stays 0.3.10-1)" "exit 0, active 0.3.10, runs" "$obs" $ok

say "change one byte of the installed nextepc-mmed, then run it through the guard"
slotdir="$(readlink -f "$node/current")"
bin="$slotdir/usr/bin/nextepc-mmed"
chmod u+w "$bin"
orig=$(od -An -tu1 -j8192 -N1 "$bin" | tr -d ' ')
printf "$(printf '\\%03o' $(( orig ^ 0x01 )))" | dd of="$bin" bs=1 seek=8192 count=1 conv=notrunc status=none
chmod 0555 "$bin"
run_cli run --root "$node" "${env[@]}" -- usr/bin/nextepc-mmed -v
ok=1; [ $rc -eq 126 ] && grep -q INSTALLATION_TAMPERED <<<"$log" && ! grep -q "NextEPC daemon" <<<"$log" && ok=0
check "guard on modified nextepc-mmed" "exit 126 INSTALLATION_TAMPERED, not started" "exit $rc$(grep -q INSTALLATION_TAMPERED <<<"$log" && echo ' INSTALLATION_TAMPERED')" $ok
run_cli verify-installed --root "$node"
[ $rc -eq 1 ]; check "verify-installed scan" "exit 1 (tampered)" "exit $rc" $?

say "audit log chain"
run_cli audit verify --root "$node"
[ $rc -eq 0 ]; check "audit verify" "exit 0 (chain intact)" "exit $rc" $?
events=$(wc -l <"$node/audit/events.jsonl")
"$vp" status --root "$node" >&2

# --- 5b. publish and update: the operator's TUF repository, served by nginx (a plain directory without it) ----
say "release manager: a TUF repository; nextepc-mme 0.3.10 is verified, then published; a tampered package is not"
pub="$out/pub"; node2="$out/node2"
run_cli repo init "$pub" --keys "$out/repo-keys"
run_cli repo add "$pub" pkg/nextepc-mme-0.3.10.csar --keys "$out/repo-keys" --trust pki/vendor/root.pem
ok=1; [ $rc -eq 0 ] && ok=0; check "repo add 0.3.10" "exit 0, published" "exit $rc" $ok
run_cli repo add "$pub" pkg/nextepc-mme-0.3.10-1-tampered.csar --keys "$out/repo-keys" --trust pki/vendor/root.pem
obs="exit $rc$(grep -q DIGEST_MISMATCH <<<"$log" && echo ' DIGEST_MISMATCH')"
ok=1; [ $rc -eq 1 ] && grep -q DIGEST_MISMATCH <<<"$log" && ! grep -rq tampered "$pub" && ok=0 && obs="$obs, not published"
check "repo add tampered 0.3.10-1" "exit 1 DIGEST_MISMATCH, not published" "$obs" $ok
repo_url="$pub"; served="read as the directory out/pub (nginx not installed)"
nginx_bin="$(command -v nginx || { [ -x /usr/sbin/nginx ] && echo /usr/sbin/nginx; } || true)"
if [ -n "$nginx_bin" ] && serve_nginx; then
  repo_url="http://127.0.0.1:$port/"; served="served by nginx on 127.0.0.1:$port"
  say "nginx (pid $nginx_pid) serves $pub at $repo_url"
elif [ -n "$nginx_bin" ]; then
  served="read as the directory out/pub (nginx did not start: out/nginx/error.log)"
  say "nginx did not start (out/nginx/error.log): the node reads the repository directory $pub"
  tail -3 "$out/nginx/error.log" >&2 2>/dev/null
else
  say "nginx not installed: the node reads the repository directory $pub"
fi
active2_is() { "$vp" status --root "$node2" 2>/dev/null | grep -q "^active: *nextepc-mme $1 "; }
say "a second node: its trust administrator pins the repository's first root; the node updates from the repository"
run_cli trust set --root "$node2" --trust pki/vendor/root.pem
run_cli update --root "$node2" --repo "$repo_url" --repo-root "$pub/metadata/1.root.json"
ok=1; [ $rc -eq 0 ] && active2_is 0.3.10 && ok=0
check "update node2 from the repository" "exit 0, active 0.3.10" "exit $rc$(active2_is 0.3.10 && echo ', active 0.3.10')" $ok
cp "$pub/metadata/timestamp.json" old-timestamp.json
say "release manager publishes 0.3.10-1; node2 polls"
run_cli repo add "$pub" pkg/nextepc-mme-0.3.10-1.csar --keys "$out/repo-keys" --trust pki/vendor/root.pem
run_cli update --root "$node2" --repo "$repo_url"
obs="exit $rc"; ok=1; [ $rc -eq 0 ] && active2_is 0.3.10-1 && ok=0 && obs="$obs, active 0.3.10-1"
run_cli run --root "$node2" "${env[@]}" -- usr/bin/nextepc-mmed -v
if [ $ok = 0 ] && [ $rc -eq 0 ] && grep -q "NextEPC daemon v0.3.10" <<<"$log"; then obs="$obs, runs"; else ok=1; fi
check "publish 0.3.10-1, node2 updates" "exit 0, active 0.3.10-1, runs" "$obs" $ok
say "attacker on the path replays the older genuine timestamp"
cp old-timestamp.json "$pub/metadata/timestamp.json"
run_cli update --root "$node2" --repo "$repo_url"
obs="exit $rc$(grep -q REPO_ROLLBACK <<<"$log" && echo ' REPO_ROLLBACK')"
ok=1; [ $rc -eq 1 ] && grep -q REPO_ROLLBACK <<<"$log" && active2_is 0.3.10-1 \
  && grep -q '"update.refused"' "$node2/audit/events.jsonl" && ok=0 && obs="$obs, 0.3.10-1 kept, audited"
check "replayed timestamp" "exit 1 REPO_ROLLBACK, 0.3.10-1 kept, audited" "$obs" $ok
stop_nginx

# --- 6. summary ----------------------------------------------------------------------------------------
printf '\nVeripack MME demo: nextepc-mme %s (Debian), %s audit events; repository %s\n' "$upstream" "$events" "$served"
printf '%-6s | %-36s | %-44s | %s\n' "result" "step" "expected" "observed"
printf '%s\n' "-------+--------------------------------------+----------------------------------------------+-----------------"
for r in "${results[@]}"; do IFS='|' read -r res step exp obs <<<"$r"; printf '%-6s | %-36s | %-44s | %s\n' "$res" "$step" "$exp" "$obs"; done
printf '%d passed, %d failed\n' "$pass" "$fail"
[ "$fail" -eq 0 ] && [ "$pass" -eq 17 ]
