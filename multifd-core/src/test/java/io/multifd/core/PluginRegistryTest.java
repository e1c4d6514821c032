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

import io.multifd.api.CodecOptions;
import io.multifd.api.PluginUnavailableException;
import io.multifd.api.spi.Codec;
import io.multifd.api.spi.CodecContext;
import io.multifd.api.spi.CodecDecoder;
import io.multifd.api.spi.CodecEncoder;
import io.multifd.core.codec.NoneCodec;
import io.multifd.testing.BlobPayload;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(30)
class PluginRegistryTest {

    /** A blob payload under another class with the same id. */
    static final class Impostor extends BlobPayload {
    }

    /** Another class with the blob payload's name but a different id. */
    static final class SameName extends BlobPayload {
        @Override
        public int id() {
            return 1001;
        }
    }

    static final class BadName extends BlobPayload {
        @Override
        public String name() {
            return "Blob Payload";
        }
    }

    static final class BadId extends BlobPayload {
        @Override
        public int id() {
            return 0;
        }
    }

    /** An id the 16-bit wire field cannot hold: cut to 1000 + 65536 - 65536, it would be blob's. */
    static final class HugeId extends BlobPayload {
        @Override
        public int id() {
            return BlobPayload.ID + 65_536;
        }

        @Override
        public String name() {
            return "huge";
        }
    }

    static final class FakeZstd implements Codec {
        @Override
        public int id() {
            return 1;
        }

        @Override
        public String name() {
            return "zstd";
        }

        @Override
        public void checkAvailable() throws PluginUnavailableException {
            throw new PluginUnavailableException("codec 'zstd' is not available: native library failed to load",
                    new UnsatisfiedLinkError("no zstd-jni in java.library.path"));
        }

        @Override
        public void validate(CodecOptions options) {
        }

        @Override
        public CodecEncoder newEncoder(CodecOptions options, CodecContext context) {
            throw new UnsupportedOperationException();
        }

        @Override
        public CodecDecoder newDecoder(CodecOptions options, CodecContext context) {
            throw new UnsupportedOperationException();
        }
    }

    @Test
    void noneIsAlwaysPresent() {
        PluginRegistry r = PluginRegistry.builder().build();
        assertThat(r.codec("none")).get().isInstanceOf(NoneCodec.class);
        assertThat(r.codec(0)).isPresent();
        assertThat(PluginRegistry.discover().codecs()).filteredOn(h -> h.name().equals("none")).hasSize(1);
    }

    @Test
    void twoPluginsWithTheSameIdAreRefusedNamingBothClasses() {
        assertThatThrownBy(() -> PluginRegistry.builder().add(new BlobPayload()).add(new Impostor()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(BlobPayload.class.getName())
                .hasMessageContaining(Impostor.class.getName())
                .hasMessageContaining("same wire id");
    }

    @Test
    void twoPluginsWithTheSameNameAreRefusedNamingBothClasses() {
        assertThatThrownBy(() -> PluginRegistry.builder().add(new BlobPayload()).add(new SameName()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(BlobPayload.class.getName())
                .hasMessageContaining(SameName.class.getName())
                .hasMessageContaining("same name");
    }

    @Test
    void aSecondExplicitInstanceOfTheSameClassIsRefused() {
        assertThatThrownBy(() -> PluginRegistry.builder().add(new BlobPayload()).add(new BlobPayload()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("two instances of payload plug-in " + BlobPayload.class.getName())
                .hasMessageEndingWith("were registered; register one");
    }

    @Test
    void theSameInstanceTwiceIsHarmless() {
        BlobPayload p = new BlobPayload();
        assertThat(PluginRegistry.builder().add(p).add(p).build().payloads()).containsExactly(p);
    }

    @Test
    void invalidNamesAndIdsAreRefused() {
        assertThatThrownBy(() -> PluginRegistry.builder().add(new BadName()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("invalid name 'Blob Payload'");
        assertThatThrownBy(() -> PluginRegistry.builder().add(new BadId()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("wire id 0");
        // checked for every entry, the first included, and whatever way it comes in (discovered too)
        assertThatThrownBy(() -> PluginRegistry.builder().add(new HugeId()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("wire id 66536, outside 1..65535");
        assertThatThrownBy(() -> PluginRegistry.builder().add(new BlobPayload()).add(new HugeId()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("wire id 66536");
    }

    @Test
    void lookupsFindByIdNameAndClass() {
        BlobPayload p = new BlobPayload();
        PluginRegistry r = PluginRegistry.builder().add(p).build();
        assertThat(r.payload(BlobPayload.ID)).containsSame(p);
        assertThat(r.payload("blob")).containsSame(p);
        assertThat(r.payload(BlobPayload.class)).containsSame(p);
        assertThat(r.payload(7)).isEmpty();
        assertThat(r.payloadNames()).isEqualTo("blob (1000)");
    }

    @Test
    void aMissingCodecIsReportedWithTheOnesPresent() {
        PluginRegistry r = PluginRegistry.builder().build();
        assertThatThrownBy(() -> r.requireCodec("brotli"))
                .isInstanceOf(PluginUnavailableException.class)
                .hasMessageContaining("codec 'brotli' is not available")
                .hasMessageContaining("present: none");
    }

    @Test
    void aCodecWhoseNativeLibraryFailedIsReportedWithItsCause() {
        PluginRegistry r = PluginRegistry.builder().add(new FakeZstd()).build();
        assertThatThrownBy(() -> r.requireCodec("zstd"))
                .isInstanceOf(PluginUnavailableException.class)
                .hasMessageContaining("zstd")
                .hasCauseInstanceOf(UnsatisfiedLinkError.class);
        assertThat(r.codec("none")).isPresent();
    }

    @Test
    void aConfiguredInstanceReplacesTheBaseOneOfTheSameClass() throws Exception {
        BlobPayload base = new BlobPayload();
        BlobPayload configured = new BlobPayload();
        PluginRegistry r = PluginRegistry.builder().addAll(PluginRegistry.builder().add(base).build()).add(configured).build();
        assertThat(r.payload(BlobPayload.ID)).containsSame(configured);
        try (MultiFdSender s = MultiFdSender.builder(io.multifd.api.MultiFdConfig.defaults(),
                io.multifd.core.transport.InMemoryTransport.create().connector())
                .registry(PluginRegistry.builder().add(base).build()).payload(configured).build()) {
            assertThat(s.payload(BlobPayload.class)).containsSame(configured);
        }
        assertThatThrownBy(() -> PluginRegistry.builder().addAll(PluginRegistry.builder().add(base).build()).add(new Impostor()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("same wire id");
    }
}
