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

import io.multifd.api.CodecOptions;
import io.multifd.api.spi.Codec;
import io.multifd.api.spi.CodecDecoder;
import io.multifd.api.spi.CodecEncoder;
import io.multifd.compress.internal.Lz4Lib;
import io.multifd.testing.FakeCodecContext;
import io.multifd.testing.GuardedTargets;
import io.multifd.testing.PageData;
import io.multifd.testing.contract.AbstractCodecContractTest;
import net.jpountz.lz4.LZ4Factory;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class Lz4CodecTest extends AbstractCodecContractTest {

    private static final Lz4Codec CODEC = new Lz4Codec();

    @Override
    protected Codec codec() {
        return CODEC;
    }

    @Override
    protected int expectedId() {
        return 2;
    }

    @Override
    protected String expectedName() {
        return "lz4";
    }

    @Override
    protected List<Integer> levels() {
        return List.of(Lz4Codec.MIN_LEVEL, -8, -4, -1, 0, 1, 3, 9, 12, 17);
    }

    @Override
    protected List<String> invalidLevels() {
        return List.of("-65538", "18", "hc", "9x", "--4");
    }

    @Override
    protected byte[] bomb(int rawLength) {
        // LZ4's ratio is at most about 255: 16 MiB of zeros is a block of about 64 KiB
        return LZ4Factory.safeInstance().fastCompressor().compress(new byte[16 << 20]);
    }

    /** The pure-Java compressor: another implementation than the JNI one the codec uses. */
    @Override
    protected byte[] referenceEncode(byte[] raw) {
        return LZ4Factory.safeInstance().highCompressor(4).compress(raw);
    }

    /** The pure-Java safe decompressor. */
    @Override
    protected byte[] referenceDecode(byte[] encoded, int rawLength) {
        byte[] out = new byte[rawLength];
        int n = LZ4Factory.safeInstance().safeDecompressor().decompress(encoded, 0, encoded.length, out, 0, rawLength);
        assertThat(n).isEqualTo(rawLength);
        return out;
    }

    @Test
    void usesTheNativeLibraryHere() {
        assertThat(CODEC.nativeProbe().isAvailable()).as("lz4-java JNI loads on this machine").isTrue();
    }

    @Test
    void nativeAndJavaImplementationsShareTheWireFormat() throws IOException {
        byte[] raw = PageData.mixed(64, 17);
        for (int level : new int[]{0, 9}) {
            try (CodecEncoder nat = new Lz4Lib.Encoder(FakeCodecContext.of(MAX), level, true);
                 CodecEncoder java = new Lz4Lib.Encoder(FakeCodecContext.of(MAX), level, false);
                 CodecDecoder natDec = new Lz4Lib.Decoder(FakeCodecContext.of(MAX), true);
                 CodecDecoder javaDec = new Lz4Lib.Decoder(FakeCodecContext.of(MAX), false)) {
                assertThat(((Lz4Lib.Encoder) nat).implementation()).contains("JNI");
                assertThat(((Lz4Lib.Encoder) java).implementation()).contains("Java");
                assertThat(((Lz4Lib.Decoder) natDec).implementation()).contains("JNISafe");
                assertThat(((Lz4Lib.Decoder) javaDec).implementation()).contains("JavaSafe");
                byte[] fromNative = encode(nat, PageData.split(raw, PageData.PAGE, true), raw.length);
                byte[] fromJava = encode(java, PageData.split(raw, PageData.PAGE, false), raw.length);
                for (CodecDecoder dec : new CodecDecoder[]{natDec, javaDec}) {
                    for (byte[] e : new byte[][]{fromNative, fromJava}) {
                        GuardedTargets t = new GuardedTargets(raw.length, false, PageData.PAGE);
                        decode(dec, e, t, false);
                        assertThat(t.contents()).as("level %d", level).isEqualTo(raw);
                    }
                }
                GuardedTargets t = new GuardedTargets(MAX, true, 0);
                assertThat(refusedBy(javaDec, bomb(MAX), t)).contains("lz4: ");
            }
        }
    }

    private String refusedBy(CodecDecoder dec, byte[] e, GuardedTargets t) {
        try {
            decode(dec, e, t, false);
        } catch (IOException ex) {
            assertThat(t.guardsIntact()).isTrue();
            return ex.getMessage();
        }
        throw new AssertionError("not refused");
    }

    @Test
    void highCompressionShrinksTextMoreThanFast() throws IOException {
        byte[] raw = PageData.text(64, 19);
        try (CodecEncoder fast = CODEC.newEncoder(CodecOptions.NONE, FakeCodecContext.of(MAX));
             CodecEncoder hc = CODEC.newEncoder(CodecOptions.level(9), FakeCodecContext.of(MAX))) {
            int f = encode(fast, PageData.split(raw, PageData.PAGE, true), raw.length).length;
            int h = encode(hc, PageData.split(raw, PageData.PAGE, true), raw.length).length;
            assertThat(h).as("HC level 9 vs fast").isLessThan(f);
        }
    }

    @Test
    void aNegativeLevelIsTheFastCompressorWithThatAcceleration() throws IOException {
        byte[] raw = PageData.text(64, 23);
        int[] levels = {0, -1, -4, -16};
        int[] sizes = new int[levels.length];
        for (int i = 0; i < levels.length; i++) {
            int level = levels[i];
            try (CodecEncoder enc = CODEC.newEncoder(CodecOptions.level(level), FakeCodecContext.of(MAX));
                 CodecDecoder dec = CODEC.newDecoder(CodecOptions.level(level), FakeCodecContext.of(MAX))) {
                assertThat(((Lz4Lib.Encoder) enc).implementation())
                        .as("level %d", level).contains("acceleration=" + Math.max(1, -level));
                byte[] e = encode(enc, PageData.split(raw, PageData.PAGE, true), raw.length);
                GuardedTargets t = new GuardedTargets(raw.length, false, PageData.PAGE);
                decode(dec, e, t, false);
                assertThat(t.contents()).as("level %d", level).isEqualTo(raw);
                sizes[i] = e.length;
            }
        }
        try (CodecEncoder byDefault = CODEC.newEncoder(CodecOptions.NONE, FakeCodecContext.of(MAX))) {
            assertThat(((Lz4Lib.Encoder) byDefault).implementation()).as("the default level")
                    .contains("acceleration=" + -Lz4Codec.DEFAULT_LEVEL);
        }
        assertThat(sizes[1]).as("level -1 is level 0").isEqualTo(sizes[0]);
        assertThat(sizes[2]).as("acceleration 4 against 1").isGreaterThanOrEqualTo(sizes[1]);
        assertThat(sizes[3]).as("acceleration 16 against 1").isGreaterThan(sizes[1]);
    }

    @Test
    void withoutTheNativeLibraryANegativeLevelCompressesAsLevelZero() throws IOException {
        byte[] raw = PageData.text(16, 29);
        try (CodecEncoder accelerated = new Lz4Lib.Encoder(FakeCodecContext.of(MAX), -8, false);
             CodecEncoder fast = new Lz4Lib.Encoder(FakeCodecContext.of(MAX), 0, false)) {
            assertThat(encode(accelerated, PageData.split(raw, PageData.PAGE, true), raw.length))
                    .isEqualTo(encode(fast, PageData.split(raw, PageData.PAGE, true), raw.length));
        }
    }
}
