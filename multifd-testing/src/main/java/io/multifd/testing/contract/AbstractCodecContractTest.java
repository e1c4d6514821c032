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
package io.multifd.testing.contract;

import io.multifd.api.CodecOptions;
import io.multifd.api.MalformedPacketException;
import io.multifd.api.spi.Codec;
import io.multifd.api.spi.CodecDecoder;
import io.multifd.api.spi.CodecEncoder;
import io.multifd.testing.FakeCodecContext;
import io.multifd.testing.GuardedTargets;
import io.multifd.testing.PageData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * The contract every {@link Codec} keeps, run once per codec by a small subclass: identity and
 * option validation, byte-exact round trips over every layout of buffers and levels, cross-checks
 * with the codec's library, refusal of hostile input (garbage, truncation, trailing bytes, length
 * mismatches, bombs) naming the field {@code data} without writing outside the targets or
 * allocating from received sizes, and no allocation per packet in steady state. Each test uses
 * fixed seeds and names the seed in its assertion messages.
 *
 * <p>The data is memory pages ({@link PageData}): the tests that need an encoded packet use
 * {@link #compressible} (text-like pages unless overridden) or {@link #mixed} (zero, text-like
 * and random pages unless overridden), and fail with a message naming both hooks if the codec
 * declines them.
 *
 * <p>Messages are expected in the form the shipped codecs use: a refusal's message starts with
 * {@code "<name>: "}, and option errors read {@code "<name>: option 'level' must be ..."} and
 * {@code "unknown option '<key>'"}.
 *
 * <h2>Threads</h2>
 * Each test runs on the JUnit thread, which plays the channel thread: the encoder and decoder of
 * {@link #open()} are confined to it (one test also runs a writer thread that changes the input
 * while it is encoded).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
public abstract class AbstractCodecContractTest extends CodecContractSupport {

    /** Makes the test; subclasses only name the codec and its library. */
    protected AbstractCodecContractTest() {
    }

    // ---------------------------------------------------------------- identity and options

    /** The codec has the expected wire id and a valid name. */
    @Test
    public void identity() {
        assertThat(codec().id()).isEqualTo(expectedId());
        assertThat(codec().name()).isEqualTo(expectedName()).matches("[a-z][a-z0-9_-]{0,31}");
    }

