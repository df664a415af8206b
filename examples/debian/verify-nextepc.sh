#!/usr/bin/env bash
# Verifies Debian's real MME package (nextepc-mme) through the archive's OpenPGP chain with Veripack,
# using this machine's apt lists and keyring, and checks that Veripack agrees with apt:
#   InRelease (signed by the Debian archive keys) -> Packages index digest -> .deb SHA-256
# 1. genuine .deb (downloaded by apt-get, i.e. accepted by apt)  -> Veripack ACCEPTED, signer printed
# 2. the same .deb with one byte flipped                          -> Veripack REJECTED (DIGEST_MISMATCH)
# 3. the .deb's SHA-256 equals what apt-cache show reports       -> same verdict as apt
# Exit: 0 all agree; 75 lists or package cannot be fetched here (skip); 1 a wrong verdict.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
veripack="$repo/veripack"
lists=/var/lib/apt/lists
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
pkg=nextepc-mme
skip() { echo "verify-nextepc: SKIP: $*" >&2; exit 75; }
fail() { echo "verify-nextepc: FAIL: $*" >&2; exit 1; }

[ -r "$keyring" ] || skip "no $keyring (install debian-archive-keyring)"
command -v apt-get >/dev/null && command -v apt-cache >/dev/null || skip "not a Debian system (no apt-get)"

# The Packages list that holds $pkg, and the InRelease of the same suite.
find_lists() {
  packages=""; inrelease=""
  for p in "$lists"/*_Packages "$lists"/*_Packages.lz4 "$lists"/*_Packages.gz "$lists"/*_Packages.xz; do
    [ -f "$p" ] || continue
    case "$p" in
      *.lz4) cat_cmd="lz4 -dc" ;; *.gz) cat_cmd="gzip -dc" ;; *.xz) cat_cmd="xz -dc" ;; *) cat_cmd="cat" ;;
    esac
    if { $cat_cmd "$p" 2>/dev/null || true; } | grep -q "^Package: $pkg\$"; then
      packages="$p"
      # deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages.lz4 -> ..._dists_bookworm_InRelease
      base="$(basename "$p")"
      suite_prefix="${base%%_main_*}"; suite_prefix="${suite_prefix%%_contrib_*}"; suite_prefix="${suite_prefix%%_non-free*}"
      inrelease="$lists/${suite_prefix}_InRelease"
      [ -f "$inrelease" ] && return 0
    fi
  done
  return 1
}

if ! find_lists; then
  if [ "$(id -u)" = 0 ]; then
    echo "verify-nextepc: apt lists missing $pkg; running apt-get update" >&2
    apt-get update -qq >/dev/null 2>&1 || skip "apt-get update failed (no network?)"
    find_lists || skip "no apt list holds $pkg"
  else
    skip "no apt list holds $pkg and not root to run apt-get update"
  fi
fi
echo "verify-nextepc: InRelease: $inrelease"
echo "verify-nextepc: Packages:  $packages"

work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
chmod 755 "$work"
(cd "$work" && apt-get download -q "$pkg" >/dev/null 2>&1) || skip "apt-get download $pkg failed (no network?)"
deb="$(ls "$work"/${pkg}_*.deb 2>/dev/null | head -1)"
[ -n "$deb" ] || skip "apt-get download produced no .deb"
echo "verify-nextepc: apt accepted and downloaded $(basename "$deb")"

# apt's own view of the package: its SHA256 from the signed lists must equal the downloaded file's.
version="$(dpkg-deb -f "$deb" Version)"
apt_sha="$(apt-cache show "$pkg=$version" 2>/dev/null | awk '/^SHA256:/ {print $2; exit}')"
file_sha="$(sha256sum "$deb" | cut -d' ' -f1)"
[ -n "$apt_sha" ] || fail "apt-cache show gives no SHA256 for $pkg=$version"
[ "$apt_sha" = "$file_sha" ] || fail "apt's SHA256 $apt_sha differs from the downloaded file's $file_sha"

run_veripack() {
  "$veripack" verify --apt-release "$inrelease" --apt-packages "$packages" --keyring "$keyring" --json "$1" \
    >"$work/report.json" 2>"$work/err.txt"
}

# 1. genuine
run_veripack "$deb"; rc=$?
[ $rc -eq 0 ] || { cat "$work/err.txt" "$work/report.json" >&2; fail "genuine $pkg: veripack exit $rc, expected 0 (apt accepted it)"; }
python3 - "$work/report.json" "$file_sha" <<'PY' || fail "genuine report is not as expected"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["verdict"] == "ACCEPTED", r["verdict"]
assert r["packageSha256"] == sys.argv[2], "report digest differs from apt's"
for s in r["signers"]:
    print("verify-nextepc: ACCEPTED, signed by %s (%s)" % (s["fingerprintSha256"], s["subject"]))
for a in r["artifacts"]:
    print("verify-nextepc:   chain %-70s sha256 %s" % (a["path"], a["digest"]))
PY

# 2. one byte flipped in the middle of the .deb
tampered="$work/tampered_$(basename "$deb")"
cp "$deb" "$tampered"
size=$(stat -c %s "$tampered"); off=$((size / 2))
orig=$(dd if="$tampered" bs=1 skip=$off count=1 2>/dev/null | od -An -tu1 | tr -d ' ')
printf "$(printf '\\%03o' $(( (orig ^ 1) & 255 )))" | dd of="$tampered" bs=1 seek=$off count=1 conv=notrunc 2>/dev/null
cmp -s "$deb" "$tampered" && fail "could not flip a byte"
run_veripack "$tampered"; rc=$?
[ $rc -eq 1 ] || { cat "$work/err.txt" >&2; fail "tampered $pkg: veripack exit $rc, expected 1 (REJECTED)"; }
python3 - "$work/report.json" <<'PY' || fail "tampered report is not as expected"
import json, sys
r = json.load(open(sys.argv[1]))
codes = [f["code"] for f in r["findings"]]
assert r["verdict"] == "REJECTED" and "DIGEST_MISMATCH" in codes, codes
print("verify-nextepc: one byte flipped -> REJECTED %s" % codes)
PY
# apt agrees: the tampered file's SHA-256 is not the one apt's signed lists give.
[ "$(sha256sum "$tampered" | cut -d' ' -f1)" != "$apt_sha" ] || fail "apt would accept the tampered file?"
echo "verify-nextepc: OK: Veripack agrees with apt on the genuine and the tampered $pkg"
