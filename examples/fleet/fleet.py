#!/usr/bin/env python3
"""Measurements and report of examples/fleet/run.sh (standard library only).

Every phase reads WORK/agents.json (one entry per agent: name, index, metrics port, JVM pid, role "fleet" or
"canary") and writes its results as WORK/<phase>.json; `report` turns them and nginx's access log into the
Markdown table (stdout), WORK/fleet.html (a status page built from Prometheus' HTTP API) and WORK/fleet.svg.
    fleet.py WORK idle-start|idle-end
    fleet.py WORK wait-update T0 TIMEOUT        exit 1 when the fleet did not converge (or the canary not roll back)
    fleet.py WORK wait-alert T1 PROMPORT TIMEOUT exit 1 when VeripackInstallationTampered did not fire
    fleet.py WORK wait-checks AFTER TIMEOUT      durations of verify-installed runs that started after AFTER
    fleet.py WORK report PROMPORT
"""
import html
import json
import os
import re
import signal
import statistics
import sys
import time
import urllib.parse
import urllib.request

WORK = sys.argv[1]
CLK_TCK = os.sysconf("SC_CLK_TCK")
LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})? (\S+)')


def load(name, default=None):
    p = os.path.join(WORK, name + ".json")
    if not os.path.exists(p):
        return default
    with open(p) as f:
        return json.load(f)


def save(name, value):
    with open(os.path.join(WORK, name + ".json"), "w") as f:
        json.dump(value, f, indent=1)


AGENTS = load("agents", [])


def scrape(port):
    """The agent's own /metrics (text format) as {(name, labels): value}; {} when it does not answer."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
            text = r.read().decode()
    except OSError:
        return {}
    out = {}
    for line in text.splitlines():
        m = LINE.match(line)
        if m:
            out[(m.group(1), m.group(3) or "")] = float(m.group(4))
    return out


def version(metrics):
    for (name, labels), _ in metrics.items():
        if name == "veripack_active_package_info":
            m = re.search(r'version="([^"]*)"', labels)
            return m.group(1) if m else None
    return None


def value(metrics, name, labels=""):
    return metrics.get((name, labels), 0.0)


def proc(pid):
    """(utime + stime in seconds, VmRSS in KiB, RssAnon in KiB) of a process, from /proc (proc(5)). RssAnon is the
    private part; the rest of VmRSS is file pages (libjvm, the class-data archive, the jar) the agents share."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / CLK_TCK  # fields 14 and 15 of proc(5), after pid and comm
    kib = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(("VmRSS:", "RssAnon:")):
                kib[line.split(":")[0]] = int(line.split()[1])
    return cpu, kib.get("VmRSS", 0), kib.get("RssAnon", 0)


def idle(phase):
    snap = {"t": time.time(), "agents": {}}
    for a in AGENTS:
        cpu, rss, anon = proc(a["pid"])
        m = scrape(a["port"])
        polls = sum(v for (n, _), v in m.items() if n == "veripack_updates_total")
        snap["agents"][a["name"]] = {"cpu": cpu, "rss_kib": rss, "anon_kib": anon, "polls": polls}
    save(phase, snap)


def wait_update(t0, timeout):
    """Until every fleet agent runs 2.0 and the canary rolled 2.0 back to 1.0 (its health check fails 2.0)."""
    reached, canary_back = {}, None
    while time.time() - t0 < timeout:
        for a in AGENTS:
            m = scrape(a["port"])
            v = version(m)
            if a["role"] == "fleet" and v == "2.0" and a["name"] not in reached:
                reached[a["name"]] = round(time.time() - t0, 1)
            if a["role"] == "canary" and canary_back is None and v == "1.0" \
                    and value(m, "veripack_rollbacks_total") >= 1:
                canary_back = round(time.time() - t0, 1)
        fleet = [a for a in AGENTS if a["role"] == "fleet"]
        if len(reached) == len(fleet) and canary_back is not None:
            break
        time.sleep(0.5)
    result = {"t0": t0, "t_end": time.time(), "reached": reached, "fleet": len([a for a in AGENTS if a["role"] == "fleet"]),
              "all": max(reached.values()) if len(reached) == len([a for a in AGENTS if a["role"] == "fleet"]) else None,
              "canary_rolled_back": canary_back}
    save("update", result)
    return 0 if result["all"] is not None and canary_back is not None else 1


