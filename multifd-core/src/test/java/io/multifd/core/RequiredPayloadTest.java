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

import io.multifd.api.HandshakeRefusedException;
import io.multifd.api.MigrationFailedException;
import io.multifd.api.MultiFdConfig;
import io.multifd.api.ProtocolCode;
import io.multifd.api.SetupRefusedException;
import io.multifd.core.transport.InMemoryTransport;
import io.multifd.testing.BlobClient;
import io.multifd.testing.BlobPayload;
import io.multifd.testing.BlobRangesPayload;
import io.multifd.testing.BlobSink;
import io.multifd.testing.logging.CapturedLogs;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A receiver that declares a payload plug-in required refuses, naming the plug-in, a manifest
 * without a record for it, before any buffer moves; with the record present the session completes.
 */
@Timeout(30)
class RequiredPayloadTest {

    private final InMemoryTransport transport = InMemoryTransport.create();
    private final BlobSink sink = new BlobSink();
    private final MultiFdConfig config = MultiFdConfig.builder().maxChannels(4).handshakeTimeout(Duration.ofSeconds(5))
            .ioTimeout(Duration.ofSeconds(5)).maxPacketDataLength(1 << 20).build();
    private CapturedLogs logs;

    @BeforeEach
    void captureLogs(CapturedLogs logs) {
        this.logs = logs;
    }

    @Test
    void aManifestWithoutTheRequiredPluginIsRefusedNamingIt() throws Exception {
        try (MultiFdReceiver receiver = MultiFdReceiver.builder(config, transport.listener())
                .registry(PluginRegistry.builder().build())
                .payload(new BlobPayload(sink))
                .require(BlobRangesPayload.receiver())
                .build().start();
             MultiFdSender sender = MultiFdSender.builder(MultiFdConfig.builder().channels(2).maxPacketDataLength(1 << 20).build(), transport.connector())
                .registry(PluginRegistry.builder().build()).payload(new BlobPayload()).build()) {
            BlobClient.declare(sender, sender.payload(BlobPayload.class).orElseThrow());
            assertThatThrownBy(sender::connect)
                    .isInstanceOf(MigrationFailedException.class)
                    .cause().isInstanceOfSatisfying(HandshakeRefusedException.class, e -> {
                        assertThat(e.code()).isEqualTo(ProtocolCode.SETUP_REFUSED);
                        assertThat(e.getMessage()).contains("payload '" + BlobRangesPayload.NAME + "' (id "
                                + BlobRangesPayload.ID + ") is required by this receiver");
                    });
            assertThatThrownBy(() -> receiver.await(Duration.ofSeconds(10)))
                    .isInstanceOf(MigrationFailedException.class)
                    .cause().isInstanceOfSatisfying(SetupRefusedException.class, e -> assertThat(e.getMessage())
                            .contains("'" + BlobRangesPayload.NAME + "'", "no record for it"));
            assertThat(sink.packets()).isZero();
        }
    }

    @Test
    void aManifestWithTheRequiredPluginCompletes() throws Exception {
        BlobPayload required = new BlobPayload(sink);
        try (MultiFdReceiver receiver = MultiFdReceiver.builder(config, transport.listener())
                .registry(PluginRegistry.builder().build())
                .require(required)
                .build().start();
             MultiFdSender sender = MultiFdSender.builder(MultiFdConfig.builder().channels(2).maxPacketDataLength(1 << 20).build(), transport.connector())
                .registry(PluginRegistry.builder().build()).payload(new BlobPayload()).build()) {
            BlobPayload p = sender.payload(BlobPayload.class).orElseThrow();
            BlobClient.declare(sender, p);
            sender.connect();
            BlobClient client = new BlobClient(sender, p);
            client.add(7, 1, 1000);
            client.flush();
            sender.finish();
            receiver.await(Duration.ofSeconds(10));
            assertThat(sink.applied()).containsEntry(7L, 1);
        }
    }
}
