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
package io.multifd.testing.logging;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.logging.Formatter;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.SimpleFormatter;

/**
 * The records logged under {@code io.multifd} while one test ran (or, for a test class, outside its
 * tests). A test method, or a {@code @BeforeEach} or {@code @AfterEach} method, obtains the capture
 * of its test by declaring a parameter of this type, when {@link CaptureLogsExtension} is registered.
 *
 * <pre>{@code
 * @Test
 * void refusedManifestIsReported(CapturedLogs logs) {
 *     assertThatThrownBy(sender::migrate).isInstanceOf(MigrationFailedException.class);
 *     logs.assertLogged(System.Logger.Level.WARNING, "the receiver refused the manifest");
 * }
 * }</pre>
 *
 * <p>The engine may log a failure just after the call that reported it returned (the waiting
 * thread is woken first); {@link #awaitLogged} waits for such a record instead of racing it.
 *
 * <p>Thread-safe: the engine's channel threads add records while the test thread reads them.
 */
public final class CapturedLogs {

    private final List<LogRecord> records = new CopyOnWriteArrayList<>();
    private final Formatter formatter = new SimpleFormatter();
    private final Object arrived = new Object();

    CapturedLogs() {
    }

    void add(LogRecord record) {
        records.add(record);
        synchronized (arrived) {
            arrived.notifyAll();
        }
    }

    /**
     * A snapshot of the records captured so far, in the order they were logged.
     *
     * @return an unmodifiable list; records logged later do not appear in it
     */
    public List<LogEntry> records() {
        List<LogEntry> out = new ArrayList<>();
        for (LogRecord r : records) {
            out.add(new LogEntry(level(r.getLevel()), String.valueOf(r.getLoggerName()),
                    String.valueOf(formatter.formatMessage(r)), r.getThrown()));
        }
        return List.copyOf(out);
    }

    /**
     * The records at exactly {@code level} captured so far, in the order they were logged.
     *
     * @param level the level, such as {@link System.Logger.Level#WARNING}
     * @return an unmodifiable snapshot
     */
    public List<LogEntry> records(System.Logger.Level level) {
        Objects.requireNonNull(level, "level");
        return records().stream().filter(e -> e.level() == level).toList();
    }

    /**
     * Asserts that a record at exactly {@code level} whose {@link LogEntry#text() text} contains
     * {@code substring} was captured, and returns the first one.
     *
     * @param level     the level the record must have
     * @param substring text its message (or its throwable) must contain
     * @return the first matching record
     * @throws AssertionError naming the level, the substring and every record captured, if none matches
     */
    public LogEntry assertLogged(System.Logger.Level level, String substring) {
        LogEntry e = find(level, substring);
        if (e == null) {
            throw notLogged(level, substring);
        }
        return e;
    }

    /**
     * Waits until a record at exactly {@code level} whose {@link LogEntry#text() text} contains
     * {@code substring} has been captured, and returns the first one. Blocks the calling thread
     * without spinning; a record logged from any thread wakes it.
     *
     * @param level     the level the record must have
     * @param substring text its message (or its throwable) must contain
     * @param timeout   how long to wait at most
     * @return the first matching record
     * @throws AssertionError naming the level, the substring and every record captured, if none
     *         matched within the timeout
     * @throws InterruptedException if the calling thread is interrupted while waiting
     */
    public LogEntry awaitLogged(System.Logger.Level level, String substring, Duration timeout)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (arrived) {
            while (true) {
                LogEntry e = find(level, substring);
                if (e != null) {
                    return e;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw notLogged(level, substring);
                }
                TimeUnit.NANOSECONDS.timedWait(arrived, left);
            }
        }
    }

    private LogEntry find(System.Logger.Level level, String substring) {
        Objects.requireNonNull(substring, "substring");
        for (LogEntry e : records(level)) {
            if (e.text().contains(substring)) {
                return e;
            }
        }
        return null;
    }

    private AssertionError notLogged(System.Logger.Level level, String substring) {
        return new AssertionError("expected a " + level + " record containing \"" + substring
                + "\" under io.multifd; captured " + describe());
    }

    /**
     * Asserts that no record at {@code level} or more severe was captured.
     *
     * @param level the least severe level that must not appear, such as {@link System.Logger.Level#WARNING}
     * @throws AssertionError listing every record captured, if one is that severe
     */
    public void assertNoneAtOrAbove(System.Logger.Level level) {
        Objects.requireNonNull(level, "level");
        if (records().stream().anyMatch(e -> e.level().getSeverity() >= level.getSeverity())) {
            throw new AssertionError("expected no record at " + level + " or above under io.multifd; captured "
                    + describe());
        }
    }

    /**
     * Every record captured so far, one per line, for messages.
     *
     * @return {@code "nothing"} when no record was captured
     */
    public String describe() {
        List<LogEntry> snapshot = records();
        if (snapshot.isEmpty()) {
            return "nothing";
        }
        StringBuilder sb = new StringBuilder().append(snapshot.size()).append(" record(s):");
        for (LogEntry e : snapshot) {
            sb.append(System.lineSeparator()).append("  ").append(e);
        }
        return sb.toString();
    }

    /** How many records were captured. */
    int size() {
        return records.size();
    }

    /** Every record in the standard java.util.logging text format, with stack traces. */
    String formatAll() {
        StringBuilder sb = new StringBuilder();
        for (LogRecord r : records) {
            sb.append(formatter.format(r));
        }
        return sb.toString();
    }

    /** The {@link System.Logger} level that java.util.logging's {@code level} stands for. */
    static System.Logger.Level level(Level level) {
        int v = level.intValue();
        if (v >= Level.SEVERE.intValue()) {
            return System.Logger.Level.ERROR;
        } else if (v >= Level.WARNING.intValue()) {
            return System.Logger.Level.WARNING;
        } else if (v >= Level.INFO.intValue()) {
            return System.Logger.Level.INFO;
        } else if (v >= Level.FINE.intValue()) {
            return System.Logger.Level.DEBUG;
        }
        return System.Logger.Level.TRACE;
    }

    @Override
    public String toString() {
        return "CapturedLogs[" + records.size() + " records]";
    }
}
