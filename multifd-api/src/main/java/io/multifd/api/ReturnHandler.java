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
package io.multifd.api;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Receives, on the sending side, the messages a payload's receiving side sent back over the
 * channels' return path ({@link io.multifd.api.spi.ReturnPath}): page requests of a post-copy
 * migration, acknowledgements, anything a plug-in defines. The core only frames and routes them
 * by payload type; what the bytes mean is the plug-in's business.
 *
 * <p>Registered with {@link SendSession#onReturn} before the session connects. Called on the
 * reply thread of the channel the message arrived on ({@code multifd-send-<session>-ch<id>-reply}),
 * so calls for messages of different channels may run at the same time; it must return quickly
 * (queue the work, do not send from here: the reply thread must go on reading).
 */
@FunctionalInterface
public interface ReturnHandler {

    /**
     * Handles one message.
     *
     * @param channel the id of the channel it arrived on
     * @param message the message, read-only, position 0 to its length; valid only during this
     *                call (copy what you keep); untrusted input: a malformed message should be
     *                refused with a {@link MalformedPacketException} naming the field
     * @throws IOException if the message is malformed or cannot be handled: the migration fails
     *                     with it
     */
    void onMessage(int channel, ByteBuffer message) throws IOException;

    /**
     * Called once when the session fails (from {@code connect()} on), with its first error, so
     * that a client waiting for an answer of its receiving side (a page, an acknowledgement) wakes
     * at once instead of waiting out its own timeout or polling {@link SendSession#failure()}.
     *
     * <p>Called on the thread that failed the session (a channel thread, a reply thread, or a
     * client thread in {@code send}, {@code finish} or {@code cancel}), possibly while the
     * session holds its own lock: it must return quickly and must not call the session's
     * blocking methods; signal a condition or complete a future. What it throws is logged and
     * ignored. The default does nothing.
     *
     * @param cause the session's first error
     */
    default void onSessionFailed(Throwable cause) {
    }
}
