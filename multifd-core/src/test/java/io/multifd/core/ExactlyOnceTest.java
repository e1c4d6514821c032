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

import io.multifd.api.MigrationStats;
import io.multifd.api.MultiFdConfig;
import io.multifd.api.PayloadStats;
import io.multifd.core.testkit.Harness;
import io.multifd.core.testkit.Threads;
import io.multifd.core.testkit.Transports;
import io.multifd.testing.BlobClient;
import io.multifd.testing.BlobSink;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every blob arrives exactly once, with the right bytes, over every transport, for 1 to 16
 * channels and 1 or 4 concurrent clients each with its own slot; the counters of both sides agree
 * and every thread ends.
 */
@Timeout(120)
class ExactlyOnceTest {

    static Stream<Arguments> matrix() {
        List<Arguments> args = new ArrayList<>();
        for (Transports.Kind kind : Transports.Kind.values()) {
            for (int channels : new int[] {1, 2, 4, 16}) {
                for (int clients : new int[] {1, 4}) {
                    args.add(Arguments.of(kind, channels, clients));
                }
            }
        }
        return args.stream();
    }

    @ParameterizedTest(name = "{0}, {1} channels, {2} clients")
    @MethodSource("matrix")
    void everyBlobArrivesExactlyOnce(Transports.Kind kind, int channels, int clients) throws Exception {
        Transports.Pair pair = Transports.open(kind);
        MultiFdConfig config = MultiFdConfig.builder().channels(channels).build();
        int blobsPerClient = 600;
        long seed = 1000L * channels + clients + kind.ordinal();
        MigrationStats sent;
        try (Harness h = Harness.connect(config, pair.listener(), pair.connector())) {
            ExecutorService pool = Executors.newFixedThreadPool(clients);
            try {
                List<Future<Long>> futures = new ArrayList<>();
                for (int c = 0; c < clients; c++) {
                    int client = c;
                    futures.add(pool.submit(() -> {
                        BlobClient bc = h.client();
                        SplittableRandom rnd = new SplittableRandom(seed + client);
                        long bytes = 0;
                        for (int i = 0; i < blobsPerClient; i++) {
                            int len = rnd.nextInt(0, 3000);
                            bc.add((long) client * 1_000_000 + i, 1, len);
                            bytes += len;
                            if (i % 250 == 249) {
                                bc.flush();
                                h.sender.sync();
                            }
                        }
                        bc.flush();
                        return bytes;
                    }));
                }
                long bytes = 0;
                for (Future<Long> f : futures) {
                    bytes += f.get();
                }
                sent = h.sender.finish();
                assertThat(sent.rawBytes()).isEqualTo(bytes);
            } finally {
                pool.shutdownNow();
            }
            MigrationStats received = h.receiver.await();
            BlobSink sink = h.sink;
            assertThat(sink.corrupt()).as("blobs with wrong bytes").isZero();
            assertThat(sink.arrivals()).hasSize(clients * blobsPerClient);
            assertThat(sink.arrivals().values()).allSatisfy(l -> assertThat(l).hasSize(1));
            assertThat(received.rawBytes()).isEqualTo(sent.rawBytes());
            assertThat(received.packets()).isEqualTo(sent.packets());
            assertThat(received.perChannel()).hasSize(channels);
            PayloadStats blob = received.payload("blob").orElseThrow();
            assertThat(blob.items()).isEqualTo((long) clients * blobsPerClient);
            assertThat(sent.payload("blob").orElseThrow().items()).isEqualTo((long) clients * blobsPerClient);
            assertThat(sink.setupLength()).isEqualTo(3);
        }
        assertThat(Threads.awaitNone(5)).as("multifd threads alive after the migration").isEmpty();
        if (pair.socketFile() != null) {
            assertThat(pair.socketFile()).doesNotExist();
        }
    }
}
