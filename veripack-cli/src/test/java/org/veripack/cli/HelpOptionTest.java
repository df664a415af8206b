package org.veripack.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.veripack.cli.SignVerifyCommandTest.Run;

/**
 * {@code X --help} works for every registered subcommand (and {@code audit verify}),
 * even those with required options: exit 0, the usage text on stdout, nothing on stderr.
 */
class HelpOptionTest {
    @Test
    void helpWorksOnEverySubcommandDespiteRequiredOptions() {
        List<List<String>> commands = new ArrayList<>();
        Main.SUBCOMMANDS.keySet().forEach(name -> commands.add(List.of(name)));
        commands.add(List.of("audit", "verify"));
        assertTrue(commands.size() >= 11, commands.toString());
        for (List<String> command : commands) {
            for (String help : List.of("--help", "-h")) {
                List<String> args = new ArrayList<>(command);
                args.add(help);
                Run r = SignVerifyCommandTest.run(args.toArray(String[]::new));
                assertEquals(ExitCode.OK, r.exit(), args + ": " + r.err());
                assertTrue(r.out().startsWith("Usage: veripack " + String.join(" ", command)), args + ": " + r.out());
                assertEquals("", r.err(), args.toString());
            }
        }
    }
}
