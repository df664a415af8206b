package org.veripack.core.internal;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;

import org.junit.jupiter.api.Test;

/** The start-up warm-up swallows failures in production; here every step must still run. */
class WarmUpTest {
    @Test
    void everyWarmUpStepRunsOnItsSampleCertificate() {
        assertDoesNotThrow(WarmUp::warm);
    }
}
