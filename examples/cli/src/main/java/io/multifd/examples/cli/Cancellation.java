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

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The cancellation of one command run: SIGINT (Ctrl-C) or SIGTERM, or {@link #cancel} called by
 * a test. A command registers what ends its blocking work ({@link #onCancel}: close the sender or
 * receiver, stop child processes); once cancelled, the command fails and exits with
 * {@value ExitStatus#CANCELLED}. Thread-safe: {@link #cancel} runs on whichever thread calls it
 * (the shutdown hook's, for a signal), the actions on that thread.
 *
 * <h2>How a signal becomes exit status 6</h2>
 * A JVM ended by SIGINT or SIGTERM runs its shutdown hooks and exits with 130 or 143; only
 * {@link Runtime#halt} inside a hook can choose another status. {@link #installProcessHook}
 * installs the one hook of the {@code multifd} process (only {@link MultifdCommand#main} does;
 * a command run in-process by a test never halts the JVM). When the hook runs:
 * <ol>
 *   <li>if the command had already ended ({@link ProcessHook#exit} was called), it halts with that
 *       command's status: a normal {@code System.exit}, or a signal that came too late to cancel
 *       anything, both end with the status the command reported;</li>
 *   <li>otherwise it {@linkplain #cancel cancels} the run: the registered actions close what the
 *       command waits on, so the command fails promptly, removes its partial output, prints its
 *       one error line (and its {@code --json} object, with {@code "status":"cancelled"}) and
 *       returns {@value ExitStatus#CANCELLED};</li>
 *   <li>it waits for that, at most {@link #GRACE_SECONDS} seconds (the JVM stays up while
 *       shutdown hooks run, so the main thread can finish), flushes stdout and stderr, and halts
 *       with the command's status, or with {@value ExitStatus#CANCELLED} if the command did not end
 *       in time.</li>
 * </ol>
 * A command that completed although a signal arrived during its last moments exits 0: its
 * output is complete.
 */
public final class Cancellation {

    /** How long the shutdown hook waits for a cancelled command to clean up and report. */
    public static final long GRACE_SECONDS = 10;

    private final List<Runnable> actions = new ArrayList<>(); // guarded by this
    private String reason; // guarded by this; non-null once cancelled

    /** A run that is not cancelled yet. */
    public Cancellation() {
    }

    /** Undoes an {@link #onCancel} registration; closing twice does nothing. */
    @FunctionalInterface
    public interface Registration extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * Registers what to do on cancellation: something that makes the command's blocking call
     * return or throw promptly, and never blocks for long itself. Runs at once, on this thread,
     * if the run is already cancelled.
     *
     * @param action run at most once, on the cancelling thread; a RuntimeException it throws is ignored
     * @return closes the registration (call it once the command no longer needs it)
     */
    public Registration onCancel(Runnable action) {
        boolean now;
        synchronized (this) {
            now = reason != null;
            if (!now) {
                actions.add(action);
            }
        }
        if (now) {
            runQuietly(action);
            return () -> { };
        }
        return () -> {
            synchronized (this) {
                actions.remove(action);
            }
        };
    }

    /**
     * Cancels the run: the first call runs every registered action, in registration order, on
     * this thread; later calls do nothing.
     *
     * @param why what cancelled it, for the error line, e.g. {@code "SIGINT or SIGTERM"}
     */
    public void cancel(String why) {
        List<Runnable> run;
        synchronized (this) {
            if (reason != null) {
                return;
            }
            reason = why;
            run = new ArrayList<>(actions);
            actions.clear();
        }
        run.forEach(Cancellation::runQuietly);
    }

    /** Whether the run was cancelled. */
    public synchronized boolean cancelled() {
        return reason != null;
    }

    /** What cancelled the run, or {@code null} if it was not cancelled. */
    public synchronized String reason() {
        return reason;
    }

    /**
     * The exit status of a command run that threw {@code failure}: {@value ExitStatus#CANCELLED}
     * if the run was cancelled (whatever the failure the cancellation caused), else
     * {@link ExitStatus#of(Throwable)}.
     *
     * @param failure what the command threw
     * @return the exit status
     */
    public int statusOf(Throwable failure) {
        return cancelled() ? ExitStatus.CANCELLED : ExitStatus.of(failure);
    }

    private static void runQuietly(Runnable action) {
        try {
            action.run();
        } catch (RuntimeException ignored) {
            // cancelling is best effort: the command fails anyway, and says so
        }
    }

    /**
     * Installs the process's shutdown hook for this run (see the class comment). For
     * {@link MultifdCommand#main} only: the hook halts the JVM.
     *
     * @param out the process's stdout, flushed before the halt
     * @param err the process's stderr, flushed before the halt
     * @return the hook; the main thread ends the process with {@link ProcessHook#exit}
     */
    public ProcessHook installProcessHook(PrintStream out, PrintStream err) {
        ProcessHook hook = new ProcessHook(this, out, err);
        Runtime.getRuntime().addShutdownHook(new Thread(hook::onShutdown, "multifd-cli-signal"));
        return hook;
    }

    /** The process's shutdown hook and the main thread's way out; thread-safe. */
    public static final class ProcessHook {
        private final Cancellation cancellation;
        private final PrintStream out;
        private final PrintStream err;
        private Integer status; // guarded by this; the command's exit status once it ended

        private ProcessHook(Cancellation cancellation, PrintStream out, PrintStream err) {
            this.cancellation = cancellation;
            this.out = out;
            this.err = err;
        }

        /**
         * Ends the process with the command's status; called by the main thread once the command
         * returned. Never returns: if a signal's shutdown is under way, {@link System#exit} blocks
         * until the hook halts the JVM with this status.
         *
         * @param exitStatus the command's exit status
         */
        public void exit(int exitStatus) {
            synchronized (this) {
                status = exitStatus;
                notifyAll();
            }
            System.exit(exitStatus);
        }

        /** The shutdown hook's body. */
        private void onShutdown() {
            synchronized (this) {
                if (status != null) {
                    return; // a normal exit: System.exit already has the status; other hooks (JFR's dump) run
                }
            }
            cancellation.cancel("SIGINT or SIGTERM");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(GRACE_SECONDS);
            int exitStatus;
            synchronized (this) {
                try {
                    while (status == null) {
                        long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                        if (left <= 0) {
                            break;
                        }
                        wait(left);
                    }
                } catch (InterruptedException e) {
                    // halt now
                }
                exitStatus = status != null ? status : ExitStatus.CANCELLED;
            }
            halt(exitStatus);
        }

        private void halt(int exitStatus) {
            out.flush();
            err.flush();
            Runtime.getRuntime().halt(exitStatus);
        }
    }
}
