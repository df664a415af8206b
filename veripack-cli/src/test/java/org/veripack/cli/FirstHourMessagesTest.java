package org.veripack.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.veripack.cli.SignVerifyCommandTest.Run;

/**
 * What a newcomer types in the first hour gets the exit code and the kind of message a user of the field
 * expects: a mistyped command is a usage error (exit 2) naming the closest command, never the top-level help
 * with exit 0.
 */
class FirstHourMessagesTest {
    @Test
    void unknownCommandIsAUsageErrorSuggestingTheClosestCommand() {
        for (List<String> args : List.of(List.of("verfy", "x.csar"), List.of("verifyy", "--help"), List.of("verifyy", "-h"))) {
            Run r = SignVerifyCommandTest.run(args.toArray(String[]::new));
            assertEquals(ExitCode.USAGE, r.exit(), args + ": " + r.err());
            assertEquals("", r.out(), "no help text on stdout for " + args);
            assertTrue(r.err().lines().anyMatch(l -> l.contains("'" + args.get(0) + "'")), r.err());
            assertTrue(r.err().contains("veripack verify?") || r.err().contains("veripack verify "), r.err());
            assertFalse(r.err().contains("Usage:"), r.err());
        }
        Run nested = SignVerifyCommandTest.run("audit", "verfy", "--root", "x");
        assertEquals(ExitCode.USAGE, nested.exit(), nested.err());
        assertTrue(nested.err().contains("veripack audit verify"), nested.err());
        Run option = SignVerifyCommandTest.run("verify", "--jsn", "x.csar");
        assertEquals(ExitCode.USAGE, option.exit(), option.err());
        assertTrue(option.err().contains("--json"), option.err());
    }
}
