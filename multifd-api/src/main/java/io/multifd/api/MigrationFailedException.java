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
 * Thrown by every call that was blocked, or is made, after the migration failed; its
 * {@linkplain #getCause() cause} is the first error, whichever channel or thread saw it.
 *
 * <p>A new instance is thrown at each call site, so the stack trace shows where the caller was,
 * and the cause shows what went wrong first. {@link #code()} is the first error's code; for a
 * first error that is not a {@link MultiFdException}, {@link ProtocolCode#TRANSPORT} when it is a
 * lost connection (an {@link java.io.EOFException}: the peer closed it; a
 * {@link java.net.SocketException}: reset) and {@link ProtocolCode#FAILED} otherwise.
 */
public class MigrationFailedException extends MultiFdException {

    private static final long serialVersionUID = 1L;

    /** See {@link #outcomeUnknown()}. */
    private final boolean outcomeUnknown;

    /**
     * @param message    what the caller was doing, e.g. {@code "send failed"}
     * @param firstCause the first error of the migration
     */
    public MigrationFailedException(String message, Throwable firstCause) {
        this(message, firstCause, false);
    }

    /**
     * @param message        what the caller was doing, e.g. {@code "send failed"}
     * @param firstCause     the first error of the migration
     * @param outcomeUnknown see {@link #outcomeUnknown()}
     */
    public MigrationFailedException(String message, Throwable firstCause, boolean outcomeUnknown) {
        super(ProtocolCode.of(firstCause),
                message + ": " + (firstCause.getMessage() != null ? firstCause.getMessage() : firstCause.toString()),
                firstCause);
        this.outcomeUnknown = outcomeUnknown;
    }

    /**
     * True when a receiver failed after it had told the sender that everything was applied
     * (COMPLETED on every channel) and before the sender's COMMIT arrived everywhere: the sender
     * may have reported success and let its source go, so the destination may hold the only
     * complete copy. Everything the sender sent was applied and every end check passed; what is
     * not known is whether the sender completed. A product must not discard the destination's
     * memory on this failure without asking the source's side (see docs/protocol.md, "End").
     * Always false on the sender, and for a failure before that point. It is set on what the
     * receiver's {@code await()} (and its future) throw; a {@link MigrationListener#onFailed}
     * callback gets the first cause itself, without this flag.
     *
     * @return whether the migration's outcome on the sender is unknown
     */
    public boolean outcomeUnknown() {
        return outcomeUnknown;
    }
}