def prometheus(prom_port, path, **params):
    url = f"http://127.0.0.1:{prom_port}{path}"
    if params:
        url += "?" + urllib.parse.urlencode(params)
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.load(r)["data"]


def wait_alert(t1, prom_port, timeout):
    """VeripackInstallationTampered firing in Prometheus for the tampered node; also when the agent itself saw it."""
    target = next(a for a in AGENTS if a.get("tampered"))
    instance = f"127.0.0.1:{target['port']}"
    detected = fired = None
    while time.time() - t1 < timeout and fired is None:
        m = scrape(target["port"])
        if detected is None and m.get(("veripack_integrity_intact", "")) == 0:
            detected = round(time.time() - t1, 1)
        try:
            for al in prometheus(prom_port, "/api/v1/alerts")["alerts"]:
                if al["labels"].get("alertname") == "VeripackInstallationTampered" and al["state"] == "firing" \
                        and al["labels"].get("instance") == instance:
                    fired = round(time.time() - t1, 1)
        except OSError:
            pass
        time.sleep(0.5)
    save("alert", {"t1": t1, "node": target["name"], "agent_detected": detected, "fired": fired})
    return 0 if fired is not None else 1


def wait_checks(after, timeout):
    """The duration gauge of each untampered agent once its last verify-installed ran after `after`."""
    durations = {}
    end = time.time() + timeout
    while time.time() < end:
        for a in AGENTS:
            if a.get("tampered") or a["name"] in durations:
                continue
            m = scrape(a["port"])
            if value(m, "veripack_integrity_check_timestamp_seconds") > after:
                durations[a["name"]] = value(m, "veripack_integrity_check_duration_seconds")
        if len(durations) == len([a for a in AGENTS if not a.get("tampered")]):
            break
        time.sleep(1)
    save("checks", durations)
    return 0


def warm(count):
    """One untampered fleet agent verifies its slot `count` times in a row (SIGHUP: verify-installed now), so the
    JVM is warm; the durations are its veripack_integrity_check_duration_seconds after each run."""
    a = next(a for a in AGENTS if a["role"] == "fleet" and not a.get("tampered"))
    durations = []
    last = value(scrape(a["port"]), "veripack_integrity_check_timestamp_seconds")
    for _ in range(count):
        os.kill(a["pid"], signal.SIGHUP)
        end = time.time() + 20
        while time.time() < end:
            time.sleep(0.2)
            m = scrape(a["port"])
            if value(m, "veripack_integrity_check_timestamp_seconds") > last:
                last = value(m, "veripack_integrity_check_timestamp_seconds")
                durations.append(value(m, "veripack_integrity_check_duration_seconds"))
                break
        time.sleep(0.5)
    save("warm", {"node": a["name"], "durations": durations})
    return 0


def access_log():
    """nginx's log (format: msec agent-prefix status bytes_sent) as a list of (time, agent, bytes)."""
    rows = []
    with open(os.path.join(WORK, "nginx", "access.log")) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 4:
                rows.append((float(parts[0]), parts[1], int(parts[3])))
    return rows


def traffic(rows, start, end, names):
    req = {n: 0 for n in names}
    sent = {n: 0 for n in names}
    for t, agent, b in rows:
        if start <= t <= end and agent in req:
            req[agent] += 1
            sent[agent] += b
    return req, sent


def mean(xs):
    return sum(xs) / len(xs) if xs else 0


def span(xs, fmt="{:.0f}"):
    return f"{fmt.format(mean(xs))} ({fmt.format(min(xs))}-{fmt.format(max(xs))})" if xs else "n/a"


