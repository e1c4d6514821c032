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
import java.time.Duration;

/**
 * The receiving side of one payload type for one session, made by
 * {@link PayloadPlugin#openReceiver(ReceiveContext, java.nio.ByteBuffer)}.
 *
 * <p>Thread-safe: {@link #openChannel(int)} runs on each channel thread, {@link #finish(Duration)}
 * on the receiver's coordinating thread, {@link #abort(Throwable)} on whichever thread saw the
 * first error, and {@link #close()} once at the end, after every channel thread has ended.
 */
public interface PayloadReceiver extends AutoCloseable {

    /**
     * Makes the receiver of one channel. Called on that channel's thread, before its first packet.
     *
     * @param channelId the channel
     * @return a channel receiver confined to that thread
     * @throws IOException if the channel cannot be served; this fails the migration
     */
    PayloadChannelReceiver openChannel(int channelId) throws IOException;

    /**
     * Called once every channel has delivered its end of stream: returns when everything this
     * payload received has been applied (device state: every loader has finished). The receiver
     * reports COMPLETED only after every payload's {@code finish} returned.
     *
     * <p>May block up to {@code timeout}; {@link #abort(Throwable)} from another thread must make
     * it return promptly by throwing.
     *
     * @param timeout how long it may wait
     * @throws IOException if something was not or could not be applied (a missing last buffer,
     *                     a loader that failed, a timeout), naming what; a
     *                     {@link java.io.InterruptedIOException} if interrupted
     */
    default void finish(Duration timeout) throws IOException {
    }

    /**
     * The migration failed: stop work, wake any blocked call, end own threads. Called at most
     * once, possibly while channel threads are still inside this payload's methods.
     *
     * @param cause the first error
     */
    default void abort(Throwable cause) {
    }

    /** Releases everything; own threads must have ended when this returns. Called once. */
    @Override
    default void close() {
    }
}
