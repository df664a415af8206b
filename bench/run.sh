#!/usr/bin/env bash
# Veripack's own benchmark: builds its fixtures with `veripack sign`, runs every case a few times after a
# warm-up, interleaving Veripack, its peer and the bare-hash baseline (bench/BareHash.java: JVM start + the
# JDK's SHA-256 over the same input, nothing else) so all three see the same machine load, and prints one
# line per case with the medians of wall time and of CPU time (user + sys, /usr/bin/time) and the ratios of
# Veripack to the peer and to the baseline measured in the same run.
#
# Usage: bench/run.sh [-n RUNS] [--keep] [--only CASE[,CASE...]]
#   -n RUNS   timed runs per command after one warm-up (default 5; medians are reported)
#   --keep    keep the fixtures under bench/out/ (about 13 GB) for the next run; default: delete them
#   --only    run only the named cases: stored floor minimal deflated multi detached install guard small rss
# VERIPACK=PATH runs another checkout's launcher (e.g. the tree before a change) against the same fixtures.
# Needs: java 17 (java, javac), mvn (the launcher builds the CLI), openssl, unzip, /usr/bin/time (GNU).
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
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "bench: unknown argument $1" >&2; exit 2 ;;
  esac
done
want() { [ -z "$only" ] || [[ "$only" == *",$1,"* ]]; }

for tool in java javac openssl unzip /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is required" >&2; exit 2; }
done

mkdir -p "$out"
vp="${VERIPACK:-$here/veripack}"
"$vp" --version >/dev/null   # builds the CLI (and its class-data archive) once, outside the timings
"$vp" --version >/dev/null

jvm="-XX:+UseSerialGC -Xms128m -Xmx512m"   # the launcher's heap and GC options (../veripack)
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

