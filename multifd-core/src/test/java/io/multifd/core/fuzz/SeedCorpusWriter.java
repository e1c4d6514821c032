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
package io.multifd.core.fuzz;

import io.multifd.api.DataChecksum;
import io.multifd.api.MultiFdConfig;
import io.multifd.api.ProtocolCode;
import io.multifd.core.testkit.ChannelRecorder;
import io.multifd.core.testkit.Harness;
import io.multifd.core.testkit.StreamReplay;
import io.multifd.core.transport.InMemoryTransport;
import io.multifd.core.wire.Reply;
import io.multifd.core.wire.Wire;
import io.multifd.testing.BlobClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;

/**
 * Writes the checked-in seed corpora of {@link WireFuzzTest} and {@link ReceiverFuzzTest} from
 * streams recorded off a real sender. Runs only on request:
 * {@code -Dmultifd.fuzz.writeCorpus=true -Dtest=SeedCorpusWriter} (the module directory is the
 * working directory); reproducers already in the corpus are kept.
 */
@EnabledIfSystemProperty(named = "multifd.fuzz.writeCorpus", matches = "true")
class SeedCorpusWriter {

    private static final Path BASE = Path.of("src/test/resources/io/multifd/core/fuzz");

    static byte[][] record(int channels) throws Exception {
        MultiFdConfig config = MultiFdConfig.builder().channels(channels).dataChecksum(DataChecksum.ALL)
                .ioTimeout(Duration.ofSeconds(5)).build();
        InMemoryTransport t = InMemoryTransport.create();
        ChannelRecorder rec = new ChannelRecorder(t.connector());
        try (Harness h = Harness.connect(config, t.listener(), rec)) {
            BlobClient c = h.client();
            for (int i = 0; i < 12; i++) {
                c.add(i, 1 + i % 3, 40 + i * 13);
                if (i % 4 == 3) {
                    c.flush();
                    h.sender.sync();
                }
            }
            c.flush();
            h.sender.finish();
            h.receiver.await();
        }
        return rec.streams();
    }

    static int helloLength(byte[] s) {
        return Wire.HELLO_FIXED_LENGTH + Short.toUnsignedInt(ByteBuffer.wrap(s).getShort(30)) + Wire.CRC_LENGTH;
    }

    static int manifestLength(byte[] s, int at) {
        return Wire.MANIFEST_FIXED_LENGTH + ByteBuffer.wrap(s).getInt(at + 8) + Wire.CRC_LENGTH;
    }

    @Test
    void write() throws Exception {
        byte[][] one = record(1);
        byte[][] three = record(3);
        byte[] ch0 = three[0];
        int hello0 = helloLength(ch0);
        int manifest0 = manifestLength(ch0, hello0);
        put("WireFuzzTestInputs/hello", "seed-channel-0", Arrays.copyOf(ch0, hello0));
        put("WireFuzzTestInputs/hello", "seed-channel-2", Arrays.copyOf(three[2], helloLength(three[2])));
        put("WireFuzzTestInputs/manifest", "seed-3-channels", Arrays.copyOfRange(ch0, hello0, hello0 + manifest0));
        put("WireFuzzTestInputs/packets", "seed-channel-0", Arrays.copyOfRange(ch0, hello0 + manifest0, ch0.length));
        put("WireFuzzTestInputs/packets", "seed-channel-1",
                Arrays.copyOfRange(three[1], helloLength(three[1]), three[1].length));
        put("WireFuzzTestInputs/reply", "seed-hello-accept", bytes(Reply.helloAccept(Wire.VERSION).encode()));
        put("WireFuzzTestInputs/reply", "seed-manifest-accept", bytes(Reply.manifestAccept().encode()));
        put("WireFuzzTestInputs/reply", "seed-completed", bytes(Reply.completed(17, 4096).encode()));
        put("WireFuzzTestInputs/reply", "seed-error", bytes(Reply.failure(Wire.REPLY_ERROR, ProtocolCode.MALFORMED,
                "channel 1, stream offset 96, field 'packet.sequence': 7").encode()));
        put("ReceiverFuzzTestInputs/receiver", "seed-1-channel", StreamReplay.pack(one));
        put("ReceiverFuzzTestInputs/receiver", "seed-3-channels", StreamReplay.pack(three));
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] a = new byte[b.remaining()];
        b.get(a);
        return a;
    }

    private static void put(String dir, String name, byte[] bytes) throws Exception {
        Path d = BASE.resolve(dir);
        Files.createDirectories(d);
        Files.write(d.resolve(name), bytes);
    }
}
