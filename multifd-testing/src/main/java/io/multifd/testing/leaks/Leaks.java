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

import java.io.IOException;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;

/**
 * What a test may leave behind, measured: the live threads, the open file descriptors (where
 * {@code /proc/self/fd} exists, that is on Linux) and the direct memory in use (the JDK's
 * {@code direct} {@link BufferPoolMXBean}). Take a {@link Snapshot} before, then ask
 * {@link #since} what is left after; {@link NoLeaksExtension} does this around every test.
 *
 * <h2>Threads</h2>
 * Stateless and thread-safe; the waiting methods block the calling thread for at most their
 * grace period (they join the threads they wait for; file descriptors and direct memory give no
 * notification, so those are polled every 10 ms until the grace period ends).
 */
public final class Leaks {

    private static final Path FD_DIR = Path.of("/proc/self/fd");
    private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

    private Leaks() {
    }

    /**
     * What was in use at one moment.
     *
     * @param threads     the live threads
     * @param descriptors the open file descriptors and what each points to, or {@code null}
     *                    where {@code /proc/self/fd} does not exist
     * @param directBytes direct memory in use, in bytes
     * @param directCount direct buffers alive
     */
    public record Snapshot(Set<Thread> threads, Map<String, String> descriptors, long directBytes,
                           long directCount) {
    }

    /**
     * Takes a snapshot of the threads, file descriptors and direct memory in use now. Collects
     * garbage first (and waits up to 100 ms for the freed direct buffers to be released), so that
     * direct buffers already dropped do not count as in use: otherwise their release after the
     * test could hide a buffer the test keeps.
     *
     * @return the snapshot
     */
    public static Snapshot take() {
        BufferPoolMXBean direct = directPool();
        if (direct != null) {
            System.gc();
            long used = direct.getMemoryUsed();
            for (int poll = 0; poll < 10; poll++) {
                LockSupport.parkNanos(POLL_NANOS);
                long now = direct.getMemoryUsed();
                if (now == used) {
                    break; // settled
                }
                used = now;
            }
        }
        return new Snapshot(Collections.unmodifiableSet(Thread.getAllStackTraces().keySet()), descriptors(),
                direct == null ? 0 : direct.getMemoryUsed(), direct == null ? 0 : direct.getCount());
    }

    /**
     * Waits up to {@code grace} for everything in use since {@code before} to be released, and
     * names what is still held then: threads started since and still alive (but those the
     * {@code ignoredThread} predicate accepts), file descriptors opened since and still open (but
     * the JDK's own: class-path archives and native libraries it maps lazily), and direct
     * memory above the baseline by more than {@code directSlack} bytes (after a garbage
     * collection, since direct buffers are freed only when collected).
     *
     * @param before        the snapshot taken before the test
     * @param grace         how long to wait for threads to end and resources to be released
     * @param ignoredThread names of threads that may outlive a test (pools of the JDK or of the
     *                      test framework); must be thread-safe
     * @param directSlack   bytes of direct memory a test may add (caches that live for the JVM)
     * @return one line per leak, empty if none
     * @throws InterruptedException if interrupted while waiting
     */
    public static List<String> since(Snapshot before, Duration grace, Predicate<String> ignoredThread,
                                     long directSlack) throws InterruptedException {
        long deadline = System.nanoTime() + grace.toNanos();
        List<String> leaks = new ArrayList<>();
        for (Thread t : newThreads(before, ignoredThread, deadline)) {
            leaks.add("thread \"" + t.getName() + "\" (" + t.getState() + ") is still alive");
        }
        if (before.descriptors() != null) {
            Map<String, String> left = newDescriptors(before);
            while (!left.isEmpty() && System.nanoTime() < deadline) {
                LockSupport.parkNanos(POLL_NANOS);
                left = newDescriptors(before);
            }
            left.forEach((fd, target) -> leaks.add("file descriptor " + fd + " (" + target + ") is still open"));
        }
        BufferPoolMXBean direct = directPool();
        if (direct != null && direct.getMemoryUsed() > before.directBytes() + directSlack) {
            // direct buffers are freed by their cleaner once collected; collect again every 20 polls
            // in case one was still referenced by a thread finishing its last steps
            for (int poll = 0; direct.getMemoryUsed() > before.directBytes() + directSlack
                    && (poll == 0 || System.nanoTime() < deadline); poll++) {
                if (poll % 20 == 0) {
                    System.gc();
                }
                LockSupport.parkNanos(POLL_NANOS);
            }
            long grew = direct.getMemoryUsed() - before.directBytes();
            if (grew > directSlack) {
                leaks.add("direct memory grew by " + grew + " bytes (" + (direct.getCount() - before.directCount())
                        + " buffers) and stayed after a garbage collection; allowed: " + directSlack);
            }
        }
        return leaks;
    }

