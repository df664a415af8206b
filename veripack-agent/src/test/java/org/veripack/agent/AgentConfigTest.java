package org.veripack.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent's configuration: defaults, every key read, and one clear error per kind of mistake. */
class AgentConfigTest {
    @TempDir
    Path tmp;

    private AgentConfig load(String yaml) throws Exception {
        Path f = tmp.resolve("agent.yaml");
        Files.writeString(f, yaml);
        return AgentConfig.load(f);
    }

    private String error(String yaml) {
        return assertThrows(AgentConfig.ConfigException.class, () -> load(yaml)).getMessage();
    }

    @Test
    void durationsAddressesAndWindowsPrintAsTheConfigurationWritesThem() throws Exception {
        for (String d : List.of("0s", "90s", "15m", "90m", "1h", "25h", "2d")) {
            assertEquals(d, AgentConfig.format(AgentConfig.duration(d)));
        }
        assertEquals("2h", AgentConfig.format(AgentConfig.duration("PT120M")));
        assertEquals("127.0.0.1:9850", AgentConfig.format(load("repository: {url: /r}\n").metrics()));
        assertEquals("[0:0:0:0:0:0:0:1]:9850", AgentConfig.format(load("repository: {url: /r}\nmetrics: {address: '[::1]:9850'}\n").metrics()));
        assertEquals("Mon,Wed-Fri,Sun 22:00-02:00", MaintenanceWindow.parse("Sun,Fri,Wed-Thu,Mon", "22:00-02:00").toString());
        assertEquals("Mon-Sun 00:00-24:00", MaintenanceWindow.parse("Mon-Sun", "00:00-24:00").toString());
    }

    @Test
    void defaultsAndEveryKey() throws Exception {
        AgentConfig d = load("repository: {url: 'https://repo.example/'}\n");
        assertEquals(Duration.ofHours(1), d.interval());
        assertEquals(Duration.ofMinutes(5), d.jitter());
        assertEquals(Duration.ofHours(1), d.integrityInterval());
        assertEquals(AgentConfig.TamperAction.ALERT, d.tamperAction());
        assertEquals("127.0.0.1", d.metrics().getAddress().getHostAddress());
        assertEquals(9850, d.metrics().getPort());
        assertNull(d.syslog());
        assertTrue(d.healthCommand().isEmpty());

        AgentConfig c = load(String.join("\n",
                "repository: {url: /srv/repo, package: acme-mme}",
                "interval: 15m", "jitter: PT2M", "timeZone: Europe/Berlin",
                "maintenanceWindows: [{days: Mon-Fri, hours: '02:00-04:00'}, {days: Sat, hours: '22:00-02:00'}]",
                "healthCheck: {command: [/usr/bin/pgrep, -x, mmed], timeout: 30s, delay: 10s}",
                "integrityInterval: 2h",
                "onTamper: {action: stop, stopCommand: [/usr/bin/systemctl, stop, nextepc-mmed]}",
                "metrics: {address: '[::1]:9851'}",
                "syslog: {transport: tcp, host: 127.0.0.1, port: 6514, facility: local3, queue: 50, maxMessageBytes: 4096}", ""));
        assertEquals("acme-mme", c.packageName());
        assertEquals(Duration.ofMinutes(15), c.interval());
        assertEquals(Duration.ofMinutes(2), c.jitter());
        assertEquals(2, c.windows().size());
        assertEquals(List.of("/usr/bin/pgrep", "-x", "mmed"), c.healthCommand());
        assertEquals(Duration.ofSeconds(10), c.healthDelay());
        assertEquals(AgentConfig.TamperAction.STOP, c.tamperAction());
        assertEquals(9851, c.metrics().getPort());
        assertEquals(SyslogTarget.Transport.TCP, c.syslog().target().transport());
        assertEquals(19, c.syslog().facility());
        assertEquals(50, c.syslog().queue());
        assertNull(load("repository: {url: /r}\nmetrics: {address: off}\n").metrics());
        assertEquals(Path.of("/run/rsyslog.sock"),
                load("repository: {url: /r}\nsyslog: {transport: unix, socket: /run/rsyslog.sock}\n").syslog().target().socket());
    }

    @Test
    void eachMistakeIsOneLineNamingTheKey() {
        assertTrue(error("repository: {url: /r}\nintervall: 1h\n").contains("unknown key intervall"), "typo");
        assertTrue(error("repository: {url: /r}\nsyslog: {transport: udp, prot: 514}\n").contains("unknown key syslog.prot"));
        assertTrue(error("interval: 1h\n").contains("repository: required"));
        assertTrue(error("repository: {url: 'ftp://repo.example/acme/'}\n").contains("repository.url ftp://repo.example/acme/: unsupported scheme ftp"));
        assertTrue(error("repository: {url: 'file:///etc'}\n").contains("unsupported scheme file"));
        assertTrue(error("repository: {url: 'http://[::1'}\n").contains("repository.url http://[::1: not a valid URL"));
        assertTrue(error("repository: {url: /r}\ninterval: 1 hour\n").contains("interval: not a duration: 1 hour"));
        assertTrue(error("repository: {url: /r}\ninterval: 5s\n").contains("interval: at least 10s"));
        assertTrue(error("repository: {url: /r}\nmaintenanceWindows: [{days: Mon-Fry, hours: '02:00-04:00'}]\n").contains("unknown day Fry"));
        assertTrue(error("repository: {url: /r}\nmaintenanceWindows: [{days: Mon, hours: '2-4'}]\n").contains("hours: 2-4"));
        assertTrue(error("repository: {url: /r}\ntimeZone: Mars/Olympus\n").contains("timeZone: unknown zone Mars/Olympus"));
        assertTrue(error("repository: {url: /r}\nonTamper: {action: stop}\n").contains("onTamper.stopCommand: required"));
        assertTrue(error("repository: {url: /r}\nonTamper: {action: reboot}\n").contains("onTamper.action: alert or stop"));
        assertTrue(error("repository: {url: /r}\nhealthCheck: {command: pgrep mmed}\n").contains("healthCheck.command: expected a list"));
        assertTrue(error("repository: {url: /r}\nhealthCheck: {command: [pgrep, mmed]}\n").contains("absolute path"));
        assertTrue(error("repository: {url: /r}\nmetrics: {address: localhost}\n").contains("metrics.address: HOST:PORT"));
        assertTrue(error("repository: {url: /r}\nsyslog: {facility: kernel}\n").contains("syslog.facility: one of kern"));
        assertTrue(error("repository: {url: /r}\nsyslog: {port: 70000}\n").contains("syslog.port: expected a whole number 1-65535"));
        assertTrue(error("repository: {url: /r}\nsyslog: {transport: unix}\n").contains("syslog.socket: required"));
        assertTrue(error("repository: [x\n").contains("not YAML"));
        for (String yaml : List.of("repository: {url: /r}\nintervall: 1h\n", "repository: [x\n", "- a\n- b\n")) {
            String m = error(yaml);
            assertTrue(m.startsWith(tmp.resolve("agent.yaml").toString()), m);
            assertEquals(1, m.lines().count(), m);
        }
    }
}
