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
package io.multifd.testprovider;

import io.multifd.api.spi.Codec;
import io.multifd.testing.contract.AbstractCodecContractTest;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;

/**
 * The test provider's run-length codec keeps the same contract as the shipped codecs: a codec
 * without options (no levels) and without a library, checked against the small reference
 * encoder and decoder below.
 */
class RunLengthCodecContractTest extends AbstractCodecContractTest {

    @Override
    protected Codec codec() {
        return new RunLengthCodec();
    }

    @Override
    protected int expectedId() {
        return 900;
    }

    @Override
    protected String expectedName() {
        return "rle";
    }

    /** No level option at all. */
    @Override
    protected List<Integer> levels() {
        return List.of();
    }

    @Override
    protected List<String> invalidLevels() {
        return List.of();
    }

    /** Text-like pages have few runs: pages of runs, as the codec is made for. */
    @Override
    protected byte[] compressible(int pages, long seed) {
        byte[] b = new byte[pages * 4096];
        java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
        for (int i = 0; i < b.length; ) {
            int run = 64 + r.nextInt(192);
            byte v = (byte) r.nextInt(4);
            for (int k = 0; k < run && i < b.length; k++) {
                b[i++] = v;
            }
        }
        return b;
    }

    /** Three pages of runs, then one random page (which the codec doubles), and so on. */
    @Override
    protected byte[] mixed(int pages, long seed) {
        byte[] b = compressible(pages, seed);
        java.util.SplittableRandom r = new java.util.SplittableRandom(~seed);
        for (int p = 3; p < pages; p += 4) {
            for (int i = p * 4096; i < (p + 1) * 4096; i++) {
                b[i] = (byte) r.nextInt(256);
            }
        }
        return b;
    }

    /** Runs of 255 zeros: 2 bytes of encoding per 255 bytes of output. */
    @Override
    protected byte[] bomb(int rawLength) {
        int pairs = rawLength / 255 * 4 + 2;
        pairs = Math.min(pairs, rawLength / 2 - 1);
        byte[] b = new byte[pairs * 2];
        for (int i = 0; i < b.length; i += 2) {
            b[i] = (byte) 255;
        }
        return b;
    }

    @Override
    protected byte[] referenceEncode(byte[] raw) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int i = 0;
        while (i < raw.length) {
            int n = 1;
            while (i + n < raw.length && raw[i + n] == raw[i] && n < 255) {
                n++;
            }
            out.write(n);
            out.write(raw[i]);
            i += n;
        }
        return out.toByteArray();
    }

    @Override
    protected byte[] referenceDecode(byte[] encoded, int rawLength) throws IOException {
        byte[] out = new byte[rawLength];
        int o = 0;
        for (int p = 0; p + 1 < encoded.length; p += 2) {
            int n = Byte.toUnsignedInt(encoded[p]);
            if (n == 0 || o + n > rawLength) {
                throw new IOException("bad run");
            }
            java.util.Arrays.fill(out, o, o + n, encoded[p + 1]);
            o += n;
        }
        if (o != rawLength || (encoded.length & 1) != 0) {
            throw new IOException("bad length");
        }
        return out;
    }
}
