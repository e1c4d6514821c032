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

import io.multifd.api.MultiFdException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.util.Arrays;
import java.util.concurrent.Callable;

/**
 * The {@code multifd} command line: {@code gen-image}, {@code recv}, {@code send} and
 * {@code demo}. {@link #main(String[])} is the fat jar's entry point; {@link #execute} runs a
 * command line in-process (tests do this).
 *
 * <p>Errors: a user's mistake or a failed migration prints <em>one</em> line on stderr,
 * {@code multifd <command>: <what went wrong>}, and exits non-zero; {@code --verbose} adds the
 * stack trace. Exit statuses, the same for every command (see {@link ExitStatus}, which maps
 * every failure to one of them, and {@link Cancellation} for signals): 0 completed; 1 failed for
 * another reason; 2 the command line is wrong; 3 could not connect, or the connection was lost
 * or timed out; 4 refused by the peer or by a limit; 5 damaged or malformed stream or file;
 * 6 cancelled by SIGINT or SIGTERM. Every command's {@code --help} lists them.
 */
@Command(name = "multifd",
        mixinStandardHelpOptions = true,
        versionProvider = MultifdCommand.Version.class,
        description = {"Moves a memory image between two processes over several parallel channels (TCP or Unix sockets, TLS optional) "
                + "(a JVM re-creation of QEMU's multifd migration).", "",
                "Try: multifd demo        (a 1 GiB live migration on this machine)"},
        subcommands = {GenImageCommand.class, RecvCommand.class, SendCommand.class, DemoCommand.class, KeygenCommand.class,
                SaveCommand.class, RestoreCommand.class, InspectCommand.class},
        exitCodeListHeading = "%nExit status (the same for every command):%n")
public final class MultifdCommand implements Callable<Integer> {

    /** Exit status of a completed command: {@link ExitStatus#OK}. */
    public static final int EXIT_OK = ExitStatus.OK;
    /** Exit status of a command that failed for another reason: {@link ExitStatus#FAILED}. */
    public static final int EXIT_FAILED = ExitStatus.FAILED;
    /** Exit status of a wrong command line: {@link ExitStatus#USAGE}. */
    public static final int EXIT_USAGE = ExitStatus.USAGE;

    @Spec
    CommandSpec spec;

    /** Made by picocli. */
    public MultifdCommand() {
    }

