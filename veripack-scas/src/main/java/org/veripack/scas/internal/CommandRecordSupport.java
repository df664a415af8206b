package org.veripack.scas.internal;

import org.veripack.scas.CommandRecord;

/** Small helpers around {@link CommandRecord}. */
final class CommandRecordSupport {
    private CommandRecordSupport() { }

    static String quote(String s) {
        return CommandRecord.shellQuote(s);
    }

    /** stdout and stderr of {@code r}, joined. */
    static String output(CommandRecord r) {
        return r.stdoutExcerpt() + "\n" + r.stderrExcerpt();
    }
}
