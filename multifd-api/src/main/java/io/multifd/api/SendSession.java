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

import io.multifd.api.spi.PayloadPlugin;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Optional;

/**
 * The sending side of a migration as its clients see it: the RAM saver, device-state savers and
 * users' own payload clients program against this interface (they depend on {@code multifd-api}
 * only); {@code io.multifd.core.MultiFdSender} implements it.
 *
 * <h2>Life cycle</h2>
 * <ol>
 *   <li><b>New</b>: clients {@linkplain #declare(PayloadPlugin, ByteBuffer) declare} their setup
 *       records for the session manifest.</li>
 *   <li><b>Connected</b> (after the owner calls {@code connect()}): clients fill slots and
 *       {@linkplain #send(SendData) send} them; {@link #sync()} separates rounds.</li>
 *   <li><b>Finished</b> or <b>failed</b>: {@code declare}, {@code send} and {@code sync} throw
 *       {@link IllegalStateException} (finished) or {@link MigrationFailedException} carrying the
 *       first cause (failed); the accessors ({@code config}, {@code payload}, {@code stats},
 *       {@code newSlot}) keep working.</li>
 * </ol>
 *
 * <h2>Threads</h2>
 * Thread-safe: several clients, each on its own thread with its own slot, call {@link #send} at
 * the same time; {@link #sync()} may be called by any client. A slot must never be used by two
 * threads.
 */
public interface SendSession {

    /** The configuration this session runs with. */
    MultiFdConfig config();

    /** The session id (random per migration unless the configuration fixes one). */
    SessionId sessionId();

    /**
     * Returns the registered instance of a payload plug-in class: the one clients must fill slots
     * with.
     *
     * @param type the plug-in class
     * @param <P>  its type
     * @return the instance registered with this session, or empty if none is
     */
    <P extends PayloadPlugin<?>> Optional<P> payload(Class<P> type);

    /**
     * Declares a payload type's setup record for the session manifest. Called before the
     * session connects, once per payload type; the plug-in must be the registered instance.
     *
     * @param plugin      the payload type
     * @param setupRecord the record (the bytes between position and limit are copied)
     * @throws IllegalStateException    if the session already connected, or the type was declared
     * @throws IllegalArgumentException if the plug-in is not registered or the record is too long
     */
    void declare(PayloadPlugin<?> plugin, ByteBuffer setupRecord);

    /**
     * Makes a new empty slot for a client. Each client keeps one (or more) and swaps it with an
     * idle channel's slot on every {@link #send}; slots are cheap but long-lived, make them once.
     *
     * @return a new slot, owned by the caller
     */
    SendData newSlot();

    /**
     * Hands a filled slot to the next idle channel and returns that channel's empty slot.
     *
     * <p>Waits for an idle channel (round-robin from the last one used), swaps, wakes the channel
     * and returns at once; the channel prepares and writes the packet on its own thread. From
     * the call on, the filled slot (and everything its body references) belongs to the channel
     * until the packet is written; the caller owns the returned slot. A slot passed to a
     * {@code send} that returned before {@link #sync()} was called lands before that sync's
     * marker.
     *
     * @param filled a non-empty slot owned by the caller
     * @return an empty slot, now owned by the caller
     * @throws java.io.InterruptedIOException if interrupted while waiting; no swap happened, the
     *                                        caller still owns {@code filled}, the migration goes on
     * @throws MigrationFailedException       if the migration failed (cause: the first error)
     * @throws IOException                    if no channel became idle while no channel moved a byte
     *                                        for the I/O timeout (a slow but moving migration waits)
     * @throws IllegalArgumentException       if the slot is empty or tagged with an unregistered plug-in
     * @throws IllegalStateException          if the session is not connected, or already finished, or
     *                                        {@code finish()} began before the slot was handed over
     */
    SendData send(SendData filled) throws IOException;

    /**
     * Ends the current sync epoch: returns once every channel has written everything handed to
     * it before this call, followed by a SYNC marker. On the receiver, no packet after the marker
     * is applied before every packet before it, on every channel, was applied. Clients flush
     * their half-filled slots first (the RAM saver does this at the end of each round).
     *
     * @return the epoch that was ended (0 for the first sync)
     * @throws java.io.InterruptedIOException if interrupted while waiting (the SYNC markers are
     *                                        still written; the next sync waits for them)
     * @throws MigrationFailedException       if the migration failed
     * @throws IllegalStateException          if not connected, or finished
     */
    long sync() throws IOException;

    /**
     * Registers the handler of the messages a payload's receiving side sends back over the return
     * path ({@link io.multifd.api.spi.ReturnPath}). Call it before the session connects, at most
     * once per payload type; a session with a handler asks the receiver for a return path in its
     * hellos (a receiver that has none refuses the session). The default has no return path.
     *
     * @param plugin  the payload type, the registered instance
     * @param handler called on a channel's reply thread for each message of that type
     * @throws UnsupportedOperationException if this kind of session has no return path
     * @throws IllegalStateException         if the session already connected, or a handler was registered
     * @throws IllegalArgumentException      if the plug-in is not registered with the session
     */
    default void onReturn(PayloadPlugin<?> plugin, ReturnHandler handler) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " has no return path");
    }

    /**
     * The migration's first error, once it failed. Any thread; a volatile read. Clients that wait
     * on something of their own (a reply from their receiving side, say) check it so that they do
     * not wait out a timeout for a session that is gone.
     *
     * @return the first cause, or empty while the migration has not failed; the default never fails
     */
    default Optional<Throwable> failure() {
        return Optional.empty();
    }

    /** The listener given to the session, wrapped so that its exceptions are logged and ignored. */
    MigrationListener listener();

    /** A snapshot of the counters; may be called at any time from any thread. */
    MigrationStats stats();
}
