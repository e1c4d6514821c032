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

import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import java.util.logging.ConsoleHandler;
import java.util.logging.Formatter;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * What every subcommand shares: the common options, stdout and stderr as picocli hands them
 * out, and the logging set-up. A subcommand runs on the main thread; {@link #run()} returns the
 * exit status or throws, and {@link MultifdCommand} turns the exception into one line.
 */
public abstract class BaseCommand implements Callable<Integer> {

    /** Keeps the configured JUL logger reachable (JUL holds loggers weakly). */
    private static Logger libraryLogger;

    /** {@code --json}, {@code --quiet}, {@code --verbose}. */
    @Mixin
    protected CommonOptions common;

    /** The command's model, injected by picocli (for its stdout and stderr). */
    @Spec
    protected CommandSpec spec;

    /**
     * Cancels this run on SIGINT/SIGTERM: a command registers, with
     * {@link Cancellation#onCancel}, what ends its blocking work. Set by
     * {@link MultifdCommand#commandLine(PrintWriter, PrintWriter, Cancellation)} before the run.
     */
    protected Cancellation cancellation = new Cancellation();

    /** Made by picocli. */
    protected BaseCommand() {
    }

    /** Where results go (the JSON object, the summary). */
    protected PrintWriter out() {
        return spec.commandLine().getOut();
    }

    /** Where progress and errors go. */
    protected PrintWriter err() {
        return spec.commandLine().getErr();
    }

    /**
     * Set when the run made its {@code --json} result ({@link #failed} or {@link #completed}):
     * the error handler writes one for a run that failed before it got that far. Main thread.
     */
    private boolean resultWritten;

    /**
     * The {@code --json} result of a run that threw before making its own (a wrong value found
     * while setting up, say): {@code "status"}, {@code "exit_code"} and {@code "error"}, as
     * {@link #failed} makes them; null if the run is not in {@code --json} mode or made its result.
     *
     * @param failure what the run threw
     * @return the result to print, or null
     */
    Json unreportedFailure(Throwable failure) {
        if (common == null || !common.json() || resultWritten) {
            return null;
        }
        return failed(new Json().put("event", "result").put("command", spec.name()), failure);
    }

    /** Whether {@code --verbose} was given (read by the error handler). */
    public boolean verbose() {
        return common != null && common.verbose();
    }

    @Override
    public final Integer call() throws Exception {
        configureLogging(common.verbose());
        return run();
    }

    /**
     * Runs the command.
     *
     * @return the exit status
     * @throws Exception reported by {@link MultifdCommand} as one line on stderr
     */
    protected abstract int run() throws Exception;

    /**
     * Completes a {@code --json} result of a run that threw {@code failure}: {@code "status"}
     * ({@code failed} or {@code cancelled}), {@code "exit_code"} (the status the process exits
     * with, as {@link MultifdCommand} reports it) and {@code "error"} (the one line of stderr);
     * a {@code "ram_gib_per_s"} already in it becomes null (the RAM was not moved).
     *
     * @param json    the result so far
     * @param failure what the run threw
     * @return {@code json}
     */
    protected Json failed(Json json, Throwable failure) {
        resultWritten = true;
        int status = cancellation.statusOf(failure);
        if (json.fields().containsKey("ram_gib_per_s")) {
            json.put("ram_gib_per_s", null); // the RAM was not moved: no rate (raw and wire bytes say how far it got)
        }
        return json.put("status", ExitStatus.word(status)).put("exit_code", status)
                .put("error", cancellation.cancelled() ? "cancelled (" + cancellation.reason() + ")"
                        : MultifdCommand.describe(failure));
    }

    /**
     * Marks a {@code --json} result completed: {@code "status":"completed"}, {@code "exit_code":0}.
     *
     * @param json the result
     * @return {@code json}
     */
    protected Json completed(Json json) {
        resultWritten = true;
        return json.put("status", ExitStatus.word(ExitStatus.OK)).put("exit_code", ExitStatus.OK);
    }

    /**
     * The library logs through {@link System.Logger}, which lands in java.util.logging. Without
     * {@code --verbose} that log is off (errors reach the user as exceptions, in one line);
     * with it, the library's log down to FINE goes to stderr, one line per record.
     *
     * @param verbose {@code --verbose}
     */
    static synchronized void configureLogging(boolean verbose) {
        LogManager.getLogManager().reset();
        Logger root = Logger.getLogger("");
        if (!verbose) {
            root.setLevel(Level.OFF);
            return;
        }
        root.setLevel(Level.INFO);
        libraryLogger = Logger.getLogger("io.multifd");
        libraryLogger.setLevel(Level.FINE);
        ConsoleHandler h = new ConsoleHandler();
        h.setLevel(Level.FINE);
        h.setFormatter(new Formatter() {
            @Override
            public String format(LogRecord r) {
                String msg = formatMessage(r);
                String t = r.getThrown() == null ? "" : " (" + r.getThrown() + ")";
                return String.format("[%s %s] %s%s%n", r.getLevel(), r.getLoggerName(), msg, t);
            }
        });
        root.addHandler(h);
    }
}