def report(prom_port):
    upd, alert, checks, hot = load("update", {}), load("alert", {}), load("checks", {}), load("warm", {})
    s, e = load("idle-start"), load("idle-end")
    fleet = [a["name"] for a in AGENTS if a["role"] == "fleet"]
    canary = next((a["name"] for a in AGENTS if a["role"] == "canary"), None)
    prefix = {a["name"]: a["agent"] for a in AGENTS}  # nginx's log names an agent by its URL prefix
    rows = access_log()
    idle_s = e["t"] - s["t"]
    ireq, isent = traffic(rows, s["t"], e["t"], [prefix[n] for n in fleet])
    polls = {n: e["agents"][n]["polls"] - s["agents"][n]["polls"] for n in fleet}
    per_poll_req = [ireq[prefix[n]] / polls[n] for n in fleet if polls[n]]
    per_poll_bytes = [isent[prefix[n]] / polls[n] for n in fleet if polls[n]]
    ureq, usent = traffic(rows, upd.get("t0", 0), upd.get("t_end", 0), [prefix[n] for n in fleet])
    rss = [e["agents"][n]["rss_kib"] / 1024 for n in e["agents"]]
    anon = [e["agents"][n]["anon_kib"] / 1024 for n in e["agents"]]
    cpu_h = [(e["agents"][n]["cpu"] - s["agents"][n]["cpu"]) / idle_s * 3600 for n in e["agents"]]
    end_rss = [proc(a["pid"])[1] / 1024 for a in AGENTS if os.path.exists(f"/proc/{a['pid']}")]
    durations = [v * 1000 for v in checks.values() if v > 0]
    warm_ms = [v * 1000 for v in hot.get("durations", [])[5:]]  # the first five warm it up
    cfg = load("config", {})
    conv = upd.get("all")
    table = [
        ("agents (own node root, JVM, metrics port) + canary", f"{len(fleet)} + 1"),
        (f"time until all {len(fleet)} run 2.0 after `repo add` (poll interval {cfg.get('interval')} + jitter 0..{cfg.get('jitter')})",
         f"{conv} s (first {min(upd['reached'].values()) if upd.get('reached') else 'n/a'} s, median "
         f"{statistics.median(upd['reached'].values()) if upd.get('reached') else 'n/a'} s)" if conv is not None
         else f"NOT CONVERGED ({len(upd.get('reached', {}))} of {len(fleet)})"),
        ("canary (health check fails 2.0) back on 1.0 by itself, after `repo add`",
         f"{upd.get('canary_rolled_back')} s" if upd.get("canary_rolled_back") is not None else "NO ROLLBACK"),
        (f"idle poll, per agent ({idle_s:.0f} s window, {mean(list(polls.values())):.1f} polls each): requests, bytes served",
         f"{span(per_poll_req, '{:.1f}')} requests, {span(per_poll_bytes)} bytes per poll"),
        ("update to 2.0, per agent: requests, bytes served (from `repo add` until all converged)",
         f"{span(list(ureq.values()), '{:.1f}')} requests, {span(list(usent.values()))} bytes"),
        (f"slot file of {alert.get('node')} modified -> VeripackInstallationTampered firing (integrityInterval "
         f"{cfg.get('integrityInterval')}, scrape and evaluation {cfg.get('scrape')})",
         (f"{alert['fired']} s (the agent's own metric: {alert.get('agent_detected')} s)" if alert.get("fired") is not None
          else "NOT FIRED")),
        (f"idle agent RSS, VmRSS median (min-max) of {len(rss)} JVMs, VERIPACK_JAVA_OPTS={cfg.get('java_opts')}",
         f"{statistics.median(rss):.0f} MiB ({min(rss):.0f}-{max(rss):.0f}); private (RssAnon) {statistics.median(anon):.0f} MiB"
         if rss else "n/a"),
        ("agent RSS at the end (after the update and the integrity checks), median",
         f"{statistics.median(end_rss):.0f} MiB" if end_rss else "n/a"),
        (f"idle agent CPU, utime+stime over the {idle_s:.0f} s window scaled to an hour, median (min-max) "
         f"(at this run's poll and integrity intervals)",
         f"{statistics.median(cpu_h):.0f} s/h ({min(cpu_h):.0f}-{max(cpu_h):.0f})" if cpu_h else "n/a"),
        ("verify-installed of the 2.0 slot (1 MiB artifact), first run after the update, each agent: "
         "veripack_integrity_check_duration_seconds median (min-max)",
         f"{statistics.median(durations):.0f} ms ({min(durations):.0f}-{max(durations):.0f})" if durations else "n/a"),
        (f"warm agent ({hot.get('node')}): {len(hot.get('durations', []))} verify-installed runs in a row (SIGHUP), "
         "median (min)", f"{statistics.median(warm_ms):.0f} ms ({min(warm_ms):.0f})" if warm_ms else "n/a"),
    ]
    print("| measure | value |")
    print("|---|---|")
    for k, v in table:
        print(f"| {k} | {v} |")
    try:
        nodes = fleet_from_prometheus(prom_port)
        alerts = prometheus(prom_port, "/api/v1/alerts")["alerts"]
    except OSError as ex:
        print(f"fleet: Prometheus did not answer ({ex}); no fleet.html", file=sys.stderr)
        return
    svg = write_svg(nodes, len(fleet), conv, alert.get("fired"), alerts)
    write_html(table, nodes, alerts, svg)


