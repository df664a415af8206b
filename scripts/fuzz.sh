#!/usr/bin/env bash
# Long fuzzing runs (issue 5 item 4). Usage: scripts/fuzz.sh MINUTES [TARGET ...]
# TARGET is a method of veripack-core's org.veripack.core.fuzz.ParserFuzzTest:
#   csarReader | manifestParser | cmsSignature | trustPolicy   (default: all four, one after the other)
# Each target runs for MINUTES with JAZZER_FUZZ=1 (Jazzer/libFuzzer coverage-guided mode). The growing
# corpus lives in veripack-core/.cifuzz-corpus/ (not committed); a crashing, hanging or undeclared-exception
# input is written by Jazzer into veripack-core/src/test/resources/org/veripack/core/fuzz/ParserFuzzTestInputs/
# <TARGET>/ — commit it: from then on the normal `mvn verify` replays it as a regression test.
# Logs: target/fuzz/<TARGET>.log; the summary (runs, seconds, result) is printed at the end and
# appended to target/fuzz/summary.tsv. See scripts/FUZZING.md.
set -uo pipefail
cd "$(dirname "$0")/.."
minutes=${1:?usage: scripts/fuzz.sh MINUTES [csarReader|manifestParser|cmsSignature|trustPolicy ...]}
shift
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(csarReader manifestParser cmsSignature trustPolicy)
seconds=$((minutes * 60))
mkdir -p target/fuzz
offline=-o
mvn -B -q $offline -pl veripack-core test-compile >/dev/null 2>&1 || offline=
status=0
for t in "${targets[@]}"; do
  log=target/fuzz/$t.log
  echo "fuzz: $t for $minutes min -> $log"
  start=$(date +%s)
  # jazzer.internal.arg.N are libFuzzer arguments (arg.0 is argv[0]); they override @FuzzTest(maxDuration).
  JAZZER_FUZZ=1 mvn -B $offline -pl veripack-core test \
      -Dtest="ParserFuzzTest#$t" -Dsurefire.failIfNoSpecifiedTests=false \
      -Djazzer.instrument='org.veripack.**,org.apache.commons.compress.**,org.bouncycastle.**,com.fasterxml.jackson.**,org.snakeyaml.**,org.yaml.**' \
      -Djazzer.internal.arg.0=fuzz -Djazzer.internal.arg.1=-max_total_time=$seconds \
      -Djazzer.internal.arg.2=-timeout=30 >"$log" 2>&1
  rc=$?
  end=$(date +%s)
  done_line=$(grep -E '^Done [0-9]+ runs in [0-9]+ second' "$log" | tail -1)
  runs=$(echo "$done_line" | awk '{print $2}')
  secs=$(echo "$done_line" | awk '{print $5}')
  cov=$(grep -E '^#[0-9]+.*DONE' "$log" | tail -1 | grep -oE 'cov: [0-9]+ ft: [0-9]+' )
  if [ $rc -eq 0 ]; then result=ok; else result="FAILED(exit $rc)"; status=1; fi
  if grep -qE '== Java Exception|Crash|crash-[0-9a-f]+|timeout-[0-9a-f]+' "$log"; then result="$result finding(s): see $log"; status=1; fi
  line=$(printf '%s\t%s\t%s\t%s\t%s\t%s\t%s' "$(date -u +%FT%TZ)" "$t" "${runs:-?}" "${secs:-?}" "$((end - start))" "${cov:-?}" "$result")
  echo "$line" | tee -a target/fuzz/summary.tsv
done
echo "columns: when target libFuzzer-runs fuzz-seconds wall-seconds coverage result"
exit $status
