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
package io.multifd.api.spi;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * The return path of a migration as a payload's receiving side sees it: short messages from the
 * receiver back to the sender, carried on whichever of the session's channels is free to write,
 * and handed on the sender to the {@link io.multifd.api.ReturnHandler} of the same payload type.
 * Post-copy page requests travel this way.
 *
 * <p>It exists only if the sender asked for it (it registered a handler with
 * {@link io.multifd.api.SendSession#onReturn}); otherwise {@link #available()} is false and
 * {@link #send} throws. Get it with {@link ReceiveContext#returnPath(int)}. Messages keep their order per channel, not across channels.
 *
 * <p>Thread-safe: any thread (channel threads, plug-in threads, the application's threads) may
 * call {@link #send} at any time between the manifest and the end of the migration.
 */
public interface ReturnPath {

    /** The longest message, in bytes. */
    int MAX_MESSAGE_LENGTH = 2048;

    /** The path of a session whose sender did not ask for one: unavailable. */
    ReturnPath NONE = new ReturnPath() {
        @Override
        public boolean available() {
            return false;
        }

        @Override
        public void send(ByteBuffer message) {
            throw new IllegalStateException("this session has no return path: the sender registered no return handler");
        }
    };

    /** True if the sender asked for a return path, so {@link #send} can deliver messages. */
    boolean available();

    /**
     * Sends a message to the sender's handler of this payload type. Returns once the message was
     * written to a channel (bounded by the I/O timeout), not once it was handled.
     *
     * @param message the bytes between position and limit, at most {@link #MAX_MESSAGE_LENGTH};
     *                read during the call only (the position is not moved)
     * @throws IllegalStateException    if the path is not {@linkplain #available() available}
     * @throws IllegalArgumentException if the message is longer than {@link #MAX_MESSAGE_LENGTH}
     * @throws IOException              if no channel could take it (the migration failed or ended,
     *                                  or the write failed, which also fails the migration)
     */
    void send(ByteBuffer message) throws IOException;
}
