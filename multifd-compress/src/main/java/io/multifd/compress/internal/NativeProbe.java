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
package io.multifd.compress.internal;

import io.multifd.api.PluginUnavailableException;

import java.lang.System.Logger.Level;
import java.util.Objects;

/**
 * Finds out once whether a codec's native library works here, remembers the answer and reports
 * a failure once.
 *
 * <p>The probe runs the first time {@link #check()} or {@link #failure()} is called (never in a
 * static initializer, so that merely loading the provider class cannot fail): it loads the
 * library and does a tiny round trip. A {@link LinkageError} or {@link RuntimeException} it
 * throws is kept as the cause, logged once at {@code WARNING} through {@link System.Logger}
 * naming the codec, and every later {@link #check()} throws a new
 * {@link PluginUnavailableException} with that same cause. Nothing else is affected: each codec
 * has its own probe, so another codec keeps working.
 *
 * <p>Thread-safe: any thread may call any method; the probe runs at most once.
 */
public final class NativeProbe {

    private static final System.Logger LOG = System.getLogger("io.multifd.compress");

    /** The test or load action: returns normally if the library works, throws otherwise. */
    @FunctionalInterface
    public interface Action {
        /**
         * Loads the library and exercises it.
         *
         * @throws Exception if it does not work here
         */
        void run() throws Exception;
    }

    private final String codec;
    private final String what;
    private final Action action;
    private final boolean fatal;

    private volatile boolean done;
    private Throwable failure;
    private int runs;

    /**
     * @param codec   the codec's name, for messages
     * @param what    what is loaded, for messages (e.g. {@code the native library of zstd-jni 1.5.7-28})
     * @param fatal   true if the codec cannot work without it ({@link #check()} then throws);
     *                false if the codec falls back to another implementation (only logged)
     * @param action  what loads and tests the library
     */
    public NativeProbe(String codec, String what, boolean fatal, Action action) {
        this.codec = Objects.requireNonNull(codec, "codec");
        this.what = Objects.requireNonNull(what, "what");
        this.fatal = fatal;
        this.action = Objects.requireNonNull(action, "action");
    }

    /**
     * Runs the probe if it has not run yet, and returns its failure.
     *
     * @return the failure, or {@code null} if the library works
     */
    public Throwable failure() {
        if (!done) {
            probe();
        }
        return failure;
    }

    /**
     * Tells whether the library works here, running the probe the first time.
     *
     * @return true if it works
     */
    public boolean isAvailable() {
        return failure() == null;
    }

    /**
     * Throws if the library does not work here. Each call throws a new exception (so the stack
     * trace shows the caller) with the original failure as cause.
     *
     * @throws PluginUnavailableException naming the codec and the library, if the probe failed
     */
    public void check() throws PluginUnavailableException {
        Throwable f = failure();
        if (f != null) {
            throw new PluginUnavailableException(message(f), f);
        }
    }

    /**
     * Counts the probe's runs, for tests.
     *
     * @return how many times the probe action ran: 0 or 1
     */
    public synchronized int runs() {
        return runs;
    }

    private synchronized void probe() {
        if (done) {
            return;
        }
        runs++;
        try {
            action.run();
        } catch (LinkageError | Exception e) {
            failure = e;
            LOG.log(Level.WARNING, message(e), e);
        }
        done = true;
    }

    private String message(Throwable f) {
        return fatal
                ? codec + ": codec unavailable: " + what + " failed to load (" + f + "); other codecs are not affected"
                : codec + ": " + what + " failed to load (" + f + "); using its slower pure-Java implementation";
    }
}