    /** Without a subcommand: prints the usage on stderr and exits with {@value #EXIT_USAGE}. */
    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return EXIT_USAGE;
    }

    /**
     * The fat jar's entry point. Applies the command line's JIT profile ({@link JitProfile}: C1
     * first, C2 only for the JDK's cryptography) to the commands that move memory, turns on the
     * in-process warm-up of {@code send} and {@code recv} ({@link Warmup}), installs the
     * shutdown hook that turns SIGINT and SIGTERM into a cancellation and exit status
     * {@value ExitStatus#CANCELLED} (see {@link Cancellation}), runs the command on this thread,
     * and exits with its status.
     *
     * @param args the command line
     */
    public static void main(String[] args) {
        String jit = JitProfile.apply(args, System.getenv());
        if (jit.startsWith("ignored: ")) {
            System.err.println("multifd: " + jit.substring("ignored: ".length()));
        }
        String warmUp = Warmup.configure(args, System.getenv());
        if (warmUp != null) {
            System.err.println("multifd: " + warmUp);
        }
        Cancellation cancellation = new Cancellation();
        Cancellation.ProcessHook hook = cancellation.installProcessHook(System.out, System.err);
        hook.exit(execute(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true), cancellation));
    }

    /**
     * Runs a command line in this JVM; it cannot be cancelled.
     *
     * @param args the arguments
     * @param out  stdout (results, JSON)
     * @param err  stderr (progress, errors)
     * @return the exit status, one of {@link ExitStatus}'s
     */
    public static int execute(String[] args, PrintWriter out, PrintWriter err) {
        return execute(args, out, err, new Cancellation());
    }

    /**
     * Runs a command line in this JVM on the calling thread; {@code cancellation} may cancel it
     * from another thread.
     *
     * @param args         the arguments
     * @param out          stdout (results, JSON)
     * @param err          stderr (progress, errors)
     * @param cancellation cancels the run when cancelled (the process's hook does so on SIGINT/SIGTERM)
     * @return the exit status, one of {@link ExitStatus}'s; {@value ExitStatus#CANCELLED} if the run
     *         was cancelled and did not complete
     */
    public static int execute(String[] args, PrintWriter out, PrintWriter err, Cancellation cancellation) {
        int status;
        try {
            status = commandLine(out, err, cancellation).execute(args);
        } catch (Error e) { // picocli hands only Exceptions to the execution handler
            if (Arrays.asList(args).contains("--verbose")) {
                e.printStackTrace(err);
            }
            err.println("multifd: " + describe(e));
            err.flush();
            status = ExitStatus.FAILED;
        }
        return status != ExitStatus.OK && cancellation.cancelled() ? ExitStatus.CANCELLED : status;
    }

    /**
     * The configured picocli command line: one-line errors, exit codes as documented.
     *
     * @param out stdout
     * @param err stderr
     * @return the command line; its commands cannot be cancelled
     */
    public static CommandLine commandLine(PrintWriter out, PrintWriter err) {
        return commandLine(out, err, new Cancellation());
    }

    /**
     * The configured picocli command line: one-line errors, the exit statuses of
     * {@link ExitStatus} (listed in every command's {@code --help}), and the commands tied to
     * {@code cancellation}.
     *
     * @param out          stdout
     * @param err          stderr
     * @param cancellation what cancels the commands
     * @return the command line
     */
    public static CommandLine commandLine(PrintWriter out, PrintWriter err, Cancellation cancellation) {
        CommandLine cl = new CommandLine(new MultifdCommand());
        cl.setOut(out);
        cl.setErr(err);
        cl.setUsageHelpAutoWidth(true);
        cl.setParameterExceptionHandler(MultifdCommand::onParameterError);
        cl.registerConverter(java.nio.file.Path.class, new Converters.FilePath()); // every subcommand's paths
        configure(cl, cancellation);
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            boolean verbose = cmd.getCommand() instanceof BaseCommand b && b.verbose();
            if (verbose) {
                ex.printStackTrace(cmd.getErr());
            }
            String what = cancellation.cancelled() ? "cancelled (" + cancellation.reason() + ")" : describe(ex);
            cmd.getErr().println(cmd.getCommandSpec().qualifiedName() + ": " + what);
            if (cmd.getCommand() instanceof BaseCommand b) {
                Json result = b.unreportedFailure(ex);
                if (result != null) {
                    cmd.getOut().println(result);
                }
            }
            return cancellation.statusOf(ex);
        });
        return cl;
    }

    /** Every command: the common exit-status list in its help, and the cancellation. */
    private static void configure(CommandLine cl, Cancellation cancellation) {
        var usage = cl.getCommandSpec().usageMessage();
        usage.exitCodeList(ExitStatus.help(usage.exitCodeList()));
        if (cl.getCommand() instanceof BaseCommand b) {
            b.cancellation = cancellation;
        }
        cl.getSubcommands().values().forEach(sub -> configure(sub, cancellation));
    }

    private static int onParameterError(ParameterException ex, String[] args) {
        CommandLine cmd = ex.getCommandLine();
        String name = cmd.getCommandSpec().qualifiedName();
        String line = oneLine(ex.getMessage()) + " (see '" + name + " --help')";
        cmd.getErr().println(name + ": " + line);
        if (Arrays.asList(args).contains("--json")) { // the options could not be read: --json among the words is enough
            cmd.getOut().println(new Json().put("event", "result").put("command", cmd.getCommandSpec().name())
                    .put("status", ExitStatus.word(EXIT_USAGE)).put("exit_code", EXIT_USAGE).put("error", line));
        }
        return EXIT_USAGE;
    }

    /**
     * One line that says what went wrong, without the exception's class name where the message
     * says enough.
     *
     * @param t the failure
     * @return the line
     */
    public static String describe(Throwable t) {
        if (t instanceof UncheckedIOException u && u.getCause() != null) {
            String m = u.getMessage(); // made from the cause alone, it is the cause's class name and message
            return m == null || m.equals(u.getCause().toString()) ? describe(u.getCause()) : oneLine(m);
        }
        if (t instanceof NoSuchFileException f) {
            return "no such file or directory: " + f.getFile();
        }
        if (t instanceof AccessDeniedException f) {
            return "permission denied: " + f.getFile();
        }
        if (t instanceof FileSystemException f) {
            return oneLine(f.getMessage());
        }
        if (t instanceof UsageException || t instanceof CommandFailedException || t instanceof MultiFdException) {
            return oneLine(t.getMessage());
        }
        if (t instanceof IOException) {
            return t.getMessage() == null ? t.getClass().getSimpleName() : oneLine(t.getMessage());
        }
        if (t instanceof OutOfMemoryError) {
            return "out of memory (" + t.getMessage() + "); MULTIFD_JAVA_OPTS=-Xmx... gives the JVM more";
        }
        return "internal error: " + oneLine(String.valueOf(t)) + " (run with --verbose for the stack trace)";
    }

    static String oneLine(String s) {
        return s == null ? "" : printable(s.strip().replaceAll("\\s*\\R\\s*", "; "));
    }

    /**
     * Text from files or peers made safe for a terminal: control characters (C0, DEL and C1,
     * which could move the cursor, retitle or clear the terminal) become {@code \xNN}; everything
     * else, non-ASCII included, is kept. Any thread.
     *
     * @param s the text, possibly null
     * @return it without control characters
     */
    static String printable(String s) {
        if (s == null) {
            return "null";
        }
        StringBuilder sb = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean control = c < 0x20 || (c >= 0x7f && c < 0xa0);
            if (control && sb == null) {
                sb = new StringBuilder(s.length() + 8).append(s, 0, i);
            }
            if (sb != null) {
                if (control) {
                    sb.append(String.format(java.util.Locale.ROOT, "\\x%02x", (int) c));
                } else {
                    sb.append(c);
                }
            }
        }
        return sb == null ? s : sb.toString();
    }

    /** The version, from the jar's manifest. */
    public static final class Version implements IVersionProvider {
        /** Made by picocli. */
        public Version() {
        }

        @Override
        public String[] getVersion() {
            String v = MultifdCommand.class.getPackage().getImplementationVersion();
            return new String[]{"multifd " + (v == null ? "(development build)" : v)
                    + " on Java " + Runtime.version() + " (" + System.getProperty("java.vm.name") + ")"};
        }
    }
}
