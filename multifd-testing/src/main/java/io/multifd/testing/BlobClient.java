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
package io.multifd.testing;

import io.multifd.api.SendData;
import io.multifd.api.SendSession;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A client of {@link BlobPayload}: owns its own slot, fills it with blobs, sends it when full.
 * Confined to one thread.
 */
public final class BlobClient {

    private final SendSession session;
    private final BlobPayload plugin;
    private SendData slot;

    /**
     * @param session the sender
     * @param plugin  the registered blob plug-in instance
     */
    public BlobClient(SendSession session, BlobPayload plugin) {
        this.session = session;
        this.plugin = plugin;
        this.slot = session.newSlot();
    }

    /** Declares the blob payload (before connect), with a small setup record. */
    public static void declare(SendSession session, BlobPayload plugin) {
        session.declare(plugin, ByteBuffer.wrap(new byte[] {1, 2, 3}));
    }

    /**
     * Queues a blob; sends the slot first if it is full.
     *
     * @param id      blob id
     * @param version version
     * @param length  bytes
     * @throws IOException if the send fails
     */
    public void add(long id, int version, int length) throws IOException {
        BlobPayload.Body b = slot.fill(plugin);
        if (b.full(length)) {
            flush();
            b = slot.fill(plugin);
        }
        b.add(id, version, length);
    }

    /** Sends the slot if it holds anything. */
    public void flush() throws IOException {
        if (!slot.isEmpty()) {
            slot = session.send(slot);
        }
    }
}
