package org.veripack.core.internal.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.veripack.core.internal.csar.ZipArchive;

class PrefetchInputStreamTest {
    private final ExecutorService executor = Executors.newCachedThreadPool();

    @AfterEach
    void stop() {
        executor.shutdown();
    }

    /** A source that yields {@code bytes} bytes, then throws {@code failure} (as a corrupt zip entry does). */
    private static InputStream failingAfter(int bytes, IOException failure) {
        return new InputStream() {
            private int left = bytes;

            @Override
            public int read() throws IOException {
                if (left-- > 0) {
                    return 'a';
                }
                throw failure;
            }
        };
    }

    @Test
    void deliversEveryByteInOrderAcrossBufferBoundaries() throws IOException {
        byte[] data = new byte[PrefetchInputStream.BUFFER_BYTES * 3 + 12345];
        new Random(7).nextBytes(data);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (InputStream in = new PrefetchInputStream(new ByteArrayInputStream(data), executor)) {
            byte[] buf = new byte[70_001]; // not a divisor of the read-ahead buffer
            int n;
            while ((n = in.read(buf)) > 0) {
                out.write(buf, 0, n);
            }
            assertEquals(-1, in.read());
        }
        assertArrayEquals(data, out.toByteArray());
    }

    @Test
    void sourceFailureReachesTheReaderAfterTheBytesBeforeIt() throws IOException {
        IOException boom = new ZipArchive.MalformedEntryException("entry: corrupt entry data");
        try (InputStream in = new PrefetchInputStream(failingAfter(1000, boom), executor)) {
            assertEquals(1000, in.readNBytes(1000).length);
            IOException thrown = assertThrows(IOException.class, in::read);
            assertSame(boom, thrown); // the finding code depends on the exception's type
        }
    }

    @Test
    void transferToAfterAPartialReadWritesTheRestInOrderFromItsOwnBuffers() throws IOException {
        byte[] data = new byte[PrefetchInputStream.BUFFER_BYTES * 2 + 777];
        new Random(9).nextBytes(data);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (InputStream in = new PrefetchInputStream(new ByteArrayInputStream(data), executor)) {
            byte[] head = in.readNBytes(1001); // the rest starts inside the first buffer
            out.write(head);
            assertEquals(data.length - 1001, in.transferTo(out));
            assertEquals(-1, in.read());
        }
        assertArrayEquals(data, out.toByteArray());
    }

    @Test
    void transferToPassesTheSourceFailureOnAfterTheBytesBeforeIt() throws IOException {
        IOException boom = new ZipArchive.LimitExceededException("total inflated size exceeds the limit");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (InputStream in = new PrefetchInputStream(failingAfter(PrefetchInputStream.BUFFER_BYTES + 10, boom), executor)) {
            IOException thrown = assertThrows(IOException.class, () -> in.transferTo(out));
            assertSame(boom, thrown);
        }
        assertEquals(PrefetchInputStream.BUFFER_BYTES + 10, out.size());
    }

    @Test
    void closeBeforeTheEndStopsTheProducerAndClosesTheSource() throws IOException {
        AtomicBoolean closed = new AtomicBoolean();
        InputStream endless = new InputStream() {
            @Override
            public int read() {
                return 0;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                return len;
            }

            @Override
            public void close() {
                closed.set(true);
            }
        };
        InputStream in = new PrefetchInputStream(endless, executor);
        assertEquals(10, in.readNBytes(10).length);
        in.close();
        assertTrue(closed.get());
    }
}
