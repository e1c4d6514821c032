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
package io.multifd.examples.cli;

import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Shows how a transfer advances, on stderr: a progress bar when stderr is a terminal (percent of
 * the current phase, MiB/s, elapsed and ETA, the phase's name such as {@code round 2}), plain
 * periodic lines when it is not (a log, a pipe, a CI job), nothing in {@link Mode#NONE}.
 *
 * <p>A phase is begun with a total and a {@link LongSupplier} of bytes done, which the progress
 * thread ({@code multifd-progress}) polls; nobody has to report each step. {@link #begin},
 * {@link #end} and {@link #note} may be called from any thread, listener threads of the library
 * included: they only queue an event and return at once. Everything is printed by the progress
 * thread, so lines never interleave. {@link #close()} ends the current phase and the thread.
 */
public final class Progress implements AutoCloseable {

    /** How progress is shown. */
    public enum Mode {
        /** A progress bar redrawn in place (stderr is a terminal). */
        BAR,
        /** A line every few seconds and one per finished phase (stderr is a file or pipe). */
        PLAIN,
        /** Nothing ({@code --quiet}). */
        NONE
    }

    private static final Runnable STOP = () -> { };

    private final Mode mode;
    private final String prefix;
    private final PrintWriter err;
    private final long plainEveryNanos;
    private final BlockingQueue<Runnable> events = new LinkedBlockingQueue<>();
    private final Thread thread;

    // confined to the progress thread
    private String task;
    private long total;
    private LongSupplier done;
    private long startNanos;
    private long nextPlainNanos;
    private ProgressBar bar;

    /**
     * @param mode            how to show progress
     * @param prefix          the first word of plain lines, such as {@code send}
     * @param err             where to print (stderr)
     * @param plainEverySecs  seconds between plain lines
     */
    public Progress(Mode mode, String prefix, PrintWriter err, double plainEverySecs) {
        this.mode = mode;
        this.prefix = prefix;
        this.err = err;
        this.plainEveryNanos = (long) (plainEverySecs * 1e9);
        if (mode == Mode.NONE) {
            thread = null;
        } else {
            thread = new Thread(this::run, "multifd-progress");
            thread.setDaemon(true);
            thread.start();
        }
    }

    /**
     * Chooses the mode: {@link Mode#NONE} if quiet; otherwise what the environment variable
     * {@code MULTIFD_PROGRESS} says ({@code bar}, {@code plain} or {@code none}), if set; otherwise
     * a bar if stderr is a terminal, plain lines if not.
     *
     * @param quiet {@code --quiet}
     * @return the mode
     */
    public static Mode detect(boolean quiet) {
        if (quiet) {
            return Mode.NONE;
        }
        String env = System.getenv("MULTIFD_PROGRESS");
        if (env != null) {
            switch (env.trim().toLowerCase(Locale.ROOT)) {
                case "bar": return Mode.BAR;
                case "plain": return Mode.PLAIN;
                case "none": return Mode.NONE;
                default: break;
            }
        }
        return stderrIsTerminal() ? Mode.BAR : Mode.PLAIN;
    }

    /**
     * Tells whether stderr is a terminal: on Linux from {@code /proc/self/fd/2}; elsewhere the JVM
     * only knows about stdin and stdout, so {@link System#console()} decides.
     *
     * @return true if progress can be drawn in place
     */
    public static boolean stderrIsTerminal() {
        Path fd2 = Path.of("/proc/self/fd/2");
        try {
            String target = Files.readSymbolicLink(fd2).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
        } catch (Exception e) {
            return System.console() != null;
        }
    }

    /** The mode in use. */
    public Mode mode() {
        return mode;
    }

    /**
     * Starts a phase (ending the previous one without a message).
     *
     * @param taskName the phase's name, such as {@code round 1}
     * @param totalBytes bytes the phase will move (at least 1 is assumed)
     * @param doneBytes polled for bytes done so far in this phase; called on the progress thread
     */
    public void begin(String taskName, long totalBytes, LongSupplier doneBytes) {
        submit(() -> {
            finishBar();
            task = taskName;
            total = Math.max(1, totalBytes);
            done = doneBytes;
            startNanos = System.nanoTime();
            nextPlainNanos = startNanos + plainEveryNanos;
            if (mode == Mode.BAR) {
                bar = new ProgressBarBuilder()
                        .setTaskName(prefix + " " + taskName)
                        .setInitialMax(total)
                        .setUnit(" MiB", 1 << 20)
                        .setStyle(ProgressBarStyle.ASCII)
                        .setUpdateIntervalMillis(200)
                        .setConsumer(new OneLine())
                        .clearDisplayOnFinish()
                        .build();
            }
        });
    }

    /**
     * Ends the current phase with a message: the bar (if any) disappears, and the message is
     * printed as a line, {@code <prefix> <phase>: <message>}.
     *
     * @param message one line, such as {@code "262144 pages (40% zero) in 1.32 s"}
     */
    public void end(String message) {
        submit(() -> {
            if (task == null) {
                return;
            }
            finishBar(); // the bar disappears; the line below stays
            err.println(prefix + " " + task + ": " + message);
            task = null;
            done = null;
        });
    }

    /**
     * Prints a line between phases (plain and bar modes).
     *
     * @param line one line
     */
    public void note(String line) {
        submit(() -> {
            finishBar();
            err.println(prefix + ": " + line);
        });
    }

    private void submit(Runnable r) {
        if (thread != null) {
            events.add(r);
        }
    }

    /** Ends the current phase and the progress thread; waits for it to print what was queued. */
    @Override
    public void close() {
        if (thread == null) {
            return;
        }
        events.add(STOP);
        try {
            thread.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void run() {
        long tick = mode == Mode.BAR ? TimeUnit.MILLISECONDS.toNanos(100) : TimeUnit.MILLISECONDS.toNanos(250);
        try {
            while (true) {
                Runnable r = events.poll(tick, TimeUnit.NANOSECONDS);
                if (r == STOP) {
                    finishBar();
                    return;
                }
                if (r != null) {
                    r.run();
                }
                update();
            }
        } catch (InterruptedException e) {
            finishBar();
        } catch (RuntimeException e) {
            // progress display must never break a transfer
            finishBar();
        } finally {
            err.flush();
        }
    }

    private void update() {
        if (task == null || done == null) {
            return;
        }
        long d = Math.max(0, Math.min(total, done.getAsLong()));
        long now = System.nanoTime();
        double secs = (now - startNanos) / 1e9;
        double rate = secs > 0 ? d / secs : 0;
        if (mode == Mode.BAR && bar != null) {
            // our own rate: the library's divides by whole seconds
            bar.setExtraMessage(String.format(Locale.ROOT, "%.1f MiB/s", rate / (1 << 20)));
            bar.stepTo(d);
            return;
        }
        if (now < nextPlainNanos) {
            return;
        }
        nextPlainNanos = now + plainEveryNanos;
        String eta = rate > 0 ? formatSeconds((total - d) / rate) : "?";
        err.println(String.format(Locale.ROOT, "%s %s: %3d%% (%s of %s), %.1f MiB/s, ETA %s", prefix, task,
                (int) (100 * d / total), Sizes.human(d), Sizes.human(total), rate / (1 << 20), eta));
    }

    private void finishBar() {
        if (bar == null) {
            return;
        }
        bar.stepTo(total);
        bar.close();
        bar = null;
        err.flush();
    }

    /**
     * Draws the bar on one line of stderr, redrawn in place with a carriage return, and leaves
     * that line empty when the bar is cleared, so that the phase's summary line takes its place
     * (the library's own console consumer ends with a newline, leaving a blank line behind).
     * Called by the progress bar's own thread.
     */
    private static final class OneLine extends ConsoleProgressBarConsumer {
        OneLine() {
            super(System.err);
        }

        @Override
        public void clear() {
            System.err.print("\r" + " ".repeat(Math.max(0, getMaxRenderedLength())) + "\r");
            System.err.flush();
        }

        @Override
        public void close() {
            System.err.flush();
        }
    }

    static String formatSeconds(double s) {
        if (s < 60) {
            return String.format(Locale.ROOT, "%.0f s", Math.ceil(s));
        }
        long t = (long) Math.ceil(s);
        return String.format(Locale.ROOT, "%d:%02d", t / 60, t % 60);
    }
}
