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
import io.multifd.testing.CapturingSink;
import io.multifd.testing.FakeCodecContext;
import io.multifd.testing.FakeIncomingPacket;
import io.multifd.testing.GuardedTargets;
import io.multifd.testing.PageData;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * The fixture and helpers of {@link AbstractCodecContractTest}: what a codec author implements
 * (the codec, its identity, its levels, a bomb and the reference library) and the encode, decode,
 * refusal and round-trip helpers the contract's tests use. Extend {@link AbstractCodecContractTest},
 * not this class.
 *
 * <h2>Threads</h2>
 * Each test runs on the JUnit thread, which plays the channel thread: the encoder and decoder of
 * {@link #open()} are confined to it.
 */
public abstract class CodecContractSupport {

    /** The maximum packet data length the codecs are made for: 1 MiB. */
    protected static final int MAX = 1 << 20;
    /** The size of a typical packet (a RAM batch): 512 KiB. */
    protected static final int BATCH = 512 << 10;

    /** Makes the fixture; subclasses only name the codec and its library. */
    protected CodecContractSupport() {
    }

    /** The codec under test. */
    protected abstract Codec codec();

    /** The wire id the codec must have. */
    protected abstract int expectedId();

    /** The name the codec must have. */
    protected abstract String expectedName();

    /** Levels to round-trip at (every valid level, or a sample of them). */
    protected abstract List<Integer> levels();

    /** True for levels so fast that they may not shrink even half-zero data (zstd's lowest). */
    protected boolean mayDeclineEverything(int level) {
        return false;
    }

    /**
     * Heap bytes a packet (encode and decode) may allocate in steady state: nothing, apart from
     * library wrappers whose size does not depend on the data (see the zstd subclass).
     */
    protected long allowedBytesPerPacket() {
        return 16;
    }

    /** Level values that {@code validate()} must refuse. */
    protected abstract List<String> invalidLevels();

    /**
     * An encoding (of this codec's wire format) that decodes to far more than {@code rawLength}
     * bytes, and is itself shorter than {@code rawLength}.
     */
    protected abstract byte[] bomb(int rawLength) throws IOException;

    /** Encodes with the library directly, independently of our encoder: for cross-checks. */
    protected abstract byte[] referenceEncode(byte[] raw) throws IOException;

    /** Decodes with the library directly (another code path than our decoder): for cross-checks. */
    protected abstract byte[] referenceDecode(byte[] encoded, int rawLength) throws IOException;

    /** The encoder {@link #open()} made with default options; closed after each test. */
    protected CodecEncoder encoder;
    /** The decoder {@link #open()} made with default options; closed after each test. */
    protected CodecDecoder decoder;
    /** Captures what {@link #encode} hands over. */
    protected final CapturingSink sink = new CapturingSink();
    /** The packet decodes run for: channel 3. */
    protected final FakeIncomingPacket packet = new FakeIncomingPacket(3);

    /**
     * Checks the codec is available and makes {@link #encoder} and {@link #decoder}.
     *
     * @throws IOException if the codec cannot make them
     */
    @BeforeEach
    protected void open() throws IOException {
        codec().checkAvailable();
        encoder = codec().newEncoder(CodecOptions.NONE, FakeCodecContext.of(MAX));
        decoder = codec().newDecoder(CodecOptions.NONE, FakeCodecContext.of(MAX));
    }

    /** Closes {@link #encoder} and {@link #decoder}. */
    @AfterEach
    protected void closeCodecs() {
        encoder.close();
        decoder.close();
    }

    // ---------------------------------------------------------------- helpers

    /**
     * Data the codec must shrink, {@code pages} pages of it: text-like memory pages
     * ({@link PageData#text}) by default. A codec built for other data (a run-length codec, say)
     * overrides this with data it does compress; the tests that need an encoded packet use it.
     *
     * @param pages the number of {@link PageData#PAGE}-byte pages
     * @param seed  the seed, for reproducible data
     * @return the data
     */
    protected byte[] compressible(int pages, long seed) {
        return PageData.text(pages, seed);
    }

    /**
     * A mix of pages the codec cannot shrink among pages it can, that it must still shrink as a
     * whole, {@code pages} pages of it: {@link PageData#mixed} (zero, text-like and random pages)
     * by default. A codec that expands random pages so much that the default mix does not shrink
     * (a run-length codec, say) overrides this.
     *
     * @param pages the number of {@link PageData#PAGE}-byte pages
     * @param seed  the seed, for reproducible data
     * @return the data
     */
    protected byte[] mixed(int pages, long seed) {
        return PageData.mixed(pages, seed);
    }

    /**
     * Encodes data the codec must shrink, failing the test with a clear message if it declined
     * (instead of the caller meeting a null).
     *
     * @param enc       the encoder
     * @param data      the input buffers
     * @param rawLength their total length
     * @return the encoded bytes
     * @throws IOException from the encoder
     */
    protected byte[] encodeShrinking(CodecEncoder enc, ByteBuffer[] data, int rawLength) throws IOException {
        byte[] e = encode(enc, data, rawLength);
        assertThat(e).as("codec '%s' declined to encode %d bytes it should shrink: if your codec does not shrink "
                + "text-like or mixed pages, override compressible() or mixed() with data it does", codec().name(), rawLength).isNotNull();
        return e;
    }

    /** Encodes; returns the encoded bytes, or null if the encoder declined (RAW). */
    protected byte[] encode(CodecEncoder enc, ByteBuffer[] data, int rawLength) throws IOException {
        sink.clear();
        int calls = sink.calls;
        boolean encoded = enc.encode(data, 0, data.length, rawLength, sink);
        assertThat(sink.resets).as("independent packets never ask for a stream reset").isZero();
        if (!encoded) {
            assertThat(sink.calls).as("a declined packet must not reach the sink").isEqualTo(calls);
            return null;
        }
        assertThat(sink.calls).isEqualTo(calls + 1);
        byte[] out = sink.bytes();
        assertThat(out.length).as("encoded length").isBetween(1, rawLength - 1);
        return out;
    }

    /** Puts {@code encoded} into the decoder's input buffer as the core does and decodes into {@code t}. */
    protected void decode(CodecDecoder dec, byte[] encoded, GuardedTargets t, boolean reset) throws IOException {
        ByteBuffer in = dec.inputBuffer(encoded.length);
        assertThat(in.position()).isZero();
        assertThat(in.limit()).isEqualTo(encoded.length);
        in.put(encoded);
        dec.decode(in, t.targets, 0, t.targets.length, t.length, reset, packet.rawLength(t.length));
    }

    /**
     * Decodes {@code encoded} into {@code t}, expecting a refusal naming the field {@code data}, on
     * channel 3, with the guard bytes intact.
     *
     * @param encoded the hostile input
     * @param t       the targets
     * @return the refusal
     */
    protected MalformedPacketException refused(byte[] encoded, GuardedTargets t) {
        MalformedPacketException e = catchThrowableOfType(MalformedPacketException.class,
                () -> decode(decoder, encoded, t, false));
        assertThat(e).as("decoding must be refused").isNotNull();
        assertThat(e.field()).isEqualTo("data");
        assertThat(e.channel()).isEqualTo(3);
        assertThat(e.getMessage()).contains(expectedName() + ": ");
        assertThat(t.guardsIntact()).as("guard bytes around the targets").isTrue();
        return e;
    }

    /**
     * Encodes {@code raw} (split into input buffers) and decodes it into fresh guarded targets.
     *
     * @param raw       the data; must be compressible
     * @param inDirect  direct or heap input buffers
     * @param inPiece   bytes per input buffer
     * @param outDirect direct or heap targets
     * @param outPiece  bytes per target, 0 for one target
     * @return the decoded bytes
     * @throws IOException if the codec fails
     */
    protected byte[] roundTrip(byte[] raw, boolean inDirect, int inPiece, boolean outDirect, int outPiece) throws IOException {
        ByteBuffer[] data = PageData.split(raw, inPiece, inDirect);
        byte[] enc = encode(encoder, data, raw.length);
        assertThat(enc).as("codec '%s' declined data it should shrink (see compressible() and mixed())",
                codec().name()).isNotNull();
        GuardedTargets t = new GuardedTargets(raw.length, outDirect, outPiece);
        decode(decoder, enc, t, false);
        assertThat(t.guardsIntact()).isTrue();
        assertThat(t.allTargetsFull()).as("target positions advanced to their limits").isTrue();
        return t.contents();
    }

    /** Heap bytes the current thread allocated so far (HotSpot's thread allocation counter). */
    protected static long allocatedBytes() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean())
                .getCurrentThreadAllocatedBytes();
    }
}