    /**
     * Waits up to {@code grace} for the threads whose names start with {@code prefix} to end.
     *
     * @param prefix the start of the names, such as {@code "multifd-"}
     * @param grace  how long to wait
     * @return the names of those still alive then, sorted; empty if none
     * @throws InterruptedException if interrupted while waiting
     */
    public static List<String> threadsAlive(String prefix, Duration grace) throws InterruptedException {
        long deadline = System.nanoTime() + grace.toNanos();
        List<Thread> alive;
        while (true) {
            alive = Thread.getAllStackTraces().keySet().stream()
                    .filter(t -> t.isAlive() && t.getName().startsWith(prefix)).toList();
            long left = deadline - System.nanoTime();
            if (alive.isEmpty() || left <= 0) {
                break;
            }
            alive.get(0).join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
        }
        return alive.stream().map(Thread::getName).sorted().toList();
    }

    private static List<Thread> newThreads(Snapshot before, Predicate<String> ignored, long deadline)
            throws InterruptedException {
        List<Thread> alive;
        while (true) {
            alive = Thread.getAllStackTraces().keySet().stream()
                    .filter(t -> t.isAlive() && t != Thread.currentThread() && !before.threads().contains(t)
                            && !ignored.test(t.getName()))
                    .toList();
            long left = deadline - System.nanoTime();
            if (alive.isEmpty() || left <= 0) {
                return alive;
            }
            alive.get(0).join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
        }
    }

    private static Map<String, String> newDescriptors(Snapshot before) {
        Map<String, String> now = descriptors();
        Map<String, String> left = new TreeMap<>();
        if (now == null) {
            return left;
        }
        now.forEach((fd, target) -> {
            if (!target.equals(before.descriptors().get(fd)) && !jdkOwn(target)) {
                left.put(fd, target);
            }
        });
        return left;
    }

    /** Archives and libraries the JVM opens lazily as classes load; they stay open by design. */
    private static boolean jdkOwn(String target) {
        return target.equals("/dev/random") || target.equals("/dev/urandom") // SecureRandom keeps them
                || target.endsWith(".jar") || target.endsWith(".so") || target.contains(".so.")
                || target.endsWith("/modules") || target.endsWith(".jsa") || target.startsWith("/proc/")
                || target.startsWith("/sys/") || target.equals("?");
    }

    /** The open descriptors and their targets, or null where /proc/self/fd does not exist. */
    private static Map<String, String> descriptors() {
        if (!Files.isDirectory(FD_DIR)) {
            return null;
        }
        Map<String, String> fds = new TreeMap<>();
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(FD_DIR)) {
            for (Path fd : dir) {
                String target;
                try {
                    target = Files.readSymbolicLink(fd).toString();
                } catch (IOException e) {
                    target = "?"; // closed while listing: the listing's own descriptor, or just closed
                }
                fds.put(fd.getFileName().toString(), target);
            }
        } catch (IOException e) {
            return null;
        }
        return fds;
    }

    private static BufferPoolMXBean directPool() {
        for (BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            if (pool.getName().equals("direct")) {
                return pool;
            }
        }
        return null;
    }
}