def fleet_from_prometheus(prom_port):
    """One row per scraped agent from Prometheus' query API: instance -> node, version, intact, rollbacks..."""
    names = {f"127.0.0.1:{a['port']}": a["name"] for a in AGENTS}
    nodes = {i: {"node": n, "version": "", "intact": None, "rollbacks": 0, "up": 0, "poll_age": None, "check_ms": None,
                 "results": {}} for i, n in names.items()}

    def q(expr):
        return prometheus(prom_port, "/api/v1/query", query=expr)["result"]
    for r in q('up{job="veripack"}'):
        nodes.setdefault(r["metric"]["instance"], {}).update(up=int(float(r["value"][1])))
    for r in q("veripack_active_package_info"):
        nodes[r["metric"]["instance"]]["version"] = r["metric"].get("version", "")
    for r in q("veripack_integrity_intact"):
        nodes[r["metric"]["instance"]]["intact"] = int(float(r["value"][1]))
    for r in q("veripack_rollbacks_total"):
        nodes[r["metric"]["instance"]]["rollbacks"] = int(float(r["value"][1]))
    for r in q("time() - veripack_update_poll_timestamp_seconds"):
        nodes[r["metric"]["instance"]]["poll_age"] = float(r["value"][1])
    for r in q("veripack_integrity_check_duration_seconds * 1000"):
        nodes[r["metric"]["instance"]]["check_ms"] = float(r["value"][1])
    for r in q("veripack_updates_total > 0"):
        nodes[r["metric"]["instance"]]["results"][r["metric"]["result"]] = int(float(r["value"][1]))
    return sorted(nodes.values(), key=lambda n: n.get("node", ""))


def state(n):
    if n.get("intact") == 0:
        return "tampered", "#d9534f"
    if n.get("rollbacks"):
        return "rolled back", "#f0ad4e"
    if not n.get("up"):
        return "down", "#777777"
    return "ok", "#5cb85c"


