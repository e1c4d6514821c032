/*
 * Copyright The multifd-java authors
 *
 * Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     https://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS,
 * WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 * See the License for the specific language governing permissions and
 * limitations under the License.
 */
package io.multifd.core;

import io.multifd.api.DataChecksum;
import io.multifd.api.MigrationFailedException;
import io.multifd.api.MultiFdConfig;
import io.multifd.api.MultiFdException;
import io.multifd.core.testkit.ChannelRecorder;
import io.multifd.core.testkit.Harness;
import io.multifd.core.testkit.RawClient;
import io.multifd.core.testkit.Threads;
import io.multifd.core.transport.InMemoryTransport;
import io.multifd.testing.BlobClient;
import io.multifd.testing.BlobPayload;
import io.multifd.testing.BlobSink;
import io.multifd.testing.logging.CapturedLogs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.EOFException;
import java.io.IOException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A valid one-channel stream is recorded, then replayed into fresh receivers after a seeded
 * mutation: a flipped bit, a byte set to a random value, a truncation, a duplicated or a deleted
 * chunk. Every byte of the stream is under some CRC (hello, manifest, headers, payload headers,
 * and the data with {@link DataChecksum#ALL}), so every mutated stream must fail: never
 * complete, never hang, never throw anything but the library's exceptions (or an end of stream).
 * The unmutated stream must complete with every blob intact: the control that the replay works.
 */
@Timeout(300)
class MutatedStreamTest {

    private static final int MUTATIONS = 2000;

    private final MultiFdConfig config = MultiFdConfig.builder().channels(1).dataChecksum(DataChecksum.ALL)
            .ioTimeout(Duration.ofMillis(500)).handshakeTimeout(Duration.ofMillis(500))
            .finishTimeout(Duration.ofMillis(500)).acceptTimeout(Duration.ofSeconds(5)).build();

    private byte[] record() throws Exception {
        InMemoryTransport t = InMemoryTransport.create();
        ChannelRecorder rec = new ChannelRecorder(t.connector());
        try (Harness h = Harness.connect(config, t.listener(), rec)) {
            BlobClient c = h.client();
            for (int i = 0; i < 40; i++) {
                c.add(i, 3, 100 + i * 7);
                if (i % 10 == 9) {
                    c.flush();
                    h.sender.sync();
                }
            }
            c.flush();
            h.sender.finish();
            h.receiver.await();
        }
        return rec.streams()[0]; // one channel
    }

    /** Replays {@code stream} into a fresh receiver; returns null if it completed, else the failure. */
    private Throwable replay(byte[] stream, BlobSink sink) throws Exception {
        InMemoryTransport t = InMemoryTransport.create();
        try (MultiFdReceiver receiver = MultiFdReceiver.builder(config, t.listener())
                .registry(PluginRegistry.builder().build()).payload(new BlobPayload(sink)).build().start();
             RawClient c = RawClient.connect(t.connector(), 0)) {
            try {
                c.write(stream);
                c.shutdownOutput(); // a truncated stream ends at once instead of waiting for the I/O timeout
            } catch (IOException e) {
                // the receiver may have closed early: fine
            }
            try {
                receiver.await(Duration.ofSeconds(15));
                return null;
            } catch (MigrationFailedException e) {
                return e.getCause();
            }
        }
    }

    private static byte[] mutate(byte[] s, SplittableRandom r) {
        int at = r.nextInt(s.length);
        switch (r.nextInt(5)) {
            case 0 -> {
                byte[] m = s.clone();
                m[at] ^= (byte) (1 << r.nextInt(8));
                return m;
            }
            case 1 -> {
                byte[] m = s.clone();
                byte v;
                do {
                    v = (byte) r.nextInt(256);
                } while (v == m[at]);
                m[at] = v;
                return m;
            }
            case 2 -> {
                return Arrays.copyOf(s, at);
            }
            case 3 -> {
                int len = 1 + r.nextInt(Math.min(64, s.length - at));
                byte[] m = new byte[s.length + len];
                System.arraycopy(s, 0, m, 0, at + len);
                System.arraycopy(s, at, m, at + len, s.length - at);
                return m;
            }
            default -> {
                int len = 1 + r.nextInt(Math.min(64, s.length - at));
                byte[] m = new byte[s.length - len];
                System.arraycopy(s, 0, m, 0, at);
                System.arraycopy(s, at + len, m, at, s.length - at - len);
                return m;
            }
        }
    }

    @Test
    void everyMutatedStreamFailsCleanlyAndTheOriginalCompletes(CapturedLogs logs) throws Exception {
        byte[] stream = record();
        assertThat(stream.length).isGreaterThan(5000);

        BlobSink control = new BlobSink();
        assertThat(replay(stream, control)).as("the unmutated stream").isNull();
        assertThat(control.arrivals()).hasSize(40);
        assertThat(control.corrupt()).isZero();

        SplittableRandom r = new SplittableRandom(20261126);
        int completed = 0;
        int failed = 0;
        for (int i = 0; i < MUTATIONS; i++) {
            long seed = r.nextLong();
            byte[] m = mutate(stream, new SplittableRandom(seed));
            if (Arrays.equals(m, stream)) {
                continue;
            }
            BlobSink sink = new BlobSink();
            Throwable f = replay(m, sink);
            if (f == null) {
                completed++;
                continue;
            }
            failed++;
            assertThat(f).as("mutation %d (seed %d): the failure must be the library's or an end of stream", i, seed)
                    .isInstanceOfAny(MultiFdException.class, EOFException.class);
            assertThat(sink.corrupt()).as("mutation %d: no blob applied with wrong bytes", i).isZero();
        }
        assertThat(completed).as("mutated streams that completed").isZero();
        assertThat(failed).as("mutated streams replayed").isGreaterThan(MUTATIONS * 9 / 10);
        assertThat(Threads.awaitNone(5)).isEmpty();
        // every failed replay was reported once in the log (all threads have ended: nothing is still to come)
        assertThat(logs.records(System.Logger.Level.WARNING).stream().filter(e -> e.message().contains(" failed: ")))
                .as("failures logged").hasSize(failed);
        logs.assertLogged(System.Logger.Level.WARNING, "failed: channel 0, stream offset 71, field 'packet.data crc'");
    }
}
