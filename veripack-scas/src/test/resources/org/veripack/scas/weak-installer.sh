#!/bin/sh
# A deliberately weak installer for the SCAS harness tests: it unzips whatever it is given into a new
# slot and makes it current. It checks nothing (no signature, no digest, no path rule, no rollback).
#   weak-installer.sh install ROOT PACKAGE   -> exit 0, "installed"
#   weak-installer.sh status  ROOT           -> prints the active slot
#   weak-installer.sh run     ROOT           -> runs ROOT/current/bin/probe.sh when present, else exit 0
set -u
cmd=$1; root=$2
case "$cmd" in
  install)
    n=$(ls "$root/slots" 2>/dev/null | wc -l)
    slot="$root/slots/slot-$n"
    mkdir -p "$slot"
    unzip -o -qq "$3" -d "$slot" >/dev/null 2>&1
    ln -sfn "$slot" "$root/current"
    echo "installed $(basename "$3") into $slot"
    exit 0 ;;
  status)
    readlink "$root/current" || echo none ;;
  run)
    if [ -f "$root/current/bin/probe.sh" ]; then sh "$root/current/bin/probe.sh"; else exit 0; fi ;;
esac
