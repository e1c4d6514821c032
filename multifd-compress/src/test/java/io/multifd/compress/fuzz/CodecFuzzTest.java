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
package io.multifd.compress.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.multifd.api.CodecOptions;
import io.multifd.api.MalformedPacketException;
import io.multifd.api.spi.Codec;
import io.multifd.api.spi.CodecDecoder;
import io.multifd.api.spi.CodecEncoder;
import io.multifd.compress.Lz4Codec;
import io.multifd.compress.ZlibCodec;
import io.multifd.compress.ZstdCodec;
import io.multifd.testing.CapturingSink;
import io.multifd.testing.FakeCodecContext;
import io.multifd.testing.FakeIncomingPacket;
import io.multifd.testing.GuardedTargets;
import io.multifd.testing.fuzz.SeededFuzz;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fuzz targets for each codec's decoder (zstd, lz4, zlib; codec {@code none} never decodes: its
 * raw path is fuzzed with the packet stream in multifd-core). One input is a sequence of packets
 * decoded by one decoder, as on one channel, so stream state carries across packets:
 * {@code [raw length - 1:u16][flags:u8][encoded length:u16][encoded bytes]...}, flags bit 0 the
 * stream RESET, bit 1 direct targets, bit 2 targets cut into 4 KiB pieces. Lengths the core would
 * refuse before a decoder sees them (encoded 0 or not below raw) skip the packet.
 *
 * <p>A decode either fills every target exactly, guard bytes around them intact, or is refused
 * with a {@link MalformedPacketException} naming {@code data}, the guards still intact.
 *
 * <p>No class-level timeout: Jazzer turns a JUnit timeout that applies to the fuzz test into its
 * per-input limit, which the fuzzing script sets to 1 s.
 */
class CodecFuzzTest {

    private static final int MAX = 1 << 16;
    private static final Duration SLOW = Duration.ofSeconds(1);

    @FuzzTest(maxDuration = "60s")
    void zstd(byte[] data) throws Exception {
        decodeAll(new ZstdCodec(), data);
    }

    @FuzzTest(maxDuration = "60s")
    void lz4(byte[] data) throws Exception {
        decodeAll(new Lz4Codec(), data);
    }

    @FuzzTest(maxDuration = "60s")
    void zlib(byte[] data) throws Exception {
        decodeAll(new ZlibCodec(), data);
    }

    static void decodeAll(Codec codec, byte[] data) throws Exception {
        ByteBuffer in = ByteBuffer.wrap(data);
        FakeIncomingPacket packet = new FakeIncomingPacket(0);
        try (CodecDecoder decoder = codec.newDecoder(CodecOptions.NONE, FakeCodecContext.of(MAX))) {
            while (in.remaining() >= 5) {
                int raw = 1 + Short.toUnsignedInt(in.getShort());
                int flags = in.get();
                int enc = Math.min(Short.toUnsignedInt(in.getShort()), in.remaining());
                byte[] encoded = new byte[enc];
                in.get(encoded);
                if (enc == 0 || enc >= raw) {
                    continue;
                }
                GuardedTargets t = new GuardedTargets(raw, (flags & 2) != 0, (flags & 4) != 0 ? 4096 : 0);
                ByteBuffer input = decoder.inputBuffer(enc);
                input.put(encoded);
                try {
                    decoder.decode(input, t.targets, 0, t.targets.length, raw, (flags & 1) != 0,
                            packet.rawLength(raw));
                    assertThat(t.allTargetsFull()).as("a decode that succeeds fills every target").isTrue();
                } catch (MalformedPacketException e) {
                    assertThat(e.field()).isEqualTo("data");
                    assertThat(t.guardsIntact()).as("no write outside the targets").isTrue();
                    return; // the core fails the channel: nothing more is decoded
                }
                assertThat(t.guardsIntact()).as("no write outside the targets").isTrue();
            }
        }
    }

    @Test
    @Timeout(120)
    void seededZstd() {
        run("zstd", new ZstdCodec());
    }

    @Test
    @Timeout(120)
    void seededLz4() {
        run("lz4", new Lz4Codec());
    }

    @Test
    @Timeout(120)
    void seededZlib() {
        run("zlib", new ZlibCodec());
    }

    private static void run(String method, Codec codec) {
        SeededFuzz.Summary s = SeededFuzz.run("CodecFuzzTest." + method, SeededFuzz.corpus(CodecFuzzTest.class, method),
                d -> decodeAll(codec, d), t -> false, 20261207L ^ method.hashCode(), 4000, SLOW);
        assertThat(s.inputs()).isGreaterThan(4000);
    }

    /** Writes the seed corpus: packets encoded by each codec, several per stream. */
    @Test
    @EnabledIfSystemProperty(named = "multifd.fuzz.writeCorpus", matches = "true")
    void writeCorpus() throws Exception {
        Path base = Path.of("src/test/resources/io/multifd/compress/fuzz/CodecFuzzTestInputs");
        for (Codec c : new Codec[] {new ZstdCodec(), new Lz4Codec(), new ZlibCodec()}) {
            Path dir = base.resolve(c.name());
            Files.createDirectories(dir);
            for (int seed = 0; seed < 3; seed++) {
                Files.write(dir.resolve("seed-" + seed), stream(c, seed));
            }
        }
    }

    private static byte[] stream(Codec codec, int seed) throws Exception {
        SplittableRandom r = new SplittableRandom(seed);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        CapturingSink sink = new CapturingSink();
        try (CodecEncoder enc = codec.newEncoder(CodecOptions.NONE, FakeCodecContext.of(MAX))) {
            for (int p = 0; p < 3; p++) {
                byte[] raw = new byte[1024 + r.nextInt(3000)];
                for (int i = 0; i < raw.length; i++) {
                    raw[i] = (byte) (i % 97 < 40 ? 0 : r.nextInt(1 + seed * 4));
                }
                int resets = sink.resets;
                sink.clear();
                if (!enc.encode(new ByteBuffer[] {ByteBuffer.wrap(raw)}, 0, 1, raw.length, sink)) {
                    continue;
                }
                byte[] e = sink.bytes();
                ByteBuffer h = ByteBuffer.allocate(5);
                h.putShort((short) (raw.length - 1)).put((byte) (sink.resets > resets ? 1 : 0))
                        .putShort((short) e.length);
                out.write(h.array());
                out.write(e);
            }
        }
        return out.toByteArray();
    }
}
