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

import io.multifd.api.MigrationFailedException;

import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The first error of a migration, kept once for both sides. The first {@link #trip} wins; every
 * later error is logged at DEBUG and dropped. {@link #seal()} marks the commit point: after it
 * (the sender's COMMITTING, the receiver's COMPLETED) no error can fail the migration any more.
 * Exactly one of the two happens: a sealed latch never trips, a tripped latch never seals.
 *
 * <p>Thread-safe and lock-free; any thread may call any method. The latch does not signal
 * anybody: its owner trips it under its own lock when waiters must see the failure together with
 * other state, then wakes them.
 */
public final class FailureLatch {

    /** The value of {@link #state} once sealed; never handed out. */
    private static final Object SEALED = new Object();

    /** null: running; a Throwable: failed with it; {@link #SEALED}: past the commit point. */
    private final AtomicReference<Object> state = new AtomicReference<>();

    /** Where dropped errors are logged (DEBUG): the owner's logger, so that its name stays the facade's. */
    private final System.Logger log;

    /** Makes an open latch that logs dropped errors under this class's name. */
    public FailureLatch() {
        this(System.getLogger(FailureLatch.class.getName()));
    }

    /**
     * Makes an open latch.
     *
     * @param log the owner's logger, for the errors the latch drops
     */
    public FailureLatch(System.Logger log) {
        this.log = Objects.requireNonNull(log, "log");
    }

    /**
     * Records {@code cause} as the migration's first error, unless there already is one or the
     * latch is sealed.
     *
     * @param cause the error
     * @return true if {@code cause} is now the first error (the caller then runs the failure's
     * side effects, once); false if it was dropped
     */
    public boolean trip(Throwable cause) {
        if (state.compareAndSet(null, cause)) {
            return true;
        }
        Object s = state.get();
        if (s == SEALED) {
            log.log(System.Logger.Level.DEBUG, "error after the commit point, ignored: " + cause);
        } else if (s != cause) {
            log.log(System.Logger.Level.DEBUG, "later error after the migration failed: " + cause);
        }
        return false;
    }

    /**
     * Passes the commit point: from now on {@link #trip} drops every error.
     *
     * @return true if the latch is sealed (now or before); false if it had already tripped
     */
    public boolean seal() {
        return state.compareAndSet(null, SEALED) || state.get() == SEALED;
    }

    /** @return true if an error was recorded */
    public boolean failed() {
        return state.get() instanceof Throwable;
    }

    /** @return true if the commit point was passed */
    public boolean sealed() {
        return state.get() == SEALED;
    }

    /** @return the first error, or null if there is none */
    public Throwable cause() {
        return state.get() instanceof Throwable t ? t : null;
    }

    /**
     * Throws if an error was recorded.
     *
     * @param what what failed, e.g. {@code "send"}; the message becomes {@code what + " failed"}
     * @throws MigrationFailedException carrying the first error
     */
    public void throwIfFailed(String what) throws MigrationFailedException {
        Throwable t = cause();
        if (t != null) {
            throw new MigrationFailedException(what + " failed", t);
        }
    }

    @Override
    public String toString() {
        Object s = state.get();
        return "FailureLatch[" + (s == null ? "open" : s == SEALED ? "sealed" : "failed: " + s) + "]";
    }
}
