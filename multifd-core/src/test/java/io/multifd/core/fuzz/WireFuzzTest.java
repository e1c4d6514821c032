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
import io.multifd.api.MalformedPacketException;
import io.multifd.api.ProtocolCode;
import io.multifd.api.RemoteFailureException;
import io.multifd.core.testkit.WireRepair;
import io.multifd.core.wire.ByteSource;
import io.multifd.core.wire.Crc;
import io.multifd.core.wire.EndExchange;
import io.multifd.core.wire.Hello;
import io.multifd.core.wire.Manifest;
import io.multifd.core.wire.PacketReader;
import io.multifd.core.wire.Reply;
import io.multifd.core.wire.Wire;
import io.multifd.testing.fuzz.SeededFuzz;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.EOFException;
import java.nio.ByteBuffer;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fuzz targets for every message parser a peer reaches before a payload plug-in sees anything:
 * hello, reply, manifest, and the packet stream (packet headers, control packets, payload header
 * CRCs, data lengths and data CRCs; the raw path of codec {@code none}). Each target parses its
 * input as is and again with the CRCs repaired, so mutations reach the fields behind the
 * checksums. The only acceptable outcomes are success, a {@link MalformedPacketException}, an
 * {@link EOFException} (the input ended) and, for a packet stream, the sender's ABORT.
 *
 * <p>In the normal test run the {@code @FuzzTest} methods replay their corpus (seeds recorded
 * from real streams, and every reproducer found) and the {@code @Test} methods run seeded
 * mutations of the same corpus through the same entry points. {@code JAZZER_FUZZ=1} fuzzes
 * (see {@code multifd-bench/scripts/fuzz.sh}).
 *
 * <p>No class-level timeout: Jazzer turns a JUnit timeout that applies to the fuzz test into its
 * per-input limit, which the fuzzing script sets to 1 s.
 */
class WireFuzzTest {

    static final int MAX_PAYLOAD_HEADER = 4096;
    static final int MAX_DATA = 64 << 10;
    static final int MAX_MANIFEST = 64 << 10;
    private static final Duration SLOW = Duration.ofSeconds(1);

    static boolean refusal(Throwable t) {
        return t instanceof MalformedPacketException || t instanceof EOFException
                || t instanceof RemoteFailureException r && r.code() == ProtocolCode.ABORTED;
    }

    @FuzzTest(maxDuration = "60s")
    void hello(byte[] data) throws Exception {
        parseHello(data);
        parseHello(WireRepair.hello(data));
    }

    private static void parseHello(byte[] data) throws Exception {
        try {
            Hello h = Hello.read(ByteSource.of(data, 0));
            ByteBuffer again = h.encode();
            byte[] bytes = new byte[again.remaining()];
            again.get(bytes);
            assertThat(Hello.read(ByteSource.of(bytes, 0))).as("a parsed hello re-encodes to itself").isEqualTo(h);
        } catch (MalformedPacketException | EOFException e) {
            // refused: fine
        }
    }

    @FuzzTest(maxDuration = "60s")
    void reply(byte[] data) throws Exception {
        parseReply(data);
        parseReply(WireRepair.reply(data));
    }

    private static void parseReply(byte[] data) throws Exception {
        try {
            Reply.read(ByteSource.of(data, 0));
        } catch (MalformedPacketException | EOFException e) {
            // refused: fine
        }
    }

    @FuzzTest(maxDuration = "60s")
    void manifest(byte[] data) throws Exception {
        parseManifest(data);
        parseManifest(WireRepair.manifest(data));
    }

    private static void parseManifest(byte[] data) throws Exception {
        try {
            Manifest m = Manifest.read(ByteSource.of(data, 0), MAX_MANIFEST);
            assertThat(m.records().size()).isLessThanOrEqualTo(Wire.MAX_MANIFEST_RECORDS);
        } catch (MalformedPacketException | EOFException e) {
            // refused: fine
        }
    }

    @FuzzTest(maxDuration = "60s")
    void packets(byte[] data) throws Exception {
        parsePackets(data);
        parsePackets(WireRepair.packets(data, 0));
    }

    /** Reads packets the way a receiving channel does (data skipped, its CRC checked) up to COMMIT. */
    static void parsePackets(byte[] data) throws Exception {
        ByteSource in = ByteSource.of(data, 0);
        PacketReader reader = new PacketReader(in, 0, MAX_PAYLOAD_HEADER, MAX_DATA, () -> { });
        ByteBuffer scratch = ByteBuffer.allocate(MAX_DATA);
        long packets = 0;
        long bytes = 0;
        try {
            while (true) {
                reader.readHeader("packet header");
                if (reader.isControl()) {
                    switch (reader.control()) {
                        case SYNC -> reader.nextEpoch();
                        case EOS -> {
                            EndExchange.checkEos(reader.eosBody(), 0, reader.headerOffset(), packets, bytes);
                            reader.readCommit();
                            return;
                        }
                        case KEEPALIVE -> { }
                    }
                    continue;
                }
                reader.checkDataPacket(true);
                reader.readPayloadHeader();
                int enc = (int) reader.header().encodedLength;
                scratch.clear().limit(enc);
                in.readFully(scratch, "data");
                if ((reader.header().flags & Wire.FLAG_DATA_CRC) != 0) {
                    reader.checkDataCrc(Crc.ofArray(scratch.array(), 0, enc));
                }
                packets++;
                bytes += reader.header().rawLength;
            }
        } catch (Exception e) {
            if (!refusal(e)) {
                throw e;
            }
        }
    }

    @Test
    @Timeout(120)
    void seededHello() {
        run("hello", 20_000, this::hello);
    }

    @Test
    @Timeout(120)
    void seededReply() {
        run("reply", 20_000, this::reply);
    }

    @Test
    @Timeout(120)
    void seededManifest() {
        run("manifest", 20_000, this::manifest);
    }

    @Test
    @Timeout(120)
    void seededPackets() {
        run("packets", 20_000, this::packets);
    }

    private static void run(String method, int iterations, SeededFuzz.Target target) {
        SeededFuzz.Summary s = SeededFuzz.run("WireFuzzTest." + method, SeededFuzz.corpus(WireFuzzTest.class, method),
                target, t -> false, 20261207L ^ method.hashCode(), iterations, SLOW);
        assertThat(s.inputs()).isGreaterThan(iterations);
    }
}
