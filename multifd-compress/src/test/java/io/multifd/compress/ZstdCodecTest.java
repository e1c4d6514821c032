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
package io.multifd.compress;

import com.github.luben.zstd.EndDirective;
import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdCompressCtx;
import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import io.multifd.api.MalformedPacketException;
import io.multifd.api.spi.Codec;
import io.multifd.testing.GuardedTargets;
import io.multifd.testing.PageData;
import io.multifd.testing.contract.AbstractCodecContractTest;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ZstdCodecTest extends AbstractCodecContractTest {

    private static final ZstdCodec CODEC = new ZstdCodec();

    @Override
    protected Codec codec() {
        return CODEC;
    }

    @Override
    protected int expectedId() {
        return 1;
    }

    @Override
    protected String expectedName() {
        return "zstd";
    }

    @Override
    protected List<Integer> levels() {
        return List.of(ZstdCodec.MIN_LEVEL, -5, -1, 0, 1, 2, 3, 6, 9, 15, 19, ZstdCodec.MAX_LEVEL);
    }

    /** At -131072 zstd stores even zero blocks (measured: 256 KiB, half zero, gave 262159 bytes). */
    @Override
    protected boolean mayDeclineEverything(int level) {
        return level < -65536;
    }

    /**
     * zstd-jni 1.5.7-28 calls zstd through FFM on JDK 22+ (its multi-release classes): every call
     * wraps the buffers in MemorySegment objects, which C2 scalar-replaces only when it inlines
     * the whole call, and not reliably from our call sites (measured 320 to 720 bytes per packet,
     * independent of the packet size). The JNI path on JDK 17 to 21 allocates nothing.
     */
    @Override
    protected long allowedBytesPerPacket() {
        return zstdJniUsesFfm() ? 1024 : 16;
    }

    static boolean zstdJniUsesFfm() {
        for (java.lang.reflect.Field f : com.github.luben.zstd.ZstdCompressCtx.class.getDeclaredFields()) {
            if (f.getType().getName().equals("java.lang.foreign.MemorySegment")) {
                return true;
            }
        }
        return false;
    }

    @Test
    void zstdJniPicksFfmExactlyOnJdk22AndLater() {
        assertThat(zstdJniUsesFfm()).isEqualTo(Runtime.version().feature() >= 22);
    }

    @Test
    void readsTheAnnouncedContentSizeLikeTheLibrary() {
        long[] sizes = {0, 1, 255, 256, 65_791, 65_792, 1 << 20, (1L << 32) - 1, 1L << 32, 1L << 40};
        for (long size : sizes) {
            for (boolean pledged : new boolean[]{true, false}) {
                byte[] header = frameStart(size, pledged);
                ByteBuffer in = ByteBuffer.allocateDirect(header.length).put(header);
                long ours = io.multifd.compress.internal.ZstdLib.announcedContentSize(in, header.length);
                assertThat(ours).as("size %d pledged %s", size, pledged).isEqualTo(Zstd.getFrameContentSize(header));
                // a whole input given with END at once gets its size written even without a pledge
                assertThat(ours).isEqualTo(pledged || size <= 1000 ? size : -1);
                // every truncation of the header is "not a frame header", never an exception
                for (int cut = 0; cut < Math.min(header.length, 18); cut++) {
                    long v = io.multifd.compress.internal.ZstdLib.announcedContentSize(in, cut);
                    assertThat(v == -2 || v == ours).as("size %d cut at %d: %d", size, cut, v).isTrue();
                }
            }
        }
        ByteBuffer garbage = ByteBuffer.allocateDirect(64).put(PageData.random(64, 3));
        assertThat(io.multifd.compress.internal.ZstdLib.announcedContentSize(garbage, 64)).isEqualTo(-2);
    }

    /** The first bytes of a frame for {@code size} bytes (header and a first block). */
    private static byte[] frameStart(long size, boolean pledged) {
        try (ZstdCompressCtx c = new ZstdCompressCtx()) {
            c.setLevel(1);
            if (pledged) {
                c.setPledgedSrcSize(size);
            }
            ByteBuffer src = ByteBuffer.allocateDirect((int) Math.min(size, 1000));
            ByteBuffer out = ByteBuffer.allocateDirect(4096);
            c.compressDirectByteBufferStream(out, src, size <= 1000 ? EndDirective.END : EndDirective.FLUSH);
            byte[] b = new byte[out.flip().remaining()];
            out.get(b);
            return b;
        }
    }

    @Override
    protected List<String> invalidLevels() {
        return List.of("23", "-131073", "2147483647", "fast", "1.5");
    }

    /** 256 MiB of zeros in one frame of about 8 KiB; {@code pledged} writes the content size. */
    static byte[] zeroFrame(long size, boolean pledged) {
        try (ZstdCompressCtx c = new ZstdCompressCtx()) {
            c.setLevel(1);
            if (pledged) {
                c.setPledgedSrcSize(size);
            }
            ByteBuffer zeros = ByteBuffer.allocateDirect(1 << 20);
            ByteBuffer out = ByteBuffer.allocateDirect(1 << 20);
            for (long done = 0; done < size; done += zeros.capacity()) {
                zeros.clear();
                c.compressDirectByteBufferStream(out, zeros, EndDirective.CONTINUE);
            }
            zeros.clear().limit(0);
            while (!c.compressDirectByteBufferStream(out, zeros, EndDirective.END)) {
                // flush the rest
            }
            byte[] b = new byte[out.flip().remaining()];
            out.get(b);
            return b;
        }
    }

    @Override
    protected byte[] bomb(int rawLength) {
        return zeroFrame(256L << 20, true);
    }

    @Override
    protected byte[] referenceEncode(byte[] raw) {
        return Zstd.compress(raw, 3);
    }

    @Override
    protected byte[] referenceDecode(byte[] encoded, int rawLength) throws IOException {
        try (ZstdInputStreamNoFinalizer in = new ZstdInputStreamNoFinalizer(new ByteArrayInputStream(encoded))) {
            byte[] all = in.readAllBytes();
            assertThat(all).hasSize(rawLength);
            return all;
        }
    }

    @Test
    void levelRangeIsTheLibrarys() {
        assertThat(ZstdCodec.MIN_LEVEL).isEqualTo(Zstd.minCompressionLevel());
        assertThat(ZstdCodec.MAX_LEVEL).isEqualTo(Zstd.maxCompressionLevel());
    }

    @Test
    void bombFrameIsAbout8KiB() {
        assertThat(bomb(MAX).length).isBetween(4 << 10, 16 << 10);
    }

    @Test
    void refusesAFrameAnnouncingAHugeSizeFromItsHeader() {
        GuardedTargets t = new GuardedTargets(MAX, true, PageData.PAGE);
        MalformedPacketException e = refused(bomb(MAX), t);
        assertThat(e.getMessage()).contains("zstd: the frame header announces 268435456 bytes, but the packet's raw "
                + "length is 1048576");
    }

    @Test
    void refusesABombWithoutContentSizeWhenTheOutputRunsOut() {
        byte[] bomb = zeroFrame(256L << 20, false);
        assertThat(Zstd.getFrameContentSize(bomb)).as("no content size in the header").isEqualTo(-1);
        for (boolean direct : new boolean[]{true, false}) {
            GuardedTargets t = new GuardedTargets(MAX, direct, 0);
            MalformedPacketException e = refused(bomb, t);
            assertThat(e.getMessage()).contains("zstd: decodes to more than the packet's raw length 1048576");
        }
    }

    @Test
    void refusesAFrameWithTheWrongMagic() throws IOException {
        byte[] raw = PageData.text(4, 1);
        byte[] e = Zstd.compress(raw, 1);
        e[0] ^= 0x01;
        assertThat(refused(e, new GuardedTargets(raw.length, true, 0)).getMessage())
                .contains("zstd: not a zstd frame");
    }
}
