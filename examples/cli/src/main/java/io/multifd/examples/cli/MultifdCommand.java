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
import java.util.concurrent.Callable;

/**
 * The {@code multifd} command line: {@code gen-image}, {@code recv}, {@code send} and
 * {@code demo}. {@link #main(String[])} is the fat jar's entry point; {@link #execute} runs a
 * command line in-process (tests do this).
 *
 * <p>Errors: a user's mistake or a failed migration prints <em>one</em> line on stderr,
 * {@code multifd <command>: <what went wrong>}, and exits non-zero; {@code --verbose} adds the
 * stack trace. Exit status: {@value #EXIT_OK} completed, {@value #EXIT_FAILED} the migration
 * (or another operation) failed, {@value #EXIT_USAGE} the command line is wrong.
 */
@Command(name = "multifd",
        mixinStandardHelpOptions = true,
        versionProvider = MultifdCommand.Version.class,
        description = {"Moves a memory image between two processes over several parallel TCP channels "
                + "(a JVM re-creation of QEMU's multifd migration).", "",
                "Try: multifd demo        (a 1 GiB live migration on this machine)"},
        subcommands = {GenImageCommand.class, RecvCommand.class, SendCommand.class, DemoCommand.class, KeygenCommand.class},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {"0:completed", "1:the migration (or another operation) failed",
                "2:the command line is wrong (bad option or value, missing file, unknown codec)"})
public final class MultifdCommand implements Callable<Integer> {

    /** Exit status of a completed command. */
    public static final int EXIT_OK = 0;
    /** Exit status of a failed migration or operation. */
    public static final int EXIT_FAILED = 1;
    /** Exit status of a wrong command line. */
    public static final int EXIT_USAGE = 2;

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
     * The fat jar's entry point.
     *
     * @param args the command line
     */
    public static void main(String[] args) {
        System.exit(execute(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /**
     * Runs a command line in this JVM.
     *
     * @param args the arguments
     * @param out  stdout (results, JSON)
     * @param err  stderr (progress, errors)
     * @return the exit status
     */
    public static int execute(String[] args, PrintWriter out, PrintWriter err) {
        return commandLine(out, err).execute(args);
    }

    /**
     * The configured picocli command line: one-line errors, exit codes as documented.
     *
     * @param out stdout
     * @param err stderr
     * @return the command line
     */
    public static CommandLine commandLine(PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(new MultifdCommand());
        cl.setOut(out);
        cl.setErr(err);
        cl.setUsageHelpAutoWidth(true);
        cl.setParameterExceptionHandler(MultifdCommand::onParameterError);
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            boolean verbose = cmd.getCommand() instanceof BaseCommand b && b.verbose();
            if (verbose) {
                ex.printStackTrace(cmd.getErr());
            }
            cmd.getErr().println(cmd.getCommandSpec().qualifiedName() + ": " + describe(ex));
            return ex instanceof UsageException ? EXIT_USAGE : EXIT_FAILED;
        });
        return cl;
    }

    private static int onParameterError(ParameterException ex, String[] args) {
        CommandLine cmd = ex.getCommandLine();
        String name = cmd.getCommandSpec().qualifiedName();
        cmd.getErr().println(name + ": " + oneLine(ex.getMessage()) + " (see '" + name + " --help')");
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
        if (t instanceof UncheckedIOException u && u.getCause() != null && u.getMessage() != null) {
            return oneLine(u.getMessage());
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
        if (t instanceof UsageException || t instanceof MultiFdException) {
            return oneLine(t.getMessage());
        }
        if (t instanceof IOException) {
            return t.getMessage() == null ? t.getClass().getSimpleName() : oneLine(t.getMessage());
        }
        if (t instanceof OutOfMemoryError) {
            return "out of memory: " + t.getMessage();
        }
        return "internal error: " + oneLine(String.valueOf(t)) + " (run with --verbose for the stack trace)";
    }

    static String oneLine(String s) {
        return s == null ? "" : s.strip().replaceAll("\\s*\\R\\s*", "; ");
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
