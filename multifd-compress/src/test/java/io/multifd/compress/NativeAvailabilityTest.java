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
import io.multifd.api.PluginUnavailableException;
import io.multifd.api.ProtocolCode;
import io.multifd.api.spi.Codec;
import io.multifd.api.spi.CodecDecoder;
import io.multifd.api.spi.CodecEncoder;
import io.multifd.compress.internal.Lz4Lib;
import io.multifd.testing.CapturingSink;
import io.multifd.testing.FakeCodecContext;
import io.multifd.testing.FakeIncomingPacket;
import io.multifd.testing.GuardedTargets;
import io.multifd.testing.PageData;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A native library that fails to load: simulated through the codecs' package-private probe seam.
 * The failure is reported once in the log and by every {@code checkAvailable()}, with its cause
 * and the codec's name; the other codecs keep working.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class NativeAvailabilityTest {

    private final List<LogRecord> records = new CopyOnWriteArrayList<>();
    private final Logger julLogger = Logger.getLogger("io.multifd.compress");
    private final Handler handler = new Handler() {
        @Override
        public void publish(LogRecord r) {
            records.add(r);
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    private boolean parentHandlers;

    @BeforeEach
    void capture() {
        julLogger.addHandler(handler);
        parentHandlers = julLogger.getUseParentHandlers();
        julLogger.setUseParentHandlers(false); // the simulated failures are expected: keep the console quiet
    }

    @AfterEach
    void release() {
        julLogger.removeHandler(handler);
        julLogger.setUseParentHandlers(parentHandlers);
    }

    private List<LogRecord> warningsMentioning(String text) {
        return records.stream().filter(r -> r.getLevel() == Level.WARNING && r.getMessage().contains(text)).toList();
    }

    @Test
    void zstdThatCannotLoadIsUnavailableAndSaysWhyOnce() {
        UnsatisfiedLinkError cause = new UnsatisfiedLinkError("simulated: no libzstd-jni for this platform");
        ZstdCodec codec = new ZstdCodec(() -> {
            throw cause;
        });
        for (int i = 0; i < 3; i++) {
            assertThatThrownBy(codec::checkAvailable)
                    .isInstanceOf(PluginUnavailableException.class)
                    .hasMessageContaining("zstd: codec unavailable")
                    .hasMessageContaining("the native library of zstd-jni")
                    .hasMessageContaining("simulated: no libzstd-jni")
                    .hasCause(cause)
                    .satisfies(e -> assertThat(((PluginUnavailableException) e).code())
                            .isEqualTo(ProtocolCode.UNKNOWN_CODEC));
        }
        assertThatThrownBy(() -> codec.newEncoder(CodecOptions.NONE, FakeCodecContext.of(1 << 16)))
                .isInstanceOf(PluginUnavailableException.class).hasCause(cause);
        assertThatThrownBy(() -> codec.newDecoder(CodecOptions.NONE, FakeCodecContext.of(1 << 16)))
                .isInstanceOf(PluginUnavailableException.class).hasCause(cause);
        codec.validate(CodecOptions.level(3)); // configuration checks need no native code
        assertThat(codec.probe().runs()).as("the probe ran once").isEqualTo(1);
        List<LogRecord> logged = warningsMentioning("simulated: no libzstd-jni");
        assertThat(logged).as("reported once in the log").hasSize(1);
        assertThat(logged.get(0).getMessage()).contains("zstd").contains("other codecs are not affected");
        assertThat(logged.get(0).getThrown()).isSameAs(cause);
    }

    @Test
    void otherCodecsKeepWorkingWhileZstdIsUnavailable() throws IOException {
        ZstdCodec broken = new ZstdCodec(() -> {
            throw new UnsatisfiedLinkError("simulated");
        });
        assertThatThrownBy(broken::checkAvailable).isInstanceOf(PluginUnavailableException.class);
        byte[] raw = PageData.mixed(16, 5);
        for (Codec h : new Codec[]{new Lz4Codec(), new ZlibCodec(), new ZstdCodec()}) {
            h.checkAvailable();
            assertThat(roundTrip(h, raw)).as(h.name()).isEqualTo(raw);
        }
    }

    @Test
    void lz4WithoutItsNativeLibraryFallsBackToPureJavaAndSaysSoOnce() throws IOException {
        UnsatisfiedLinkError cause = new UnsatisfiedLinkError("simulated: liblz4-java.so missing");
        Lz4Codec codec = new Lz4Codec(() -> {
        }, () -> {
            throw cause;
        });
        codec.checkAvailable();
        codec.checkAvailable();
        try (CodecEncoder enc = codec.newEncoder(CodecOptions.NONE, FakeCodecContext.of(1 << 20));
             CodecDecoder dec = codec.newDecoder(CodecOptions.NONE, FakeCodecContext.of(1 << 20))) {
            assertThat(((Lz4Lib.Encoder) enc).implementation()).contains("Java");
            assertThat(((Lz4Lib.Decoder) dec).implementation()).contains("JavaSafe");
        }
        byte[] raw = PageData.mixed(16, 6);
        assertThat(roundTrip(codec, raw)).isEqualTo(raw);
        assertThat(codec.nativeProbe().runs()).isEqualTo(1);
        List<LogRecord> logged = warningsMentioning("simulated: liblz4-java.so missing");
        assertThat(logged).hasSize(1);
        assertThat(logged.get(0).getMessage()).contains("lz4").contains("pure-Java");
        assertThat(logged.get(0).getThrown()).isSameAs(cause);
    }

    @Test
    void lz4WithoutLz4JavaIsUnavailable() {
        NoClassDefFoundError cause = new NoClassDefFoundError("net/jpountz/lz4/LZ4Factory (simulated)");
        Lz4Codec codec = new Lz4Codec(() -> {
            throw cause;
        }, () -> {
        });
        assertThatThrownBy(codec::checkAvailable).isInstanceOf(PluginUnavailableException.class)
                .hasMessageContaining("lz4: codec unavailable: lz4-java 1.14.0").hasCause(cause);
        assertThatThrownBy(() -> codec.newDecoder(CodecOptions.NONE, FakeCodecContext.of(1 << 16)))
                .isInstanceOf(PluginUnavailableException.class).hasCause(cause);
    }

    @Test
    void theRealLibrariesLoadHere() throws IOException {
        new ZstdCodec().checkAvailable();
        assertThat(new ZstdCodec().probe().isAvailable()).isTrue();
        new Lz4Codec().checkAvailable();
        assertThat(new Lz4Codec().nativeProbe().isAvailable()).isTrue();
    }

    private static byte[] roundTrip(Codec codec, byte[] raw) throws IOException {
        try (CodecEncoder enc = codec.newEncoder(CodecOptions.NONE, FakeCodecContext.of(1 << 20));
             CodecDecoder dec = codec.newDecoder(CodecOptions.NONE, FakeCodecContext.of(1 << 20))) {
            CapturingSink sink = new CapturingSink();
            assertThat(enc.encode(PageData.split(raw, PageData.PAGE, true), 0, raw.length / PageData.PAGE,
                    raw.length, sink)).isTrue();
            byte[] e = sink.bytes();
            GuardedTargets t = new GuardedTargets(raw.length, false, PageData.PAGE);
            java.nio.ByteBuffer in = dec.inputBuffer(e.length).put(e);
            dec.decode(in, t.targets, 0, t.targets.length, raw.length,
                    false, new FakeIncomingPacket(0).rawLength(raw.length));
            assertThat(t.guardsIntact()).isTrue();
            return t.contents();
        }
    }
}
