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

import io.multifd.api.MigrationListener;
import io.multifd.api.MigrationStats;
import io.multifd.api.MultiFdConfig;
import io.multifd.api.spi.PayloadPlugin;
import io.multifd.api.spi.TransportConnector;
import io.multifd.api.spi.TransportListener;
import io.multifd.core.MultiFdReceiver;
import io.multifd.core.MultiFdSender;
import io.multifd.core.PluginRegistry;
import io.multifd.core.transport.InMemoryTransport;
import io.multifd.core.transport.TcpTransport;
import io.multifd.core.transport.tls.TlsConfig;
import io.multifd.core.transport.tls.TlsTransport;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** Runs migrations through the real core. */
final class Migrations {

    private Migrations() {
    }

    /** TLS: mutual TLS over loopback TCP, with the test identities under {@code tls/} pinned both ways. */
    enum Kind { MEMORY, DELAYED_MEMORY, TCP, TLS }

    record Transport(TransportConnector connector, TransportListener listener) {
    }

    static Transport transport(Kind kind, long seed) throws IOException {
        switch (kind) {
            case MEMORY: {
                InMemoryTransport t = InMemoryTransport.create();
                return new Transport(t.connector(), t.listener());
            }
            case DELAYED_MEMORY: {
                InMemoryTransport t = InMemoryTransport.builder().seed(seed).maxDelay(Duration.ofMillis(2)).build();
                return new Transport(t.connector(), t.listener());
            }
            case TLS: {
                TcpTransport.Listener l = TcpTransport.listen(new InetSocketAddress("127.0.0.1", 0));
                return new Transport(TlsTransport.tcpConnector(l.localAddress(), tls("sender", "receiver")),
                        TlsTransport.listener(l, tls("receiver", "sender")));
            }
            default: {
                TcpTransport.Listener l = TcpTransport.listen(new InetSocketAddress("127.0.0.1", 0));
                return new Transport(TcpTransport.connector(l.localAddress()), l);
            }
        }
    }

    private static TlsConfig tls(String me, String peer) throws IOException {
        return TlsConfig.builder().identityPem(resource(me + ".crt"), resource(me + ".key"))
                .trustPem(resource(peer + ".crt")).build();
    }

    private static Path resource(String name) throws IOException {
        try {
            return Path.of(Migrations.class.getResource("/tls/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IOException(e);
        }
    }

    static MultiFdConfig config(int channels) {
        return MultiFdConfig.builder().channels(channels).ioTimeout(Duration.ofSeconds(20))
                .finishTimeout(Duration.ofSeconds(30)).acceptTimeout(Duration.ofSeconds(30)).build();
    }

    /** The body of a migration on the sender: rounds with the saver. */
    interface Rounds {
        void run(RamSaver saver) throws Exception;
    }

    record Result(MigrationStats sender, MigrationStats receiver) {
    }

    /**
     * Migrates {@code src} into whatever {@code receivePayload} resolves, with {@code rounds}
     * driving the saver, then finish() and await().
     */
    static Result migrate(Kind kind, long seed, int channels, List<RamBlock> src, PayloadPlugin<?> receivePayload,
                          MigrationListener senderListener, Rounds rounds) throws Exception {
        Transport t = transport(kind, seed);
        MultiFdConfig config = config(channels);
        PluginRegistry rxRegistry = PluginRegistry.builder().add(receivePayload).build();
        try (MultiFdReceiver receiver = MultiFdReceiver.builder(config, t.listener()).registry(rxRegistry).build().start();
             MultiFdSender sender = MultiFdSender.builder(config, t.connector())
                     .registry(PluginRegistry.builder().add(RamPayload.sending()).build())
                     .listener(senderListener).build()) {
            RamSaver saver = RamSaver.open(sender, src);
            MigrationStats s;
            try {
                sender.connect();
                rounds.run(saver);
                s = sender.finish();
            } catch (Exception e) {
                try {
                    receiver.await(Duration.ofSeconds(10));
                } catch (Exception rx) {
                    e.addSuppressed(rx); // the receiver's side of the story
                }
                throw e;
            }
            MigrationStats r = receiver.await(Duration.ofSeconds(60));
            return new Result(s, r);
        } finally {
            t.listener().close();
        }
    }
}
