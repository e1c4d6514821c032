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
package io.multifd.core.session;

/**
 * The life-cycle states of a sender ({@link SendCoordinator}), each with the words messages use
 * for it. {@link #cancellable()} says where {@code cancel()} aborts the migration; past the
 * commit point it changes nothing.
 *
 * <pre>
 * NEW --connect()--> CONNECTING --every channel ready--> CONNECTED --finish()--> FINISHING
 * FINISHING --every COMPLETED checked (the commit point)--> COMMITTING --COMMIT written--> FINISHED
 * CONNECTING, CONNECTED, FINISHING --failure, cancel() or close()--> FAILED
 * NEW --close()--> CLOSED
 * </pre>
 */
public enum SenderState {
    /** Built, clients declare their setup records; nothing connected yet. */
    NEW("not connected yet (call connect())"),
    /** Channels connect and handshake; {@code connect()} waits. */
    CONNECTING("connecting"),
    /** Streaming: clients send and sync (the sync barrier included). */
    CONNECTED("connected"),
    /** {@code finish()} runs: the last sync, end of stream, waiting for the receiver's COMPLETED. */
    FINISHING("finishing"),
    /** Past the commit point: COMMIT is being written; nothing can fail the migration any more. */
    COMMITTING("finishing"),
    /** {@code finish()} succeeded. */
    FINISHED("finished"),
    /** The migration failed (or was cancelled or closed before it finished). */
    FAILED("failed"),
    /** Closed before {@code connect()}. */
    CLOSED("closed");

    final String words;

    SenderState(String words) {
        this.words = words;
    }

    /** The words messages use for this state, e.g. "connected". */
    public String words() {
        return words;
    }

    /**
     * Throws unless an operation may run in this state.
     *
     * @param op        the operation, for messages
     * @param finishing true when {@code finish()} itself asks (allowed while FINISHING)
     * @throws IllegalStateException if not connected, or finishing
     */
    void checkUsable(String op, boolean finishing) {
        if (this == CONNECTED || (this == FINISHING && finishing)) {
            return;
        }
        if (this == FINISHING || this == COMMITTING) {
            throw new IllegalStateException(op + "() is not allowed: finish() was called");
        }
        throw new IllegalStateException(op + "() is not allowed: the sender is " + words);
    }

    /** @return true if {@code cancel()} or {@code close()} in this state aborts the migration */
    public boolean cancellable() {
        return this == NEW || this == CONNECTING || this == CONNECTED || this == FINISHING;
    }
}
