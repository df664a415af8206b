#!/usr/bin/env bash
# Veripack's own benchmark (issue 7): builds its fixtures with `veripack sign`, runs every case a few
# times after a warm-up, interleaving Veripack and its peer so both see the same machine load, and
# prints one line per case with the medians and the ratio to the peer measured in the same run.
#
# Usage: bench/run.sh [-n RUNS] [--keep] [--only CASE[,CASE...]]
#   -n RUNS   timed runs per command after one warm-up (default 5; medians are reported)
#   --keep    keep the fixtures under bench/out/ (about 13 GB) for the next run; default: delete them
#   --only    run only the named cases: stored floor deflated multi detached install guard small rss
# Needs: java 17, mvn (the launcher builds the CLI), openssl, unzip, /usr/bin/time; hyperfine is
# installed with apt-get when missing and possible (used for the start-up case), else a shell loop.
# Disk: about 13 GB free under bench/out/ (the 8 GiB package for the peak-RSS case).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
cd "$here"
out="$here/bench/out"
runs=5
keep=0
only=""
while [ $# -gt 0 ]; do
  case "$1" in
    -n) runs="$2"; shift 2 ;;
    --keep) keep=1; shift ;;
    --only) only=",$2,"; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "bench: unknown argument $1" >&2; exit 2 ;;
  esac
done
want() { [ -z "$only" ] || [[ "$only" == *",$1,"* ]]; }

for tool in java openssl unzip /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is required" >&2; exit 2; }
done
if ! command -v hyperfine >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "bench: installing hyperfine (apt-get)" >&2
  apt-get install -y -qq hyperfine >/dev/null 2>&1 || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq hyperfine >/dev/null 2>&1; } || true
fi

mkdir -p "$out"
vp="$here/veripack"
"$vp" --version >/dev/null   # builds the CLI (and its class-data archive) once, outside the timings
"$vp" --version >/dev/null

GiB=$((1024 * 1024 * 1024))
MiB=$((1024 * 1024))

# ---------- fixtures (random data; CSARs written by `veripack sign`) ----------
pki() {
  [ -f "$out/pki/signer.pem" ] && return
  mkdir -p "$out/pki" && (
    cd "$out/pki"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem -days 3650 \
      -subj "/CN=Bench Root/O=Bench" -addext "basicConstraints=critical,CA:TRUE" \
      -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout signer.key -out signer.csr \
      -subj "/CN=Bench Code Signing/O=Bench" 2>/dev/null
    printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=codeSigning\n' > ext.cnf
    openssl x509 -req -in signer.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 3650 -out signer.pem -extfile ext.cnf 2>/dev/null
  )
}
sign() { # sign DIR OUT NAME [--store]
  "$vp" sign --key "$out/pki/signer.key" --cert "$out/pki/signer.pem" --csar "$1" --name "$3" --version 1.0 \
    ${4:-} --out "$2" 2>/dev/null
}
random() { head -c "$2" /dev/urandom > "$1"; }

