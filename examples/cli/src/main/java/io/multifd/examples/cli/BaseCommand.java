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
