package io.multifd.core;

import io.multifd.api.MigrationStats;
import io.multifd.api.MultiFdConfig;
import io.multifd.core.testkit.BlobClient;
import io.multifd.core.testkit.BlobPayload;
import io.multifd.core.testkit.BlobSink;
import io.multifd.core.transport.InMemoryTransport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(60)
class SmokeTest {

    @Test
    void movesBlobs() throws Exception {
        InMemoryTransport t = InMemoryTransport.create();
        MultiFdConfig config = MultiFdConfig.builder().channels(2).build();
        BlobSink sink = new BlobSink();
        try (MultiFdReceiver receiver = MultiFdReceiver.builder(config, t.listener())
                .registry(PluginRegistry.builder().build())
                .payload(new BlobPayload(sink)).build().start();
             MultiFdSender sender = MultiFdSender.builder(config, t.connector())
                     .registry(PluginRegistry.builder().build())
                     .payload(new BlobPayload()).build()) {
            BlobPayload plugin = sender.payload(BlobPayload.class).orElseThrow();
            BlobClient.declare(sender, plugin);
            sender.connect();
            BlobClient c = new BlobClient(sender, plugin);
            for (int i = 0; i < 1000; i++) {
                c.add(i, 1, 100);
            }
            c.flush();
            MigrationStats s = sender.finish();
            MigrationStats r = receiver.await();
            assertThat(sink.arrivals()).hasSize(1000);
            assertThat(sink.corrupt()).isZero();
            assertThat(r.rawBytes()).isEqualTo(s.rawBytes()).isEqualTo(100_000);
        }
    }
}
