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

/**
 * Follows a migration as it runs, for a progress bar or a log. Every method has an empty default,
 * so a listener overrides only what it needs.
 *
 * <p>Methods are called from library threads (a channel thread, the thread that called
 * {@code sync()}), sometimes several at once, so implementations must be
 * thread-safe, quick, and must not block or call back into the sender or receiver. An exception
 * thrown by a listener is logged and otherwise ignored. For counters, poll {@code stats()} instead
 * of counting events.
 */
public interface MigrationListener {

    /** A listener that does nothing. */
    MigrationListener NONE = new MigrationListener() {
    };

    /**
     * All channels are connected and the manifest was accepted (sender), or all channels were
     * accepted (receiver).
     *
     * @param sessionId   the session
     * @param channels    the channel count
     * @param codec the codec name
     */
    default void onConnected(SessionId sessionId, int channels, String codec) {
    }

    /**
     * A sync barrier passed: on the sender, every channel wrote SYNC(epoch); on the receiver,
     * every channel reached it.
     *
     * @param epoch the epoch that ended
     */
    default void onSync(long epoch) {
    }

    /**
     * The migration completed: the receiver applied everything and both sides agreed.
     *
     * @param stats final counters
     */
    default void onCompleted(MigrationStats stats) {
    }

    /**
     * The migration failed; called once, with the first cause.
     *
     * <p>On a receiver whose failure came after it had reported completion to the sender (so the
     * sender may have completed), the argument is instead a {@link MigrationFailedException} whose
     * {@link MigrationFailedException#outcomeUnknown()} is true and whose cause is the first
     * error: the same exception {@code await()} throws. A destination product must then not
     * discard its copy before it learns the sender's outcome.
     *
     * @param cause the first error, or on a receiver the flagged exception described above
     */
    default void onFailed(Throwable cause) {
    }
}
