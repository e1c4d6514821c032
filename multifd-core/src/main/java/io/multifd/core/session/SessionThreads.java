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

import io.multifd.api.SessionId;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.ThreadFactory;

/**
 * Makes every thread of one sender or receiver, and names it
 * {@code multifd-<side>-<short session id>-<role>}, e.g. {@code multifd-send-1a2b3c4d-ch0}. The
 * short id is the first eight hexadecimal digits of the session id (the start of
 * {@link SessionId#toString()}).
 *
 * <p>Threads come from the user's {@link ThreadFactory} if one was set on the builder (the
 * factory decides whether they are daemon threads, their priority and group; the library only
 * names them, after {@code newThread}), otherwise they are daemon platform threads.
 *
 * <p>The receiver learns the session id from the first accepted hello: threads made before
 * that (its coordinating thread and its watchdog) are named {@code multifd-recv-<role>} and
 * renamed once by {@link #sessionKnown}.
 *
 * <p>Thread-safe; any thread.
 */
public final class SessionThreads {

    /** The SessionThreads that made the current thread, if one did: see {@link #isOwnThread()}. */
    private static final ThreadLocal<SessionThreads> OWNER = new ThreadLocal<>();

    private final ThreadFactory factory;
    private final String side;
    // guarded by this
    private String shortId;
    /** Threads made before the session id was known, with their roles; null once it is known. */
    private List<Named> early = new ArrayList<>();

    private record Named(Thread thread, String role) {
    }

    /**
     * @param factory the user's factory, or null for daemon platform threads
     * @param side    {@code "send"} or {@code "recv"}
     * @param id      the session id, or null if it is not known yet (the receiver)
     */
    public SessionThreads(ThreadFactory factory, String side, SessionId id) {
        this.factory = factory;
        this.side = Objects.requireNonNull(side, "side");
        if (id != null) {
            this.shortId = shortId(id);
            this.early = null;
        }
    }

    /**
     * The short form of a session id used in thread names: its first eight hexadecimal digits.
     *
     * @param id the session id
     * @return eight lower-case hexadecimal digits
     */
    public static String shortId(SessionId id) {
        return String.format(Locale.ROOT, "%08x", id.high() >>> 32);
    }

    /**
     * Makes a new, unstarted thread and names it.
     *
     * @param task what the thread runs
     * @param role what it does, e.g. {@code "ch0"}, {@code "watchdog"}; the end of its name
     * @return the thread, not started; the caller starts it
     * @throws IllegalStateException if the user's factory returned null or a thread already started
     * @throws RuntimeException      whatever the user's factory throws
     */
    public synchronized Thread newThread(Runnable task, String role) {
        Objects.requireNonNull(task, "task");
        Runnable marked = () -> {
            OWNER.set(this);
            task.run();
        };
        Thread t;
        if (factory == null) {
            t = new Thread(marked);
            t.setDaemon(true);
        } else {
            t = factory.newThread(marked);
            if (t == null) {
                throw new IllegalStateException("the thread factory " + factory + " returned null for the "
                        + side + " thread '" + role + "'");
            }
            if (t.getState() != Thread.State.NEW) {
                throw new IllegalStateException("the thread factory " + factory + " returned a thread that was already"
                        + " started (" + t.getState() + "); it must return a new thread");
            }
        }
        t.setName(name(role));
        if (early != null) {
            early.removeIf(n -> n.thread().getState() == Thread.State.TERMINATED); // short-lived handshakes
            early.add(new Named(t, role));
        }
        return t;
    }

    /**
     * Records the session id once it is known and renames the threads made before it. Later
     * calls change nothing.
     *
     * @param id the session id
     */
    public synchronized void sessionKnown(SessionId id) {
        if (early == null) {
            return;
        }
        shortId = shortId(id);
        for (Named n : early) {
            n.thread().setName(name(n.role()));
        }
        early = null;
    }

    /**
     * Whether the calling thread is one this object made: a channel, reply or coordinating thread,
     * or a plug-in's, running a callback. {@code close()} called there must not wait for the
     * threads, one of which is the caller. Any thread.
     *
     * @return true on a thread of this sender or receiver
     */
    public boolean isOwnThread() {
        return OWNER.get() == this;
    }

    /**
     * For {@code close()}: on one of these threads (a callback), where waiting for the threads
     * would wait for the caller, runs {@code abort} at once and leaves {@code closeAndWait} to a
     * new thread of its own ({@code ...-close}).
     *
     * @param abort        fails the migration without waiting
     * @param closeAndWait the whole close, waits included
     * @param log          where to say that no thread could be started for it
     * @return true if the caller is one of these threads (close was handed over), false if the
     *         caller should close on its own thread
     */
    public boolean closeElsewhereIfOwn(Runnable abort, Runnable closeAndWait, System.Logger log) {
        if (!isOwnThread()) {
            return false;
        }
        abort.run();
        try {
            newThread(closeAndWait, "close").start();
        } catch (RuntimeException e) {
            log.log(System.Logger.Level.WARNING, "cannot start a thread to finish close(): " + e);
        }
        return true;
    }

    private String name(String role) {
        return shortId == null ? "multifd-" + side + "-" + role : "multifd-" + side + "-" + shortId + "-" + role;
    }

    @Override
    public synchronized String toString() {
        return "SessionThreads[" + name("*") + (factory == null ? "" : ", " + factory) + "]";
    }
}