fixtures() {
  pki
  if [ ! -f "$out/image.bin" ]; then
    echo "bench: writing 1 GiB of random data" >&2
    random "$out/image.bin" $GiB
  fi
  if want stored || want install || want guard || want rss; then
    if [ ! -f "$out/stored-1g.csar" ]; then
      mkdir -p "$out/src-stored/Artifacts" && ln -f "$out/image.bin" "$out/src-stored/Artifacts/image.bin"
      sign "$out/src-stored" "$out/stored-1g.csar" stored --store
    fi
  fi
  if want deflated && [ ! -f "$out/deflated-1g.csar" ]; then
    echo "bench: writing the 1 GiB deflated CSAR (base64 text of random data, deflated by the signer)" >&2
    mkdir -p "$out/src-deflated/Artifacts"
    (set +o pipefail; head -c $((GiB / 4 * 3)) "$out/image.bin" | base64 -w 76 | head -c $GiB > "$out/src-deflated/Artifacts/image.txt")
    sign "$out/src-deflated" "$out/deflated-1g.csar" deflated
    rm -rf "$out/src-deflated"
  fi
  if want multi && [ ! -f "$out/multi-8x128m.csar" ]; then
    mkdir -p "$out/src-multi/Artifacts"
    for i in 1 2 3 4 5 6 7 8; do random "$out/src-multi/Artifacts/part$i.bin" $((128 * MiB)); done
    sign "$out/src-multi" "$out/multi-8x128m.csar" multi --store
  fi
  if want detached && [ ! -f "$out/image.bin.p7s" ]; then
    "$vp" sign --key "$out/pki/signer.key" --cert "$out/pki/signer.pem" --detached "$out/image.bin" \
      --out "$out/image.bin.p7s" 2>/dev/null
  fi
  if want small && [ ! -f "$out/small-1m.csar" ]; then
    mkdir -p "$out/src-small/Artifacts" && random "$out/src-small/Artifacts/app.bin" $MiB
    sign "$out/src-small" "$out/small-1m.csar" small --store
  fi
  if want floor && [ ! -f "$out/Sha.class" ]; then
    # the floor of any Java program: JVM start + the JDK's SHA-256 over the file in 256 KiB reads, nothing else
    printf '%s\n' 'import java.nio.ByteBuffer; import java.nio.channels.FileChannel; import java.nio.file.Path; import java.security.MessageDigest;' \
      'public class Sha { public static void main(String[] a) throws Exception { MessageDigest md = MessageDigest.getInstance("SHA-256"); byte[] b = new byte[1 << 18];' \
      '  try (FileChannel c = FileChannel.open(Path.of(a[0]))) { int n; while ((n = c.read(ByteBuffer.wrap(b))) > 0) md.update(b, 0, n); }' \
      '  System.out.println(java.util.HexFormat.of().formatHex(md.digest())); } }' > "$out/Sha.java"
    javac -d "$out" "$out/Sha.java"
  fi
  if want small && [ ! -f "$out/Hello.class" ]; then
    printf 'public class Hello { public static void main(String[] a) { System.out.println("hello"); } }\n' > "$out/Hello.java"
    javac -d "$out" "$out/Hello.java"
  fi
  if want rss && [ ! -f "$out/stored-8g.csar" ]; then
    echo "bench: writing the 8 GiB CSAR (8 x 1 GiB stored)" >&2
    mkdir -p "$out/src-8g/Artifacts"
    for i in 1 2 3 4 5 6 7 8; do ln -f "$out/image.bin" "$out/src-8g/Artifacts/image$i.bin"; done
    sign "$out/src-8g" "$out/stored-8g.csar" big --store
  fi
}

# ---------- timing ----------
now() { date +%s%N; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.4f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# pair CASE TARGET SETUP OURS PEER: warm-up, then RUNS interleaved runs of OURS and PEER (SETUP runs
# untimed before each); prints "case ours peer ratio target".
pair() {
  local name="$1" target="$2" setup="$3" ours="$4" peer="$5" a=() b=() t i
  for ((i = 0; i <= runs; i++)); do
    eval "$setup"; t=$(now); eval "$ours" >/dev/null 2>&1 || { echo "bench: $name: veripack failed: $ours" >&2; exit 1; }
    [ $i -gt 0 ] && a+=("$(( $(now) - t ))")
    eval "$setup"; t=$(now); eval "$peer" >/dev/null 2>&1 || { echo "bench: $name: peer failed: $peer" >&2; exit 1; }
    [ $i -gt 0 ] && b+=("$(( $(now) - t ))")
  done
  local ma mb
  ma=$(printf '%s\n' "${a[@]}" | awk '{ print $1 / 1e9 }' | median)
  mb=$(printf '%s\n' "${b[@]}" | awk '{ print $1 / 1e9 }' | median)
  report "$name" "$ma" "$mb" "$target"
}
report() { # report CASE OURS PEER TARGET   (TARGET: "<= 1.10" as a ratio, or "<= 0.30 s" absolute)
  awk -v n="$1" -v a="$2" -v b="$3" -v t="$4" 'BEGIN {
    r = a / b; split(t, p, " "); lim = p[2] + 0
    ok = (p[3] == "s") ? (a <= lim) : (r <= lim)
    printf "%-34s %9.3f s %9.3f s %7.2f   %-10s %s\n", n, a, b, r, t, ok ? "met" : "MISSED" }' | tee -a "$out/results.txt"
}
rss_kib() { /usr/bin/time -v "$@" 2>&1 >/dev/null | awk -F': ' '/Maximum resident set size/ { print $2 }'; }