    /** Every valid level validates; invalid levels and unknown keys are refused by name. */
    @Test
    public void validatesLevelsAndRefusesUnknownKeys() {
        codec().validate(CodecOptions.NONE);
        for (int level : levels()) {
            codec().validate(CodecOptions.level(level));
        }
        for (String bad : invalidLevels()) {
            assertThatThrownBy(() -> codec().validate(CodecOptions.of("level", bad)))
                    .as("level %s", bad)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(expectedName() + ": option 'level' must be");
        }
        assertThatThrownBy(() -> codec().validate(CodecOptions.of("levle", "1")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown option 'levle'");
        assertThatThrownBy(() -> codec().newEncoder(CodecOptions.of("window", "20"), FakeCodecContext.of(MAX)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown option 'window'");
        assertThatThrownBy(() -> codec().newDecoder(CodecOptions.of("window", "20"), FakeCodecContext.of(MAX)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown option 'window'");
    }

    // ---------------------------------------------------------------- round trips

    /**
     * Layouts of input and target buffers: heap or direct, one target or one per page.
     *
     * @return the arguments of {@link #roundTripsMixedPages}
     */
    public static Stream<Arguments> layouts() {
        List<Arguments> a = new ArrayList<>();
        for (boolean inDirect : new boolean[]{false, true}) {
            for (boolean outDirect : new boolean[]{false, true}) {
                for (int outPiece : new int[]{0, PageData.PAGE}) {
                    a.add(Arguments.of(inDirect, outDirect, outPiece));
                }
            }
        }
        return a.stream();
    }

    /** Mixed pages round-trip byte-exact for every layout of input and target buffers. */
    @ParameterizedTest(name = "input direct={0}, targets direct={1}, target size={2}")
    @MethodSource("layouts")
    public void roundTripsMixedPages(boolean inDirect, boolean outDirect, int outPiece) throws IOException {
        for (long seed : new long[]{1, 2}) {
            byte[] raw = mixed(BATCH / PageData.PAGE, seed);
            assertThat(roundTrip(raw, inDirect, PageData.PAGE, outDirect, outPiece)).as("seed %d", seed)
                    .isEqualTo(raw);
            // the same data as one input buffer
            assertThat(roundTrip(raw, inDirect, raw.length, outDirect, outPiece)).as("seed %d", seed)
                    .isEqualTo(raw);
        }
    }

    /**
     * Compressible data round-trips with the default options and at every level of
     * {@link #levels()} (a codec without levels is still checked once).
     */
    @Test
    public void roundTripsAtEveryLevel() throws IOException {
        // 128 KiB of zero pages, then text: even zstd's fastest negative levels shrink this
        byte[] raw = new byte[64 * PageData.PAGE];
        System.arraycopy(compressible(32, 7), 0, raw, 32 * PageData.PAGE, 32 * PageData.PAGE);
        List<Integer> levels = new ArrayList<>();
        levels.add(null); // the default options
        levels.addAll(levels());
        for (Integer level : levels) {
            CodecOptions options = level == null ? CodecOptions.NONE : CodecOptions.level(level);
            String what = level == null ? "the default options" : "level " + level;
            try (CodecEncoder enc = codec().newEncoder(options, FakeCodecContext.of(MAX));
                 CodecDecoder dec = codec().newDecoder(options, FakeCodecContext.of(MAX))) {
                byte[] e = encode(enc, PageData.split(raw, PageData.PAGE, true), raw.length);
                if (e == null) {
                    assertThat(level != null && mayDeclineEverything(level)).as("%s declined half-zero data", what)
                            .isTrue();
                    continue;
                }
                GuardedTargets t = new GuardedTargets(raw.length, true, PageData.PAGE);
                decode(dec, e, t, false);
                assertThat(t.contents()).as(what).isEqualTo(raw);
                assertThat(referenceDecode(e, raw.length)).as("%s, reference decoder", what).isEqualTo(raw);
            }
        }
    }

    /** The encoder's output decodes with the library directly, and the library's output decodes with the decoder. */
    @Test
    public void crossChecksWithTheLibraryDirectly() throws IOException {
        byte[] raw = mixed(64, 11);
        byte[] ours = encodeShrinking(encoder, PageData.split(raw, PageData.PAGE, false), raw.length);
        assertThat(referenceDecode(ours, raw.length)).as("our encoding, reference decoder").isEqualTo(raw);
        byte[] theirs = referenceEncode(raw);
        GuardedTargets t = new GuardedTargets(raw.length, false, PageData.PAGE);
        decode(decoder, theirs, t, false);
        assertThat(t.contents()).as("reference encoding, our decoder").isEqualTo(raw);
    }

    /** Packets of a few bytes and of odd sizes round-trip. */
    @Test
    public void smallAndOddSizedPacketsRoundTrip() throws IOException {
        SplittableRandom r = new SplittableRandom(5);
        for (int len : new int[]{64, 100, 4095, 4097, 65_537, MAX}) {
            // short packets: a repeated pattern (a few dozen bytes of text need not shrink)
            byte[] raw = len < 1000 ? new byte[len]
                    : compressible((len + PageData.PAGE - 1) / PageData.PAGE, r.nextLong());
            raw = Arrays.copyOf(raw, len);
            assertThat(roundTrip(raw, len % 2 == 0, 1000, len % 3 == 0, 777)).as("length %d", len).isEqualTo(raw);
        }
    }

    /** Many packets in a row on one encoder and decoder pair round-trip. */
    @Test
    public void manyPacketsInSequenceOnOneEncoderDecoderPair() throws IOException {
        long seed = 99;
        SplittableRandom r = new SplittableRandom(seed);
        int encoded = 0;
        int raw = 0;
        for (int i = 0; i < 40; i++) {
            int pages = 1 + r.nextInt(64);
            int kind = r.nextInt(4);
            byte[] data = kind == 0 ? PageData.random(pages * PageData.PAGE, r.nextLong())
                    : mixed(pages, r.nextLong());
            byte[] e = encode(encoder, PageData.split(data, PageData.PAGE, r.nextBoolean()), data.length);
            if (e == null) {
                raw++;
                continue;
            }
            encoded++;
            GuardedTargets t = new GuardedTargets(data.length, r.nextBoolean(), r.nextBoolean() ? 0 : PageData.PAGE);
            decode(decoder, e, t, r.nextInt(5) == 0);
            assertThat(t.contents()).as("seed %d, packet %d", seed, i).isEqualTo(data);
            assertThat(t.guardsIntact()).isTrue();
        }
        assertThat(encoded).as("encoded packets").isPositive();
        assertThat(raw).as("raw packets interleaved").isPositive();
    }

    /** A stream reset before a packet needs nothing and changes nothing. */
    @Test
    public void streamResetNeedsNothingAndChangesNothing() throws IOException {
        byte[] a = mixed(16, 21);
        byte[] b = mixed(16, 22);
        byte[] ea = encodeShrinking(encoder, PageData.split(a, PageData.PAGE, true), a.length);
        byte[] eb = encodeShrinking(encoder, PageData.split(b, PageData.PAGE, true), b.length);
        // decode out of order and with RESET set: each packet stands alone
        GuardedTargets t = new GuardedTargets(b.length, true, 0);
        decode(decoder, eb, t, true);
        assertThat(t.contents()).isEqualTo(b);
        t = new GuardedTargets(a.length, true, 0);
        decode(decoder, ea, t, false);
        assertThat(t.contents()).isEqualTo(a);
        t = new GuardedTargets(a.length, false, PageData.PAGE);
        decode(decoder, ea, t, true);
        assertThat(t.contents()).isEqualTo(a);
    }

    // ---------------------------------------------------------------- RAW and input buffers

    /** Incompressible data is declined (sent raw) and the next packet still encodes. */
    @Test
    public void incompressibleDataIsDeclinedAndTheNextPacketStillWorks() throws IOException {
        for (long seed : new long[]{31, 32}) {
            byte[] random = PageData.random(BATCH, seed);
            assertThat(encode(encoder, PageData.split(random, PageData.PAGE, true), random.length))
                    .as("seed %d: random data travels raw", seed).isNull();
            byte[] one = PageData.random(1, seed);
            assertThat(encode(encoder, PageData.split(one, 1, false), 1)).as("one byte cannot shrink").isNull();
            byte[] text = compressible(8, seed);
            assertThat(roundTrip(text, false, PageData.PAGE, true, 0)).as("seed %d", seed).isEqualTo(text);
        }
    }

    /** The encoder reads only position to limit of each buffer and leaves both as they were. */
    @Test
    public void encodeReadsOnlyPositionToLimitAndRestoresBoth() throws IOException {
        byte[] raw = mixed(8, 41);
        ByteBuffer[] data = new ByteBuffer[8 + 2];
        data[0] = ByteBuffer.allocate(16); // outside [offset, offset+count): must not be read
        data[9] = ByteBuffer.allocate(16);
        for (int i = 0; i < 8; i++) {
            ByteBuffer b = (i % 2 == 0) ? ByteBuffer.allocateDirect(PageData.PAGE + 300)
                    : ByteBuffer.allocate(PageData.PAGE + 300);
            for (int j = 0; j < b.capacity(); j++) {
                b.put(j, (byte) 0x77);
            }
            b.put(100, raw, i * PageData.PAGE, PageData.PAGE);
            b.limit(100 + PageData.PAGE).position(100);
            data[i + 1] = b;
        }
        sink.clear();
        assertThat(encoder.encode(data, 1, 8, raw.length, sink)).isTrue();
        for (int i = 1; i <= 8; i++) {
            assertThat(data[i].position()).as("position of buffer %d", i).isEqualTo(100);
            assertThat(data[i].limit()).as("limit of buffer %d", i).isEqualTo(100 + PageData.PAGE);
        }
        GuardedTargets t = new GuardedTargets(raw.length, true, 0);
        decode(decoder, sink.bytes(), t, false);
        assertThat(t.contents()).isEqualTo(raw);
        // a buffer array that does not hold rawLength bytes is a caller bug
        assertThatThrownBy(() -> encoder.encode(data, 1, 8, raw.length + 1, sink))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> encoder.encode(data, 1, 8, raw.length - 1, sink))
                .isInstanceOf(IllegalArgumentException.class);
    }

    /** Data that a writer changes while it is encoded still decodes to some version of it, within bounds. */
    @Test
    public void dataWrittenWhileBeingEncodedStillDecodes() throws Exception {
        int pages = 64;
        byte[] raw = mixed(pages, 51);
        ByteBuffer[] data = PageData.split(raw, PageData.PAGE, true);
        AtomicBoolean stop = new AtomicBoolean();
        Thread writer = new Thread(() -> {
            SplittableRandom r = new SplittableRandom(52);
            while (!stop.get()) {
                ByteBuffer b = data[r.nextInt(pages)];
                b.put(r.nextInt(PageData.PAGE), (byte) r.nextInt(256));
            }
        }, "test-writer");
        writer.setDaemon(true);
        writer.start();
        try {
            GuardedTargets t = new GuardedTargets(raw.length, false, PageData.PAGE);
            for (int i = 0; i < 30; i++) {
                byte[] e = encode(encoder, data, raw.length);
                if (e != null) {
                    decode(decoder, e, t.rewind(), false);
                    assertThat(t.guardsIntact()).isTrue();
                }
            }
        } finally {
            stop.set(true);
            writer.join(10_000);
        }
        assertThat(writer.isAlive()).as("writer thread ended").isFalse();
    }

    // ---------------------------------------------------------------- hostile input

    /** Empty and tiny inputs are refused naming the field {@code data}. */
    @Test
    public void refusesEmptyAndTinyInputs() throws IOException {
        GuardedTargets t = new GuardedTargets(PageData.PAGE, true, 0);
        assertThat(refused(new byte[0], t).getMessage()).contains("no encoded bytes");
        refused(new byte[]{0}, t.rewind());
        refused(new byte[]{(byte) 0xFF, 0x00, 0x7F}, t.rewind());
        // a valid encoding of a few bytes is not the encoding of a page
        byte[] tiny = referenceEncode(new byte[]{1, 2, 3});
        refused(tiny, t.rewind());
    }

    /** Garbage input is refused naming the field {@code data}, nothing written outside the targets. */
    @Test
    public void refusesGarbage() {
        for (long seed = 100; seed < 140; seed++) {
            SplittableRandom r = new SplittableRandom(seed);
            byte[] garbage = PageData.random(1 + r.nextInt(40_000), seed);
            GuardedTargets t = new GuardedTargets(64 << 10, r.nextBoolean(), r.nextBoolean() ? 0 : PageData.PAGE);
            MalformedPacketException e = catchThrowableOfType(MalformedPacketException.class,
                    () -> decode(decoder, garbage, t, false));
            assertThat(e).as("seed %d: garbage must be refused", seed).isNotNull();
            assertThat(e.getMessage()).as("seed %d", seed).contains("field 'data'").contains(expectedName() + ": ");
            assertThat(t.guardsIntact()).as("seed %d", seed).isTrue();
        }
    }

    /** A truncated encoding is refused. */
    @Test
    public void refusesTruncatedInput() throws IOException {
        byte[] raw = mixed(32, 61);
        byte[] e = encodeShrinking(encoder, PageData.split(raw, PageData.PAGE, true), raw.length);
        for (int cut : new int[]{1, 2, 5, e.length / 3, e.length / 2, e.length - 2, e.length - 1}) {
            GuardedTargets t = new GuardedTargets(raw.length, cut % 2 == 0, cut % 3 == 0 ? 0 : PageData.PAGE);
            refused(Arrays.copyOf(e, cut), t);
        }
    }

    /** Bytes after the end of an encoding are refused. */
    @Test
    public void refusesBytesAfterTheEnd() throws IOException {
        byte[] raw = mixed(32, 62);
        byte[] e = encodeShrinking(encoder, PageData.split(raw, PageData.PAGE, true), raw.length);
        for (int extra : new int[]{1, 3, 100}) {
            byte[] longer = Arrays.copyOf(e, e.length + extra);
            Arrays.fill(longer, e.length, longer.length, (byte) 0x5C);
            refused(longer, new GuardedTargets(raw.length, true, 0));
        }
    }

    /** An encoding that decodes to more or fewer bytes than the raw length is refused. */
    @Test
    public void refusesOutputLongerOrShorterThanTheRawLength() throws IOException {
        byte[] raw = mixed(32, 71);
        byte[] e = encodeShrinking(encoder, PageData.split(raw, PageData.PAGE, true), raw.length);
        // the packet announces more than the data decodes to
        MalformedPacketException longer = refused(e, new GuardedTargets(raw.length + PageData.PAGE, true,
                PageData.PAGE));
        assertThat(longer.getMessage()).contains(String.valueOf(raw.length)).contains(
                String.valueOf(raw.length + PageData.PAGE));
        // the packet announces less than the data decodes to
        refused(e, new GuardedTargets(raw.length - PageData.PAGE, false, PageData.PAGE));
        refused(e, new GuardedTargets(raw.length - 1, true, 0));
    }

    /** A decompression bomb is refused without allocating from the sizes it claims. */
    @Test
    public void refusesDecompressionBombsWithoutAllocating() throws IOException {
        int rawLength = MAX;
        byte[] bomb = bomb(rawLength);
        assertThat(bomb.length).as("the bomb is a valid encoded length").isLessThan(rawLength);
        for (int piece : new int[]{0, PageData.PAGE}) {
            GuardedTargets t = new GuardedTargets(rawLength, true, piece);
            refused(bomb, t); // warm up the error path
            long before = allocatedBytes();
            MalformedPacketException e = refused(bomb, t.rewind());
            long allocated = allocatedBytes() - before;
            assertThat(allocated).as("bytes allocated while refusing a bomb (%s)", e.getMessage())
                    .isLessThan(256 << 10);
            assertThat(e.getMessage()).contains(String.valueOf(rawLength));
        }
    }

    /** Corrupted encodings never write outside the targets (guard bytes stay intact). */
    @Test
    public void corruptedEncodingsNeverWriteOutsideTheTargets() throws IOException {
        byte[] raw = mixed(32, 81);
        byte[] e = encodeShrinking(encoder, PageData.split(raw, PageData.PAGE, true), raw.length);
        SplittableRandom r = new SplittableRandom(82);
        GuardedTargets t = new GuardedTargets(raw.length, true, 0);
        int refusedCount = 0;
        for (int i = 0; i < 200; i++) {
            byte[] bad = e.clone();
            int flips = 1 + r.nextInt(4);
            for (int f = 0; f < flips; f++) {
                bad[r.nextInt(bad.length)] ^= (byte) (1 << r.nextInt(8));
            }
            try {
                decode(decoder, bad, t.rewind(), false);
            } catch (MalformedPacketException ex) {
                refusedCount++;
                assertThat(ex.getMessage()).contains(expectedName() + ": ");
            }
            assertThat(t.guardsIntact()).as("seed 82, corruption %d", i).isTrue();
        }
        // codecs without a checksum may accept some flips (the protocol's data CRC catches those)
        assertThat(refusedCount).as("corruptions refused").isPositive();
    }

    // ---------------------------------------------------------------- limits and life cycle

    /** Buffers are sized from the context's maximum data length, never from received bytes. */
    @Test
    public void everyBufferIsSizedFromTheContextNotFromReceivedBytes() throws IOException {
        int max = 64 << 10;
        try (CodecEncoder enc = codec().newEncoder(CodecOptions.NONE, FakeCodecContext.of(max));
             CodecDecoder dec = codec().newDecoder(CodecOptions.NONE, FakeCodecContext.of(max))) {
            assertThat(dec.inputBuffer(max).capacity()).isEqualTo(max);
            assertThatThrownBy(() -> dec.inputBuffer(max + 1)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> enc.encode(new ByteBuffer[0], 0, 0, 0, sink))
                    .as("raw length 0 never reaches a codec").isInstanceOf(IllegalArgumentException.class);
            byte[] big = compressible(max / PageData.PAGE + 1, 1);
            assertThatThrownBy(() -> enc.encode(PageData.split(big, PageData.PAGE, true), 0,
                    big.length / PageData.PAGE, big.length, sink)).isInstanceOf(IllegalArgumentException.class);
            byte[] ok = compressible(max / PageData.PAGE, 2);
            byte[] e = encodeShrinking(enc, PageData.split(ok, PageData.PAGE, true), ok.length);
            GuardedTargets t = new GuardedTargets(ok.length, false, PageData.PAGE);
            decode(dec, e, t, false);
            assertThat(t.contents()).isEqualTo(ok);
            // a raw length above the cap is refused before decoding
            GuardedTargets huge = new GuardedTargets(max + PageData.PAGE, true, 0);
            ByteBuffer in = dec.inputBuffer(e.length).put(e);
            assertThatThrownBy(() -> dec.decode(in, huge.targets, 0, 1, huge.length, false,
                    packet.rawLength(huge.length)))
                    .isInstanceOf(MalformedPacketException.class)
                    .hasMessageContaining("raw length");
        }
    }

    /** Targets that do not hold exactly the raw length are refused as a caller bug. */
    @Test
    public void targetsThatDoNotHoldTheRawLengthAreACallerBug() throws IOException {
        byte[] raw = compressible(4, 3);
        byte[] e = encodeShrinking(encoder, PageData.split(raw, PageData.PAGE, true), raw.length);
        GuardedTargets t = new GuardedTargets(raw.length, true, 0);
        ByteBuffer in = decoder.inputBuffer(e.length).put(e);
        assertThatThrownBy(() -> decoder.decode(in, t.targets, 0, 1, raw.length + 1, false,
                packet.rawLength(raw.length + 1))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> decoder.decode(ByteBuffer.allocateDirect(e.length), t.targets, 0, 1, raw.length,
                false, packet.rawLength(raw.length))).isInstanceOf(IllegalArgumentException.class);
        // a read-only target (say a view of a read-only mapping) is never written, not even natively
        ByteBuffer[] readOnly = {t.targets[0].asReadOnlyBuffer()};
        ByteBuffer in2 = decoder.inputBuffer(e.length).put(e);
        assertThatThrownBy(() -> decoder.decode(in2, readOnly, 0, 1, raw.length, false,
                packet.rawLength(raw.length))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("read-only");
        assertThat(t.contents()).as("nothing written").containsOnly(GuardedTargets.GUARD_BYTE);
        assertThat(t.guardsIntact()).isTrue();
    }

    /** Closing twice is harmless; use after close fails. */
    @Test
    public void closeIsIdempotentAndUseAfterCloseFails() throws IOException {
        CodecEncoder enc = codec().newEncoder(CodecOptions.NONE, FakeCodecContext.of(MAX));
        CodecDecoder dec = codec().newDecoder(CodecOptions.NONE, FakeCodecContext.of(MAX));
        enc.close();
        enc.close();
        dec.close();
        dec.close();
        byte[] raw = compressible(1, 1);
        assertThatThrownBy(() -> enc.encode(PageData.split(raw, PageData.PAGE, true), 0, 1, raw.length, sink))
                .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> dec.inputBuffer(10)).isInstanceOf(IllegalStateException.class);
    }

    /** Steady state allocates at most {@link #allowedBytesPerPacket()} heap bytes per packet. */
    @Test
    public void steadyStateAllocatesNothingPerPacket() throws IOException {
        int pages = 32;
        byte[][] raws = {mixed(pages, 91), mixed(pages, 92), PageData.random(pages * PageData.PAGE, 93)};
        ByteBuffer[][] inputs = new ByteBuffer[raws.length][];
        for (int i = 0; i < raws.length; i++) {
            inputs[i] = PageData.split(raws[i], PageData.PAGE, i != 1);
        }
        GuardedTargets[] outs = {new GuardedTargets(pages * PageData.PAGE, true, PageData.PAGE),
                new GuardedTargets(pages * PageData.PAGE, false, 0)};
        int rounds = 200;
        runPackets(inputs, outs, rounds); // class loading, lazy JDK and library state
        // On JDK 22+ zstd-jni calls zstd through FFM, whose MemorySegment wrappers are only
        // scalar-replaced once C2 has compiled the call sites: warm up on one-page packets until
        // a batch allocates nothing (JNI paths do so from the first batch).
        ByteBuffer[][] small = {PageData.split(compressible(1, 94), PageData.PAGE, true)};
        GuardedTargets[] smallOuts = {new GuardedTargets(PageData.PAGE, true, 0)};
        int warmBatches = 0;
        long warmAllocation = Long.MAX_VALUE;
        while (warmBatches < 60 && warmAllocation > 16L * 1000) {
            long b = allocatedBytes();
            runPackets(small, smallOuts, 1000);
            warmAllocation = allocatedBytes() - b;
            warmBatches++;
        }
        long before = allocatedBytes();
        runPackets(inputs, outs, rounds);
        long perPacket = (allocatedBytes() - before) / rounds;
        assertThat(perPacket).as("bytes allocated per packet in steady state (encode + decode), after %d"
                        + " warm-up batches of 1000 packets, the last allocating %d bytes", warmBatches, warmAllocation)
                .isLessThan(allowedBytesPerPacket());
        // and the packets measured were really encoded and decoded
        assertThat(roundTrip(raws[0], true, PageData.PAGE, true, PageData.PAGE)).isEqualTo(raws[0]);
        assertThat(outs[0].contents()).as("last packet decoded into the first targets").isEqualTo(
                raws[(rounds - 2) % raws.length]);
    }

    private void runPackets(ByteBuffer[][] inputs, GuardedTargets[] outs, int rounds) throws IOException {
        for (int i = 0; i < rounds; i++) {
            ByteBuffer[] data = inputs[i % inputs.length];
            int rawLength = data.length * PageData.PAGE;
            boolean encoded = encoder.encode(data, 0, data.length, rawLength, sink);
            if (encoded) {
                ByteBuffer e = sink.encoded;
                ByteBuffer in = decoder.inputBuffer(e.remaining());
                in.put(in.position(), e, e.position(), e.remaining()).position(e.remaining());
                GuardedTargets t = outs[i % outs.length].rewind();
                decoder.decode(in, t.targets, 0, t.targets.length, rawLength, false, packet);
            }
        }
    }
}
