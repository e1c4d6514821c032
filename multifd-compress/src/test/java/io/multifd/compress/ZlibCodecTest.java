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
import io.multifd.api.spi.CodecEncoder;
import io.multifd.testing.FakeCodecContext;
import io.multifd.testing.GuardedTargets;
import io.multifd.testing.PageData;
import io.multifd.testing.contract.AbstractCodecContractTest;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.InflaterInputStream;

import static org.assertj.core.api.Assertions.assertThat;

class ZlibCodecTest extends AbstractCodecContractTest {

    private static final ZlibCodec CODEC = new ZlibCodec();
    private static byte[] bomb;

    @Override
    protected Codec codec() {
        return CODEC;
    }

    @Override
    protected int expectedId() {
        return 3;
    }

    @Override
    protected String expectedName() {
        return "zlib";
    }

    /** Level 0 stores: it never shrinks anything, so it is tested on its own. */
    @Override
    protected List<Integer> levels() {
        return List.of(1, 2, 3, 4, 5, 6, 7, 8, 9);
    }

    @Override
    protected List<String> invalidLevels() {
        return List.of("-1", "10", "best");
    }

    /** 256 MiB of zeros deflated: about 256 KiB. */
    @Override
    protected synchronized byte[] bomb(int rawLength) throws IOException {
        if (bomb == null) {
            Deflater d = new Deflater(9);
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (DeflaterOutputStream out = new DeflaterOutputStream(bytes, d, 1 << 16)) {
                byte[] zeros = new byte[1 << 20];
                for (int i = 0; i < 256; i++) {
                    out.write(zeros);
                }
            } finally {
                d.end();
            }
            bomb = bytes.toByteArray();
        }
        return bomb;
    }

    @Override
    protected byte[] referenceEncode(byte[] raw) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DeflaterOutputStream out = new DeflaterOutputStream(bytes)) {
            out.write(raw);
        }
        return bytes.toByteArray();
    }

    @Override
    protected byte[] referenceDecode(byte[] encoded, int rawLength) throws IOException {
        try (InflaterInputStream in = new InflaterInputStream(new ByteArrayInputStream(encoded))) {
            byte[] all = in.readAllBytes();
            assertThat(all).hasSize(rawLength);
            return all;
        }
    }

    @Test
    void levelZeroValidatesAndSendsEverythingRaw() throws IOException {
        CODEC.validate(CodecOptions.level(0));
        try (CodecEncoder enc = CODEC.newEncoder(CodecOptions.level(0), FakeCodecContext.of(MAX))) {
            byte[] raw = PageData.text(16, 1);
            assertThat(encode(enc, PageData.split(raw, PageData.PAGE, true), raw.length)).isNull();
        }
    }

    @Test
    void refusesAStreamThatNeedsADictionary() throws IOException {
        byte[] raw = PageData.text(4, 2);
        Deflater d = new Deflater(1);
        d.setDictionary(new byte[]{1, 2, 3, 4});
        d.setInput(raw);
        d.finish();
        byte[] out = new byte[raw.length];
        int n = d.deflate(out);
        d.end();
        byte[] e = java.util.Arrays.copyOf(out, n);
        assertThat(refused(e, new GuardedTargets(raw.length, true, 0)).getMessage())
                .contains("zlib: the stream needs a preset dictionary");
    }

    @Test
    void refusesAWrongAdler32() throws IOException {
        byte[] raw = PageData.text(4, 3);
        byte[] e = referenceEncode(raw);
        e[e.length - 1] ^= 0x40; // last byte of the Adler-32 trailer
        assertThat(refused(e, new GuardedTargets(raw.length, false, PageData.PAGE)).getMessage())
                .contains("zlib: corrupt stream").contains("incorrect data check");
    }

    @Test
    void bombMessageSaysTheStreamIsLongerThanTheRawLength() throws IOException {
        assertThat(refused(bomb(MAX), new GuardedTargets(MAX, false, PageData.PAGE)).getMessage())
                .contains("zlib: decodes to more than the packet's raw length 1048576");
    }
}
