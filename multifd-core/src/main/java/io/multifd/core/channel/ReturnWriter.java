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
package io.multifd.core.channel;

import io.multifd.api.MigrationFailedException;
import io.multifd.api.spi.ReturnPath;
import io.multifd.core.session.FailureLatch;
import io.multifd.core.wire.Reply;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The receiver's side of the return path for one payload type: writes each message as a RETURN
 * reply on one of the session's channels, the first whose write lock is free, starting after the
 * channel used last (so messages spread over the channels), or on the next open channel if all
 * are writing. A channel is open for return messages from its hello until it wrote COMPLETED.
 *
 * <p>Thread-safe: any thread. Each message allocates its encoded reply (return messages are
 * rare next to data packets).
 */
public final class ReturnWriter implements ReturnPath {

    private final ChannelTable table;
    private final int payloadType;
    private final FailureLatch latch;
    private final AtomicInteger next = new AtomicInteger();

    /**
     * @param table       the session's channels
     * @param payloadType the type id that tags this writer's messages
     * @param latch       the migration's first error
     */
    public ReturnWriter(ChannelTable table, int payloadType, FailureLatch latch) {
        this.table = Objects.requireNonNull(table, "table");
        this.payloadType = payloadType;
        this.latch = Objects.requireNonNull(latch, "latch");
    }

    @Override
    public boolean available() {
        return true;
    }

    @Override
    public void send(ByteBuffer message) throws IOException {
        Reply r = Reply.returned(payloadType, message); // checks the length
        ReceiveChannel[] cs = table.channels();
        int n = cs.length;
        int start = Math.floorMod(next.getAndIncrement(), Math.max(1, n));
        ReceiveChannel fallback = null;
        for (int k = 0; k < n; k++) {
            if (latch.failed()) {
                break;
            }
            ReceiveChannel c = cs[(start + k) % n];
            if (c == null || !open(c.phase())) {
                continue;
            }
            if (fallback == null) {
                fallback = c;
            }
            if (c.tryWriteReply(r)) {
                return;
            }
        }
        if (latch.failed()) {
            throw new MigrationFailedException("the migration failed; the return-path message was not sent", latch.cause());
        }
        if (fallback == null) {
            throw new IOException("no channel is open for return-path messages (the migration is ending or not started)");
        }
        fallback.writeReply(r, "return-path message");
    }

    private static boolean open(ReceiveChannel.Phase p) {
        return switch (p) {
            case SETUP, STREAMING, AT_SYNC, ENDED -> true;
            default -> false;
        };
    }
}