# the minimal JVM verifier (bench/MinimalVerifier.java) in its own jar, with a signature over a small file
# and a class-data archive of its classes: the same start-up aids as Veripack's launcher (AppCDS, JEP 310)
minimal_fixture() {
  local m="$out/minimal" cli_jar
  cli_jar="$(cd "$(dirname "$(readlink -f "$vp")")" && pwd)/veripack-cli/target/veripack-cli.jar"
  if [ ! -f "$m/minimal-cli.jar" ] || [ "$here/bench/MinimalVerifier.java" -nt "$m/minimal.jar" ] ||
     [ "$here/bench/MinimalCliVerifier.java" -nt "$m/minimal-cli.jar" ] || [ "$cli_jar" -nt "$m/minimal-cli.jar" ]; then
    rm -rf "$m" && mkdir -p "$m/classes" "$m/cli-classes"
    javac -d "$m/classes" "$here/bench/MinimalVerifier.java"
    (cd "$m/classes" && jar cf "$m/minimal.jar" ./*.class)
    # the CLI variant: the same verifier behind a picocli command line, picocli's classes from the CLI's jar
    javac -cp "$cli_jar" -d "$m/cli-classes" "$here/bench/MinimalVerifier.java" "$here/bench/MinimalCliVerifier.java"
    (cd "$m/cli-classes" && unzip -q "$cli_jar" 'picocli/*' && jar cf "$m/minimal-cli.jar" .)
    head -c 1024 /dev/urandom > "$m/signed.bin"
    openssl dgst -sha256 -sign "$out/pki/signer.key" -out "$m/signed.sig" "$m/signed.bin"
    java $jvm -XX:DumpLoadedClassList="$m/classes.lst" -cp "$m/minimal.jar" MinimalVerifier "$out/pki/ca.pem" \
      "$out/pki/ca.pem" "$out/pki/signer.pem" "$m/signed.sig" "$m/signed.bin" >/dev/null
    java $jvm -Xshare:dump -XX:SharedClassListFile="$m/classes.lst" -XX:SharedArchiveFile="$m/minimal.jsa" \
      -cp "$m/minimal.jar" >/dev/null 2>&1
    java $jvm -XX:DumpLoadedClassList="$m/cli-classes.lst" -cp "$m/minimal-cli.jar" MinimalCliVerifier \
      --trust "$out/pki/ca.pem" --cert "$out/pki/signer.pem" --signature "$m/signed.sig" --data "$m/signed.bin" \
      "$out/pki/ca.pem" >/dev/null
    java $jvm -Xshare:dump -XX:SharedClassListFile="$m/cli-classes.lst" -XX:SharedArchiveFile="$m/minimal-cli.jsa" \
      -cp "$m/minimal-cli.jar" >/dev/null 2>&1
  fi
}
fixtures() {
  pki
  if [ ! -f "$out/image.bin" ]; then
    echo "bench: writing 1 GiB of random data" >&2
    random "$out/image.bin" $GiB
  fi
  if want stored || want install || want guard || want rss || want minimal; then
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
  if { want small || want minimal; } && [ ! -f "$out/small-1m.csar" ]; then
    mkdir -p "$out/src-small/Artifacts" && random "$out/src-small/Artifacts/app.bin" $MiB
    sign "$out/src-small" "$out/small-1m.csar" small --store
  fi
  if [ ! -f "$out/BareHash.class" ] || [ "$here/bench/BareHash.java" -nt "$out/BareHash.class" ]; then
    javac -d "$out" "$here/bench/BareHash.java"
  fi
  if want minimal; then minimal_fixture; fi
  if [ ! -f "$out/Hello.class" ]; then
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
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.4f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# measure CMD: runs CMD under /usr/bin/time (through bash, so a pipeline's processes all count) and prints
# "WALL CPU" in seconds, CPU = user + sys of every process of CMD
measure() {
  /usr/bin/time -f '%e %U %S' -o "$out/.time" bash -c "$1" >/dev/null 2>&1 || return 1
  awk '{ printf "%s %.3f\n", $1, $2 + $3 }' "$out/.time"
}
base() { echo "java -XX:+UseSerialGC -cp $out BareHash $*"; }   # the bare-hash baseline over FILE...
# minimal FILE [JVM OPTIONS]: the minimal JVM verifier over FILE, with the launcher's heap, GC and JIT options
minimal() { local f="$1"; shift; echo "java $jvm -XX:CompileThresholdScaling=3 $* -XX:SharedArchiveFile=$out/minimal/minimal.jsa -Xlog:cds=off -cp $out/minimal/minimal.jar MinimalVerifier $f $out/pki/ca.pem $out/pki/signer.pem $out/minimal/signed.sig $out/minimal/signed.bin"; }
minimal_cli() { local f="$1"; shift; echo "java $jvm -XX:CompileThresholdScaling=3 $* -XX:SharedArchiveFile=$out/minimal/minimal-cli.jsa -Xlog:cds=off -cp $out/minimal/minimal-cli.jar MinimalCliVerifier --trust $out/pki/ca.pem --cert $out/pki/signer.pem --signature $out/minimal/signed.sig --data $out/minimal/signed.bin $f"; }
# pair CASE TARGETS SETUP OURS PEER BASE: one warm-up, then RUNS interleaved runs of OURS, PEER and BASE
# (SETUP runs untimed before each); prints the medians and ratios (see report).
pair() {
  local name="$1" target="$2" setup="$3" cmds=("$4" "$5" "$6") i k r
  local -a w0 c0 w1 c1 w2 c2
  for ((i = 0; i <= runs; i++)); do
    for k in 0 1 2; do
      eval "$setup"
      r=$(measure "${cmds[$k]}") || { echo "bench: $name: failed: ${cmds[$k]}" >&2; exit 1; }
      [ $i -gt 0 ] || continue
      eval "w$k+=(${r% *}); c$k+=(${r#* })"
    done
  done
  report "$name" "$target" \
    "$(printf '%s\n' "${w0[@]}" | median)" "$(printf '%s\n' "${c0[@]}" | median)" \
    "$(printf '%s\n' "${w1[@]}" | median)" "$(printf '%s\n' "${c1[@]}" | median)" \
    "$(printf '%s\n' "${w2[@]}" | median)" "$(printf '%s\n' "${c2[@]}" | median)"
}
# report CASE TARGETS VW VC PW PC BW BC: Veripack's, the peer's and the baseline's median wall and CPU
# seconds, then wall/peer cpu/peer wall/base cpu/base. TARGETS: space-separated KEY<=LIMIT, KEY one of
# w/p c/p w/b c/b (ratios) or w (Veripack's wall, seconds); the result is "met" when every one holds.
report() {
  awk -v n="$1" -v t="$2" -v vw="$3" -v vc="$4" -v pw="$5" -v pc="$6" -v bw="$7" -v bc="$8" 'BEGIN {
    r["w/p"] = vw / pw; r["c/p"] = vc / pc; r["w/b"] = vw / bw; r["c/b"] = vc / bc; r["w"] = vw
    ok = 1; k = split(t, conds, " ")
    for (i = 1; i <= k; i++) { split(conds[i], kv, "<="); if (r[kv[1]] > kv[2] + 0) ok = 0 }
    printf "%-36s %6.2f %6.2f  %6.2f %6.2f  %6.2f %6.2f   %5.2f %5.2f   %5.2f %5.2f   %-30s %s\n",
      n, vw, vc, pw, pc, bw, bc, r["w/p"], r["c/p"], r["w/b"], r["c/b"], t, k == 0 ? "-" : ok ? "met" : "MISSED" }' | tee -a "$out/results.txt"
}
rss_kib() { /usr/bin/time -v "$@" 2>&1 >/dev/null | awk -F': ' '/Maximum resident set size/ { print $2 }'; }

# ---------- cases ----------
fixtures
trust="--trust $out/pki/ca.pem"
one="-XX:+UseSerialGC"
: > "$out/results.txt"
{
  echo "# bench/run.sh $(date -u +%Y-%m-%dT%H:%M:%SZ), runs=$runs (+1 warm-up), medians; launcher: $vp"
  echo "# $(nproc) cores, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo), $(openssl version | cut -d' ' -f1-2), $(java -version 2>&1 | head -1)"
  echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "# seconds: wall and CPU (user+sys) of veripack, of the peer and of the bare-hash baseline over the same input"
  printf '%-36s %13s  %13s  %13s   %11s   %11s   %-30s %s\n' "case" "veripack" "peer" "baseline" "/peer" "/baseline" "target" "result"
  printf '%-36s %6s %6s  %6s %6s  %6s %6s   %5s %5s   %5s %5s\n' "" wall cpu wall cpu wall cpu wall cpu wall cpu
} | tee "$out/results.txt"

want stored && pair "verify 1 GiB stored / dgst" "w/p<=1.10 c/p<=1.20 c/b<=1.15" ":" \
  "$vp verify $trust $out/stored-1g.csar" "openssl dgst -sha256 $out/image.bin" "$(base "$out/stored-1g.csar")"

# the issue's program (1 MiB buffer) against the baseline (64 KiB, Veripack's buffer): the buffer size alone
want floor && pair "bare hash, 1 MiB buffer / dgst" "" ":" \
  "java $one -cp $out BareHash $out/image.bin 1024" "openssl dgst -sha256 $out/image.bin" "$(base "$out/image.bin")"

# the least any JVM verifier does (hash + one certificate path + one signature, JDK only; launcher's JVM
# options): the targets that this row misses cannot be met by a Java verifier on this machine
want minimal && pair "minimal JVM verifier 1 GiB / dgst" "w/p<=1.10 c/p<=1.20 c/b<=1.15" ":" \
  "$(minimal "$out/stored-1g.csar")" "openssl dgst -sha256 $out/image.bin" "$(base "$out/stored-1g.csar")"
# the same behind a picocli command line (the library Veripack's CLI uses): what a Java verifier with it costs
want minimal && pair "minimal + picocli 1 GiB / dgst" "w/p<=1.10 c/p<=1.20 c/b<=1.15" ":" \
  "$(minimal_cli "$out/stored-1g.csar")" "openssl dgst -sha256 $out/image.bin" "$(base "$out/stored-1g.csar")"

want deflated && pair "verify 1 GiB deflated / unzip|dgst" "w/p<=1.00" ":" \
  "$vp verify $trust $out/deflated-1g.csar" \
  "unzip -p $out/deflated-1g.csar Artifacts/image.txt | openssl dgst -sha256" "$(base "$out/deflated-1g.csar")"

want multi && pair "verify 8x128 MiB stored / dgst x8" "w/p<=0.65" ":" \
  "$vp verify $trust $out/multi-8x128m.csar" "openssl dgst -sha256 $out/src-multi/Artifacts/part*.bin" \
  "$(base "$out/multi-8x128m.csar")"

want detached && pair "detached 1 GiB / dgst" "w/p<=1.10 c/p<=1.20 c/b<=1.15" ":" \
  "$vp verify $trust $out/image.bin --signature $out/image.bin.p7s" "openssl dgst -sha256 $out/image.bin" \
  "$(base "$out/image.bin")"

if want install || want guard; then
  usage="$("$vp" install --help 2>&1 || true)"
  if [[ "$usage" == *--root* ]]; then
    want install && pair "install 1 GiB / unzip -q" "w/p<=0.45" \
      "chmod -R u+w $out/node 2>/dev/null || true; rm -rf $out/node $out/unzipped; mkdir -p $out/unzipped; $vp trust set --root $out/node $trust >/dev/null 2>&1; sync" \
      "$vp install --root $out/node $out/stored-1g.csar" \
      "unzip -q -o $out/stored-1g.csar -d $out/unzipped" "$(base "$out/stored-1g.csar")"
    chmod -R u+w "$out/node" 2>/dev/null || true; rm -rf "$out/node" "$out/unzipped"
    if want guard; then
      "$vp" trust set --root "$out/node" $trust >/dev/null 2>&1
      "$vp" install --root "$out/node" "$out/stored-1g.csar" >/dev/null 2>&1
      pair "guard re-verify 1 GiB / dgst" "w/p<=1.10 c/p<=1.20 c/b<=1.15" ":" \
        "$vp verify-installed --root $out/node" "openssl dgst -sha256 $out/node/current/Artifacts/image.bin" \
        "$(base "$out/node/current/Artifacts/image.bin")"
      chmod -R u+w "$out/node" 2>/dev/null || true; rm -rf "$out/node"
    fi
  else
    echo "bench: install/guard skipped: this build has no 'veripack install'" | tee -a "$out/results.txt"
  fi
fi

# start-up: 4x the runs; the peer is a bare JVM printing "hello"
want small && runs=$((runs * 4)) pair "verify 1 MiB / java hello" "w/b<=1.50 c/b<=1.50" ":" \
  "$vp verify $trust $out/small-1m.csar" "java $one -cp $out Hello" "$(base "$out/small-1m.csar")"

want minimal && runs=$((runs * 4)) pair "minimal JVM verifier 1 MiB / hello" "w/b<=1.50 c/b<=1.50" ":" \
  "$(minimal "$out/small-1m.csar" -XX:TieredStopAtLevel=1)" "java $one -cp $out Hello" "$(base "$out/small-1m.csar")"

want minimal && runs=$((runs * 4)) pair "minimal + picocli 1 MiB / hello" "w/b<=1.50 c/b<=1.50" ":" \
  "$(minimal_cli "$out/small-1m.csar" -XX:TieredStopAtLevel=1)" "java $one -cp $out Hello" "$(base "$out/small-1m.csar")"

if want rss; then
  for f in stored-1g stored-8g; do
    kib=$(rss_kib "$vp" verify $trust "$out/$f.csar")
    awk -v n="peak RSS verify ${f#stored-} package" -v k="$kib" 'BEGIN {
      printf "%-36s %6.1f MiB %66s %-30s %s\n", n, k / 1024, "", "rss<=200 MiB", (k / 1024 <= 200) ? "met" : "MISSED" }' \
      | tee -a "$out/results.txt"
  done
fi
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out/results.txt"

if [ $keep = 0 ]; then
  find "$out" -mindepth 1 ! -name results.txt -exec rm -rf {} + 2>/dev/null || true
fi
