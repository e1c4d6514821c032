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
package io.multifd.core.testkit;

import io.multifd.api.MigrationListener;
import io.multifd.api.MultiFdConfig;
import io.multifd.api.spi.TransportConnector;
import io.multifd.api.spi.TransportListener;
import io.multifd.core.MultiFdReceiver;
import io.multifd.core.MultiFdSender;
import io.multifd.core.PluginRegistry;
import io.multifd.testing.BlobClient;
import io.multifd.testing.BlobPayload;
import io.multifd.testing.BlobSink;

import java.io.IOException;
import java.util.function.UnaryOperator;

/**
 * A sender and a receiver wired with the blob payload, for tests. Closing it closes both.
 */
public final class Harness implements AutoCloseable {

    /** The sender (connected). */
    public final MultiFdSender sender;
    /** The receiver (started). */
    public final MultiFdReceiver receiver;
    /** The sender's blob plug-in instance. */
    public final BlobPayload plugin;
    /** What the receiver saw. */
    public final BlobSink sink;

    private Harness(MultiFdSender sender, MultiFdReceiver receiver, BlobPayload plugin, BlobSink sink) {
        this.sender = sender;
        this.receiver = receiver;
        this.plugin = plugin;
        this.sink = sink;
    }

    /**
     * Starts a receiver, builds a sender, declares the blob payload and connects.
     *
     * @param config            both sides' configuration
     * @param listener          receiver's transport
     * @param connector         sender's transport
     * @param receiverCustomizer adjusts the receiver builder (e.g. to add a listener)
     * @param senderListener    the sender's event listener
     */
    public static Harness connect(MultiFdConfig config, TransportListener listener, TransportConnector connector,
                                  UnaryOperator<MultiFdReceiver.Builder> receiverCustomizer,
                                  MigrationListener senderListener) throws IOException {
        BlobSink sink = new BlobSink();
        MultiFdReceiver receiver = receiverCustomizer.apply(MultiFdReceiver.builder(config, listener)
                .registry(PluginRegistry.builder().build())
                .payload(new BlobPayload(sink))).build().start();
        MultiFdSender sender = MultiFdSender.builder(config, connector)
                .registry(PluginRegistry.builder().build())
                .payload(new BlobPayload())
                .listener(senderListener)
                .build();
        BlobPayload plugin = sender.payload(BlobPayload.class).orElseThrow();
        BlobClient.declare(sender, plugin);
        try {
            sender.connect();
        } catch (IOException | RuntimeException e) {
            sender.close();
            receiver.close();
            throw e;
        }
        return new Harness(sender, receiver, plugin, sink);
    }

    /** Same, with defaults for the customizer and listener. */
    public static Harness connect(MultiFdConfig config, TransportListener listener, TransportConnector connector)
            throws IOException {
        return connect(config, listener, connector, b -> b, MigrationListener.NONE);
    }

    /** A new client of the blob payload on this sender. */
    public BlobClient client() {
        return new BlobClient(sender, plugin);
    }

    @Override
    public void close() {
        sender.close();
        receiver.close();
    }
}
