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
package io.multifd.core.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.multifd.api.DataChecksum;
import io.multifd.api.MultiFdConfig;
import io.multifd.api.MultiFdException;
import io.multifd.core.PluginRegistry;
import io.multifd.core.testkit.StreamReplay;
import io.multifd.core.testkit.Threads;
import io.multifd.testing.BlobPayload;
import io.multifd.testing.BlobSink;
import io.multifd.testing.fuzz.SeededFuzz;
import io.multifd.testing.logging.CapturedLogs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.EOFException;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fuzz target for a whole receiver: one input is cut into up to four channel streams
 * ({@link StreamReplay#cut}), each written into its own channel of a fresh receiver with the blob
 * payload and every data checksum on. A run must end within 2 s, either completed with every
 * blob intact or failed with the library's exception (or an end of stream); nothing else.
 *
 * <p>No class-level timeout: Jazzer turns a JUnit timeout that applies to the fuzz test into its
 * per-input limit, which the fuzzing script sets to 1 s.
 */
class ReceiverFuzzTest {

    /** Short timeouts: a damaged stream that leaves a channel waiting fails fast (a timeout is a refusal). */
    static final MultiFdConfig CONFIG = config(Duration.ofMillis(100));

    /** For the unmutated seeds, which must complete even on a loaded machine. */
    static final MultiFdConfig CONTROL = config(Duration.ofSeconds(5));

    static MultiFdConfig config(Duration timeouts) {
        return MultiFdConfig.builder().channels(4).dataChecksum(DataChecksum.ALL).ioTimeout(timeouts)
                .handshakeTimeout(timeouts).finishTimeout(timeouts).acceptTimeout(timeouts).build();
    }

    static final Duration HANG = Duration.ofSeconds(2);

    @FuzzTest(maxDuration = "120s")
    void receiver(byte[] data) throws Exception {
        BlobSink sink = new BlobSink();
        byte[][] streams = StreamReplay.cut(data, 4);
        StreamReplay.Outcome o;
        try {
            o = StreamReplay.replay(CONFIG, PluginRegistry.builder().build(), List.of(new BlobPayload(sink)), streams,
                    HANG);
        } catch (AssertionError first) {
            // over 2 s once may be a pause of a loaded machine: a hang is over 2 s again
            sink = new BlobSink();
            o = StreamReplay.replay(CONFIG, PluginRegistry.builder().build(), List.of(new BlobPayload(sink)), streams,
                    HANG);
        }
        if (o instanceof StreamReplay.Failed f) {
            Throwable c = f.cause();
            if (!(c instanceof MultiFdException || c instanceof EOFException)) {
                throw new AssertionError("the receiver failed with " + c, c);
            }
        }
        assertThat(sink.corrupt()).as("blobs applied with wrong bytes").isZero();
    }

    @Test
    @Timeout(300)
    void seededReceiver(CapturedLogs logs) throws Exception {
        List<byte[]> corpus = SeededFuzz.corpus(ReceiverFuzzTest.class, "receiver");
        assertThat(corpus).as("the seed corpus").isNotEmpty();
        for (byte[] seed : corpus) {
            BlobSink sink = new BlobSink();
            assertThat(StreamReplay.replay(CONTROL, PluginRegistry.builder().build(), List.of(new BlobPayload(sink)),
                    StreamReplay.cut(seed, 4), Duration.ofSeconds(30))).as("an unmutated seed completes").isInstanceOf(StreamReplay.Completed.class);
            assertThat(sink.arrivals()).isNotEmpty();
        }
        SeededFuzz.Summary s = SeededFuzz.run("ReceiverFuzzTest.receiver", corpus, this::receiver, t -> false,
                20261207L, 400, HANG.multipliedBy(2).plusSeconds(1));
        assertThat(s.refused()).as("runs that threw").isZero();
        assertThat(Threads.awaitNone(5)).as("threads left").isEmpty();
    }
}