# ---------- cases ----------
fixtures
trust="--trust $out/pki/ca.pem"
: > "$out/results.txt"
{
  echo "# bench/run.sh $(date -u +%Y-%m-%dT%H:%M:%SZ), runs=$runs (+1 warm-up), medians"
  echo "# $(nproc) cores, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo), $(openssl version | cut -d' ' -f1-2), $(java -version 2>&1 | head -1)"
  echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
  printf '%-34s %11s %11s %7s   %-10s %s\n' "case" "veripack" "peer" "ratio" "target" "result"
} | tee "$out/results.txt"

want stored && pair "verify 1 GiB stored / dgst" "<= 1.10" ":" \
  "$vp verify $trust $out/stored-1g.csar" "openssl dgst -sha256 $out/image.bin"

want floor && pair "bare java SHA-256 1 GiB / dgst" "<= 1.10" ":" \
  "java -XX:+UseSerialGC -cp $out Sha $out/image.bin" "openssl dgst -sha256 $out/image.bin"

want deflated && pair "verify 1 GiB deflated / unzip|dgst" "<= 1.10" ":" \
  "$vp verify $trust $out/deflated-1g.csar" \
  "unzip -p $out/deflated-1g.csar Artifacts/image.txt | openssl dgst -sha256"

want multi && pair "verify 8x128 MiB stored / dgst x8" "<= 0.65" ":" \
  "$vp verify $trust $out/multi-8x128m.csar" "openssl dgst -sha256 $out/src-multi/Artifacts/part*.bin"

want detached && pair "detached 1 GiB / openssl cms" "<= 1.05" ":" \
  "$vp verify $trust $out/image.bin --signature $out/image.bin.p7s" \
  "openssl cms -verify -binary -inform DER -in $out/image.bin.p7s -content $out/image.bin -CAfile $out/pki/ca.pem -purpose any -out /dev/null"

if want install || want guard; then
  usage="$("$vp" install --help 2>&1 || true)"
  if [[ "$usage" == *--root* ]]; then
    want install && pair "install 1 GiB / unzip -q" "<= 1.30" \
      "chmod -R u+w $out/node 2>/dev/null || true; rm -rf $out/node $out/unzipped; mkdir -p $out/unzipped; $vp trust set --root $out/node $trust >/dev/null 2>&1; sync" \
      "$vp install --root $out/node $out/stored-1g.csar" \
      "unzip -q -o $out/stored-1g.csar -d $out/unzipped"
    chmod -R u+w "$out/node" 2>/dev/null || true; rm -rf "$out/node" "$out/unzipped"
    if want guard; then
      "$vp" trust set --root "$out/node" $trust >/dev/null 2>&1
      "$vp" install --root "$out/node" "$out/stored-1g.csar" >/dev/null 2>&1
      pair "guard re-verify 1 GiB / dgst" "<= 1.10" ":" \
        "$vp verify-installed --root $out/node" "openssl dgst -sha256 $out/node/current/Artifacts/image.bin"
      chmod -R u+w "$out/node" 2>/dev/null || true; rm -rf "$out/node"
    fi
  else
    echo "bench: install/guard skipped: this build has no 'veripack install'" | tee -a "$out/results.txt"
  fi
fi

if want small; then
  if command -v hyperfine >/dev/null; then
    hyperfine -N -w 3 -r $((runs * 4)) --export-json "$out/small.json" \
      "$vp verify $trust $out/small-1m.csar" "java -Xshare:auto -cp $out Hello" >/dev/null 2>&1
    ma=$(jq '.results[0].median' "$out/small.json"); mb=$(jq '.results[1].median' "$out/small.json")
    report "verify 1 MiB wall / java hello" "$ma" "$mb" "<= 0.30 s"
  else
    runs=$((runs * 4)) pair "verify 1 MiB wall / java hello" "<= 0.30 s" ":" \
      "$vp verify $trust $out/small-1m.csar" "java -cp $out Hello"
  fi
fi

if want rss; then
  for f in stored-1g stored-8g; do
    kib=$(rss_kib "$vp" verify $trust "$out/$f.csar")
    awk -v n="peak RSS verify ${f#stored-} package" -v k="$kib" 'BEGIN {
      printf "%-34s %7.1f MiB %11s %7s   %-10s %s\n", n, k / 1024, "-", "-", "<= 200 MiB", (k / 1024 <= 200) ? "met" : "MISSED" }' \
      | tee -a "$out/results.txt"
  done
fi
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out/results.txt"

if [ $keep = 0 ]; then
  find "$out" -mindepth 1 ! -name results.txt ! -name small.json -exec rm -rf {} + 2>/dev/null || true
fi