def write_html(table, nodes, alerts, svg):
    e = html.escape
    rows = []
    for n in nodes:
        st, colour = state(n)
        results = ", ".join(f"{k} {v}" for k, v in sorted(n["results"].items()))
        intact = "" if n["intact"] is None else n["intact"]
        poll = "" if n["poll_age"] is None else "%.0f s ago" % n["poll_age"]
        check = "" if n["check_ms"] is None else "%.0f" % n["check_ms"]
        rows.append(f'<tr><td>{e(n["node"])}</td><td style="background:{colour};color:#fff">{e(st)}</td>'
                    f'<td>{e(n["version"])}</td><td>{intact}</td><td>{n["rollbacks"]}</td>'
                    f'<td>{poll}</td><td>{check}</td><td>{e(results)}</td></tr>')
    node_of = {f"127.0.0.1:{a['port']}": a["name"] for a in AGENTS}
    firing = [f'<li><b>{e(a["labels"].get("alertname", ""))}</b> {e(a["state"])} on '
              f'{e(node_of.get(a["labels"].get("instance", ""), "?"))}: {e(a.get("annotations", {}).get("summary", ""))}</li>'
              for a in alerts]
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>Veripack fleet</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:3px 8px;text-align:left}}</style>
</head><body><h1>Veripack fleet</h1><p>Built {e(time.strftime('%Y-%m-%d %H:%M:%S %Z'))} by examples/fleet/run.sh from Prometheus' HTTP API
(<code>/api/v1/query</code>, <code>/api/v1/alerts</code>).</p>
{svg}<h2>Alerts</h2><ul>{''.join(firing) or '<li>none</li>'}</ul>
<h2>Nodes</h2><table><tr><th>node</th><th>state</th><th>version</th><th>intact</th><th>rollbacks</th><th>last poll</th>
<th>verify-installed ms</th><th>polls by result</th></tr>{''.join(rows)}</table>
<h2>Run</h2><table>{''.join(f'<tr><td>{e(k)}</td><td>{e(str(v))}</td></tr>' for k, v in table)}</table></body></html>
"""
    with open(os.path.join(WORK, "fleet.html"), "w") as f:
        f.write(page)


def write_svg(nodes, fleet_n, conv, fired, alerts):
    """Tiles, one per node, coloured by state: the picture of docs/guide.md and the README."""
    cols, w, h, pad = 11, 74, 46, 6
    rows_n = (len(nodes) + cols - 1) // cols
    width, height = cols * (w + pad) + pad, rows_n * (h + pad) + pad + 80
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="11">',
           f'<rect width="{width}" height="{height}" fill="#fff"/>']
    for k, n in enumerate(nodes):
        x, y = pad + (k % cols) * (w + pad), pad + (k // cols) * (h + pad)
        st, colour = state(n)
        out.append(f'<rect x="{x}" y="{y}" width="{w}" height="{h}" rx="4" fill="{colour}"/>'
                   f'<text x="{x + 6}" y="{y + 16}" fill="#fff" font-weight="bold">{html.escape(n["node"])}</text>'
                   f'<text x="{x + 6}" y="{y + 30}" fill="#fff">{html.escape(n["version"])}</text>'
                   f'<text x="{x + 6}" y="{y + 42}" fill="#fff">{html.escape(st)}</text>')
    y = rows_n * (h + pad) + pad + 18
    out.append(f'<text x="{pad}" y="{y}">{fleet_n} agents + 1 canary, one nginx, one Prometheus: all on 2.0 {conv} s after '
               f'repo add; the canary failed its health check and rolled back by itself.</text>')
    out.append(f'<text x="{pad}" y="{y + 16}">A slot file modified: VeripackInstallationTampered firing after {fired} s. '
               f'Green ok, amber rolled back, red tampered.</text>')
    node_of = {f"127.0.0.1:{a['port']}": a["name"] for a in AGENTS}
    firing = ", ".join(f'{a["labels"].get("alertname")} on {node_of.get(a["labels"].get("instance"), "?")}'
                       for a in alerts if a.get("state") == "firing")
    out.append(f'<text x="{pad}" y="{y + 32}">Prometheus alerts firing: {html.escape(firing or "none")}</text>')
    out.append("</svg>")
    with open(os.path.join(WORK, "fleet.svg"), "w") as f:
        f.write("\n".join(out) + "\n")
    return "\n".join(out)


if __name__ == "__main__":
    phase, args = sys.argv[2], sys.argv[3:]
    if phase in ("idle-start", "idle-end"):
        idle(phase)
    elif phase == "wait-update":
        sys.exit(wait_update(float(args[0]), float(args[1])))
    elif phase == "wait-alert":
        sys.exit(wait_alert(float(args[0]), args[1], float(args[2])))
    elif phase == "wait-checks":
        sys.exit(wait_checks(float(args[0]), float(args[1])))
    elif phase == "warm":
        sys.exit(warm(int(args[0])))
    elif phase == "report":
        report(args[0])
    else:
        sys.exit(f"fleet.py: unknown phase {phase}")
