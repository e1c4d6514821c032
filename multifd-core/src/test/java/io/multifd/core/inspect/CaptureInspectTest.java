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
package io.multifd.core.inspect;

import io.multifd.api.DataChecksum;
import io.multifd.api.MalformedPacketException;
import io.multifd.api.MultiFdConfig;
import io.multifd.core.PluginRegistry;
import io.multifd.core.testkit.Harness;
import io.multifd.core.testkit.StreamReplay;
import io.multifd.core.transport.CaptureListener;
import io.multifd.core.transport.InMemoryTransport;
import io.multifd.testing.BlobClient;
import io.multifd.testing.BlobPayload;
import io.multifd.testing.BlobSink;
import io.multifd.testing.logging.CapturedLogs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A migration captured by {@link CaptureListener} is one file per channel holding exactly what the
 * channel received, and {@link StreamInspector} decodes each file to its COMMIT; a damaged file
 * stops the inspector at the same field, offset and value at which the receiver fails.
 */
@Timeout(60)
class CaptureInspectTest {

    private static final MultiFdConfig CONFIG = MultiFdConfig.builder().channels(3).dataChecksum(DataChecksum.ALL)
            .ioTimeout(Duration.ofSeconds(5)).build();

    private final StreamInspector inspector = new StreamInspector(
            PluginRegistry.builder().add(new BlobPayload()).build(), MultiFdConfig.builder().build());

    private static byte[][] capture(Path dir) throws Exception {
        InMemoryTransport t = InMemoryTransport.create();
        try (Harness h = Harness.connect(CONFIG, CaptureListener.wrap(t.listener(), dir), t.connector())) {
            BlobClient c = h.client();
            for (int i = 0; i < 12; i++) {
                c.add(i, 1, 100 + i * 31);
                if (i % 4 == 3) {
                    c.flush();
                    h.sender.sync();
                }
            }
            c.flush();
            h.sender.finish();
            h.receiver.await(Duration.ofSeconds(30));
            assertThat(h.sink.corrupt()).isZero();
        }
        return new byte[][] {Files.readAllBytes(dir.resolve("channel-0.bin")),
                Files.readAllBytes(dir.resolve("channel-1.bin")), Files.readAllBytes(dir.resolve("channel-2.bin"))};
    }

    private List<StreamInspector.Message> inspect(byte[] stream, StreamInspector.Summary[] summary) throws Exception {
        List<StreamInspector.Message> out = new ArrayList<>();
        summary[0] = inspector.inspect(new ByteArrayInputStream(stream), out::add);
        return out;
    }

    @Test
    void everyCapturedChannelDecodesToItsCommit(@TempDir Path dir, CapturedLogs logs) throws Exception {
        byte[][] streams = capture(dir);
        assertThat(dir).isDirectoryContaining("glob:**/channel-{0,1,2}.bin");
        long packets = 0;
        for (int k = 0; k < 3; k++) {
            StreamInspector.Summary[] s = new StreamInspector.Summary[1];
            List<StreamInspector.Message> m = inspect(streams[k], s);
            assertThat(s[0].complete()).as("channel %d: %s", k, s[0].stop()).isTrue();
            assertThat(s[0].bytes()).isEqualTo(streams[k].length);
            assertThat(m.get(0).kind()).isEqualTo("hello");
            assertThat(m.get(0).fields()).containsEntry("channel", k).containsEntry("channels", 3)
                    .containsEntry("codec", "none");
            assertThat(m.get(m.size() - 1).kind()).isEqualTo("COMMIT");
            assertThat(m.get(m.size() - 2).kind()).isEqualTo("EOS");
            // three syncs, and the one finish() sends before EOS
            assertThat(m.stream().filter(x -> x.kind().equals("SYNC"))).as("channel %d: SYNCs", k).hasSize(4);
            assertThat(m.stream().filter(x -> x.kind().equals("packet"))).allSatisfy(p -> assertThat(p.fields())
                    .containsEntry("payload", new BlobPayload().name()).containsKey("header"));
            packets += s[0].packets();
            if (k == 0) {
                assertThat(m.get(1).kind()).isEqualTo("manifest");
            }
        }
        assertThat(packets).as("data packets over all channels").isPositive();
    }

    @Test
    void aDamagedCaptureStopsWhereTheReceiverFails(@TempDir Path dir, CapturedLogs logs) throws Exception {
        byte[][] streams = capture(dir);
        StreamInspector.Summary[] s = new StreamInspector.Summary[1];
        List<StreamInspector.Message> m = inspect(streams[1], s);
        StreamInspector.Message packet = m.stream().filter(x -> x.kind().equals("packet")).findFirst().orElseThrow();
        // the last byte of the first data packet's data: only its data CRC notices
        long end = packet.offset() + 48 + (long) packet.fields().get("headerLength")
                + (long) packet.fields().get("encodedLength") - 1;
        streams[1][(int) end] ^= 0x40;

        List<StreamInspector.Message> damaged = inspect(streams[1], s);
        assertThat(s[0].complete()).isFalse();
        StreamInspector.Message error = damaged.get(damaged.size() - 1);
        assertThat(error.kind()).isEqualTo("error");
        assertThat(error.fields()).containsEntry("field", "packet.data crc").containsEntry("channel", 1);
        assertThat(error.offset()).isEqualTo(packet.offset());

        StreamReplay.Outcome o = StreamReplay.replay(CONFIG, PluginRegistry.builder().build(),
                List.of(new BlobPayload(new BlobSink())), streams, Duration.ofSeconds(30));
        assertThat(o).isInstanceOf(StreamReplay.Failed.class);
        assertThat(((StreamReplay.Failed) o).cause()).isInstanceOfSatisfying(MalformedPacketException.class, e -> {
            assertThat(e.getMessage()).as("the receiver's words").isEqualTo(error.fields().get("message"));
        });
    }
}
