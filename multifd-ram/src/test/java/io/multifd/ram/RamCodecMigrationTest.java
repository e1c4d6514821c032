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
package io.multifd.ram;

import io.multifd.api.CodecOptions;
import io.multifd.api.MigrationStats;
import io.multifd.api.MultiFdConfig;
import io.multifd.api.PayloadStats;
import io.multifd.api.spi.Codec;
import io.multifd.core.MultiFdReceiver;
import io.multifd.core.MultiFdSender;
import io.multifd.core.PluginRegistry;
import io.multifd.core.transport.TcpTransport;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The byte-exact RAM migrations with every codec over TCP, 1 and 4 channels, with and without
 * live dirtying (issue 5's end-to-end check). The codecs come from multifd-compress through the
 * core's ServiceLoader discovery; the destination must equal the source exactly, the swept region
 * must hold one generation edge at most, and the wire must carry fewer bytes than the data.
 */
@Timeout(180)
class RamCodecMigrationTest {

    static final long IMAGE = 24L << 20;

    static Stream<Arguments> matrix() {
        List<Arguments> a = new ArrayList<>();
        for (String codec : new String[] {"zstd", "lz4", "zlib"}) {
            for (int channels : new int[] {1, 4}) {
                for (boolean live : new boolean[] {false, true}) {
                    a.add(Arguments.of(codec, channels, live));
                }
            }
        }
        return a.stream();
    }

    @ParameterizedTest(name = "{0}, {1} channels, live={2}")
    @MethodSource("matrix")
    void ramArrivesExactWithEveryCodec(String codec, int channels, boolean live) throws Exception {
        long seed = codec.hashCode() * 31L + channels * 2L + (live ? 1 : 0);
        RamBlock src = RamBlock.allocate("pc.ram", IMAGE + 1234);
        Images.fillMixed(src, seed);
        RamBlock dst = RamBlock.allocate("pc.ram", IMAGE + 1234);
        // the codecs the core discovers (none, zstd, lz4, zlib), plus the RAM payload on each side
        List<Codec> codecs = PluginRegistry.discover().codecs();
        assertThat(codecs).extracting(Codec::name).contains(codec);
        PluginRegistry.Builder tx = PluginRegistry.builder().add(RamPayload.sending());
        PluginRegistry.Builder rx = PluginRegistry.builder().add(RamPayload.receiving(RamDestination.of(dst)));
        codecs.forEach(h -> {
            tx.add(h);
            rx.add(h);
        });
        MultiFdConfig config = MultiFdConfig.builder().channels(channels).codec(codec, CodecOptions.level(1))
                .ioTimeout(Duration.ofSeconds(20)).finishTimeout(Duration.ofSeconds(30)).build();
        TcpTransport.Listener listener = TcpTransport.listen(new InetSocketAddress("127.0.0.1", 0));
        DirtyBitmap dirty = new DirtyBitmap(src);
        LiveWriters writers = new LiveWriters(src, dirty, 0, 2L << 20, seed);
        MigrationStats sent;
        MigrationStats received;
        PreCopy.Result result = null;
        try (MultiFdReceiver receiver = MultiFdReceiver.builder(config, listener).registry(rx.build()).build().start();
             MultiFdSender sender = MultiFdSender.builder(config, TcpTransport.connector(listener.localAddress()))
                     .registry(tx.build()).build()) {
            RamSaver saver = RamSaver.open(sender, List.of(src));
            sender.connect();
            if (live) {
                writers.start();
                result = PreCopy.builder(saver, List.of(dirty)).maxRounds(4).downtimeTarget(Duration.ZERO)
                        .pause((converged, pages, estimate) -> writers.stop()).build().run();
            } else {
                saver.saveAll();
            }
            sent = sender.finish();
            received = receiver.await(Duration.ofSeconds(60));
        } finally {
            writers.stop();
        }
        assertThat(Images.firstMismatches(src, dst)).as("%s, %d channels, live=%s: first mismatching offsets (seed %d)",
                codec, channels, live, seed).isEmpty();
        assertThat(Images.sha256(dst)).isEqualTo(Images.sha256(src));
        if (live) {
            writers.checkSweep(dst);
            assertThat(result.rounds()).hasSizeGreaterThanOrEqualTo(2);
        }
        assertThat(sent.codec()).isEqualTo(codec);
        assertThat(received.codec()).isEqualTo(codec);
        PayloadStats ram = received.payload("ram").orElseThrow();
        assertThat(ram.rawBytes()).isEqualTo(sent.payload("ram").orElseThrow().rawBytes());
        assertThat(ram.wireBytes()).as("compressed RAM on the wire").isLessThan(ram.rawBytes());
    }
}
