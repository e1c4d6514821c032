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
package io.multifd.testing.leaks;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Fails a test that leaves something behind: a thread it started that is still alive after it,
 * a file descriptor it opened that is still open (where {@code /proc/self/fd} exists), or direct
 * memory above what was in use before it (after a garbage collection). Everything is given a
 * grace period (5 s by default) to be released, since a correct close may hand the last steps to
 * threads that end just after it returns.
 *
 * <p>Register it on a test class with {@code @ExtendWith(NoLeaksExtension.class)}, or with
 * {@code @RegisterExtension static NoLeaksExtension leaks = NoLeaksExtension.builder()...build();}
 * to change the grace period, the direct memory a test may keep (a cache that lives as long as
 * the JVM), or the names of threads that may outlive a test. The threads of the JDK's and the
 * test framework's own pools are always allowed (see {@link #ALWAYS_IGNORED}). For one
 * measurement inside a test (each run of a campaign, say), use {@link Leaks} directly.
 *
 * <p>A leak fails the test with an {@link AssertionError} naming each leaked thread (with its
 * state), descriptor (with what it points to) and the direct memory's growth.
 *
 * <h2>Threads</h2>
 * JUnit calls the callbacks on the test's thread; the extension keeps its state in the test's
 * {@link ExtensionContext.Store}, so one instance serves tests running in parallel, but then a
 * test may be blamed for a thread or descriptor of another: run leak-checked tests alone.
 */
public final class NoLeaksExtension implements BeforeEachCallback, AfterEachCallback {

    /**
     * Name prefixes of threads that may outlive any test: the JDK's lazily started service
     * threads and pools, and those of JUnit and Maven Surefire.
     */
    public static final List<String> ALWAYS_IGNORED = List.of("ForkJoinPool", "Common-Cleaner", "process reaper",
            "Attach Listener", "Signal Dispatcher", "Reference Handler", "Finalizer", "Notification Thread", "JFR ",
            "junit-", "surefire-", "RMI ", "Cleaner-");

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(NoLeaksExtension.class);

    private final Duration grace;
    private final long directSlack;
    private final List<String> ignoredThreads;

    /** Makes the extension with the defaults: 5 s of grace, no direct memory kept, no other threads allowed. */
    public NoLeaksExtension() {
        this(builder());
    }

    private NoLeaksExtension(Builder b) {
        this.grace = b.grace;
        this.directSlack = b.directSlack;
        List<String> ignored = new ArrayList<>(ALWAYS_IGNORED);
        ignored.addAll(b.ignoredThreads);
        this.ignoredThreads = List.copyOf(ignored);
    }

    /**
     * Returns a builder, for {@code @RegisterExtension}.
     *
     * @return a new builder with the defaults
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Takes the snapshot the test is compared with.
     *
     * @param context the test
     */
    @Override
    public void beforeEach(ExtensionContext context) {
        context.getStore(NAMESPACE).put(Leaks.Snapshot.class, Leaks.take());
    }

    /**
     * Waits up to the grace period for what the test used to be released, then fails it if
     * something is still held.
     *
     * @param context the test
     * @throws InterruptedException if interrupted while waiting
     * @throws AssertionError       naming each leak
     */
    @Override
    public void afterEach(ExtensionContext context) throws InterruptedException {
        Leaks.Snapshot before = context.getStore(NAMESPACE).remove(Leaks.Snapshot.class, Leaks.Snapshot.class);
        if (before == null) {
            return;
        }
        List<String> leaks = Leaks.since(before, grace, name -> ignoredThreads.stream().anyMatch(name::startsWith),
                directSlack);
        if (!leaks.isEmpty()) {
            throw new AssertionError(context.getDisplayName() + " left behind, " + grace.toMillis()
                    + " ms after it ended:\n  " + String.join("\n  ", leaks));
        }
    }

    /** Configures a {@link NoLeaksExtension}. Not thread-safe; build once. */
    public static final class Builder {
        private Duration grace = Duration.ofSeconds(5);
        private long directSlack;
        private final List<String> ignoredThreads = new ArrayList<>();

        private Builder() {
        }

        /**
         * How long to wait for threads to end and resources to be released after a test.
         *
         * @param grace zero or more
         * @return this builder
         * @throws IllegalArgumentException if negative
         */
        public Builder grace(Duration grace) {
            if (Objects.requireNonNull(grace, "grace").isNegative()) {
                throw new IllegalArgumentException("grace must not be negative: " + grace);
            }
            this.grace = grace;
            return this;
        }

        /**
         * Direct memory a test may leave in use (a cache that lives as long as the JVM).
         *
         * @param bytes zero or more
         * @return this builder
         * @throws IllegalArgumentException if negative
         */
        public Builder directMemorySlack(long bytes) {
            if (bytes < 0) {
                throw new IllegalArgumentException("direct memory slack must not be negative: " + bytes);
            }
            this.directSlack = bytes;
            return this;
        }

        /**
         * Allows threads whose names start with {@code prefix} to outlive a test.
         *
         * @param prefix the start of their names
         * @return this builder
         */
        public Builder ignoreThreads(String prefix) {
            ignoredThreads.add(Objects.requireNonNull(prefix, "prefix"));
            return this;
        }

        /**
         * Builds the extension.
         *
         * @return the extension
         */
        public NoLeaksExtension build() {
            return new NoLeaksExtension(this);
        }
    }
}
