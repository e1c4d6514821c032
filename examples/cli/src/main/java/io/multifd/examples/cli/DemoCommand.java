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

import io.multifd.api.spi.Codec;
import io.multifd.core.PluginRegistry;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * {@code multifd demo}: a whole live migration on this machine, in two processes.
 *
 * <p>Exit status ({@link ExitStatus}): 0 the migration completed and the destination matches the
 * source; when a child ({@code send} or {@code recv}) failed, the sender's status if it has one of
 * {@link ExitStatus}'s, else the receiver's (so 3, 4 and 5 mean what they mean for them); 6
 * cancelled by SIGINT or SIGTERM (both children are stopped and the temporary directory
 * removed); 1 the destination differs, or any other failure; 2 a wrong command line.
 */
@Command(name = "demo", sortOptions = false, mixinStandardHelpOptions = true,
        description = {"Runs a live migration on this machine and checks that the destination matches.",
                "Generates a mixed image in a temporary directory, "
                + "starts a receiver (multifd recv) and a sender (multifd send) as two separate processes on "
                + "127.0.0.1, the sender's writer threads dirtying pages while pre-copy rounds run, then prints "
                + "what moved and whether the destination matches the source (SHA-256 of both sides). "
                + "The temporary files are removed at the end.", ""},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {"0:the migration completed and the destination matches the source",
                "1:the destination differs, or another failure; a child's 3, 4 or 5 is passed on"})
public final class DemoCommand extends BaseCommand {

    private static final Pattern LISTENING = Pattern.compile("listening on (\\S+):(\\d+)$");

    @Option(names = "--size", paramLabel = "SIZE", defaultValue = "1G", converter = Converters.Size.class,
            description = "The image size (default: ${DEFAULT-VALUE}).")
    long size;

    @Option(names = "--channels", paramLabel = "N", defaultValue = "2",
            description = "Parallel TCP channels (default: ${DEFAULT-VALUE}).")
    int channels;

    @Option(names = "--codec", paramLabel = "CODEC", defaultValue = "none",
            description = "none, zstd, lz4 or zlib (default: ${DEFAULT-VALUE}).")
    String codecName;

    @Option(names = "--level", paramLabel = "L", description = "The codec's level.")
    Integer level;

    @Option(names = "--dirty-rate", paramLabel = "PAGES_PER_S", defaultValue = "10000",
            description = "Pages per second the sender's writers dirty while it runs; 0 for a static image "
                    + "(default: ${DEFAULT-VALUE}).")
    long dirtyRate;

    @Option(names = "--device-state", paramLabel = "SIZE", converter = Converters.Size.class,
            description = "Also migrate a device state of this size alongside the RAM.")
    Long deviceState;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "1", description = "The image's seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--keep", description = "Keep the temporary directory (source and destination images).")
    boolean keep;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "600",
            description = "Give up if the migration takes longer (default: ${DEFAULT-VALUE}).")
    long timeout;

    private final List<Process> children = new ArrayList<>(); // guarded by itself

    /** Made by picocli. */
    public DemoCommand() {
    }

    @Override
    protected int run() throws Exception {
        if (size < 1) {
            throw new UsageException("--size must be at least 1 byte");
        }
        if (channels < 1 || channels > 255) {
            throw new UsageException("--channels must be 1 to 255: " + channels);
        }
        if (dirtyRate < 0 || dirtyRate > 100_000_000) { // the range send checks: refused here, not by the child
            throw new UsageException("--dirty-rate must be 0 to 100000000 pages per second: " + dirtyRate);
        }
        if (timeout < 1) {
            throw new UsageException("--timeout must be at least 1 second: " + timeout);
        }
        PluginRegistry registry = PluginRegistry.discover();
        Codec codec = SendCommand.codec(registry, codecName);
        if (level != null) {
            try {
                codec.validate(io.multifd.api.CodecOptions.level(level));
            } catch (IllegalArgumentException e) {
                throw new UsageException("--level " + level + " is not valid for " + codecName + ": " + e.getMessage());
            }
        }
        codec.checkAvailable();

        long t0 = System.nanoTime();
        Path dir = Files.createTempDirectory("multifd-demo-");
        // Ctrl-C / SIGTERM: the children stop, the waits below end, and the finally removes the files
        Cancellation.Registration cancel = cancellation.onCancel(this::destroyChildren);
        try {
            return demo(dir, t0);
        } catch (Exception | Error e) {
            if (common.json()) {
                out().println(failed(new Json(), e));
            }
            throw e;
        } finally {
            cancel.close();
            destroyChildren();
            if (!keep) {
                deleteTree(dir);
            } else if (!common.quiet()) {
                err().println("demo: kept " + dir);
            }
        }
    }

    private int demo(Path dir, long t0) throws Exception {
        Path source = dir.resolve("source.img");
        Path destination = dir.resolve("destination.img");
        PrintLine say = line -> {
            if (!common.quiet()) {
                err().println("demo: " + line);
            }
        };
        say.line(String.format(Locale.ROOT, "%s mixed image, %d channel%s, codec %s, %s, on 127.0.0.1",
                Sizes.human(size), channels, channels == 1 ? "" : "s", codecName,
                dirtyRate > 0 ? "writers dirtying " + dirtyRate + " pages/s" : "static image"));

        // 1. the image
        ImageGenerator gen = new ImageGenerator(size, 4096, seed, GenImageCommand.DEFAULT_ZERO,
                GenImageCommand.DEFAULT_TEXT, GenImageCommand.DEFAULT_RANDOM);
        ImageGenerator.Result image;
        long g0 = System.nanoTime();
        try (Progress progress = new Progress(Progress.detect(common.quiet()), "demo", err(), 2)) {
            progress.begin("generating " + source.getFileName(), size, gen::progress);
            image = gen.write(source);
            progress.end(String.format(Locale.ROOT, "%s in %.1f s", Sizes.human(size), (System.nanoTime() - g0) / 1e9));
        }
        double genSecs = (System.nanoTime() - g0) / 1e9;

        // 2. the receiver, on a free port it picks and prints
        List<String> recvArgs = new ArrayList<>(List.of("recv", "--listen", "127.0.0.1:0", "--out",
                destination.toString(), "--json", "--timeout", "60"));
        Child recv = start(recvArgs, false);
        int port;
        try {
            port = recv.port.get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        } catch (TimeoutException e) {
            throw new IOException("the receiver did not start listening within 30 s");
        }
        say.line("receiver (pid " + recv.process.pid() + ") listening on 127.0.0.1:" + port);

        // 3. the sender, its progress on our stderr
        List<String> sendArgs = new ArrayList<>(List.of("send", "--connect", "127.0.0.1:" + port, "--image",
                source.toString(), "--channels", Integer.toString(channels), "--codec", codecName,
                "--dirty-rate", Long.toString(dirtyRate), "--json"));
        if (level != null) {
            sendArgs.addAll(List.of("--level", level.toString()));
        }
        if (deviceState != null) {
            sendArgs.addAll(List.of("--device-state", Long.toString(deviceState)));
        }
        if (common.quiet()) {
            sendArgs.add("--quiet");
        }
        say.line("sender starting");
        Child send = start(sendArgs, true);

        boolean sendEnded = send.process.waitFor(timeout, TimeUnit.SECONDS);
        boolean senderFailed = sendEnded && send.process.exitValue() != 0;
        // a sender that failed told a connected receiver, which then ends at once; one that never
        // connected would leave the receiver waiting for its accept timeout: it is stopped
        boolean recvEnded = sendEnded && recv.process.waitFor(senderFailed ? 5 : 60, TimeUnit.SECONDS);
        boolean recvStopped = false;
        if (senderFailed && !recvEnded) {
            recv.process.destroy();
            recvEnded = recv.process.waitFor(20, TimeUnit.SECONDS);
            recvStopped = true;
        }
        if (!sendEnded || !recvEnded) {
            throw new IOException("the migration did not end within " + timeout + " s");
        }
        Json s = send.json();
        Json r = recvStopped ? null : recv.json();
        if (send.process.exitValue() != 0 || recv.process.exitValue() != 0 || s == null || r == null) {
            String why = recvStopped && s != null && s.getString("error") != null ? "sender: " + s.getString("error")
                    : r != null && r.getString("error") != null ? "receiver: " + r.getString("error")
                    : s != null && s.getString("error") != null ? "sender: " + s.getString("error")
                    : recv.lastError() != null ? "receiver: " + recv.lastError()
                    : "sender exit status " + send.process.exitValue() + ", receiver exit status " + recv.process.exitValue();
            int status = send.process.exitValue() != ExitStatus.OK ? send.process.exitValue() : recv.process.exitValue();
            throw new CommandFailedException(ExitStatus.failure(status), "the migration failed: " + why);
        }
        boolean match = s.getString("sha256") != null && s.getString("sha256").equals(r.getString("sha256"))
                && (deviceState == null || s.getString("device_state_sha256").equals(r.getString("device_state_sha256")));
        double total = (System.nanoTime() - t0) / 1e9;
        if (common.json()) {
            out().println(new Json().put("status", match ? "completed" : "mismatch")
                    .put("exit_code", match ? ExitStatus.OK : ExitStatus.FAILED).put("matched", match)
                    .put("seconds", s.getDouble("seconds")).put("demo_seconds", total).put("ram_bytes", size)
                    .put("wire_bytes", s.getLong("wire_bytes")).put("normal_pages", s.getLong("normal_pages"))
                    .put("zero_pages", s.getLong("zero_pages")).put("round_count", s.getLong("round_count"))
                    .put("channel_count", channels).put("codec", codecName).put("image_sha256", image.sha256())
                    .put("sha256", s.getString("sha256")).put("receiver_sha256", r.getString("sha256"))
                    .put("ram_gib_per_s", s.getDouble("ram_gib_per_s")));
        } else {
            out().print(table(s, r, match, image.sha256(), genSecs, total));
            out().flush();
        }
        return match ? MultifdCommand.EXIT_OK : MultifdCommand.EXIT_FAILED;
    }

    /** The result table. */
    static String table(Json s, Json r, boolean match, String imageSha, double genSecs, double totalSecs) {
        StringBuilder sb = new StringBuilder();
        String row = "  %-22s %14s %14s%n";
        sb.append(String.format(Locale.ROOT, "%n" + row, "", "sender", "receiver"));
        sb.append(String.format(Locale.ROOT, row, "rounds", s.getLong("round_count"), r.getLong("round_count")));
        sb.append(String.format(Locale.ROOT, row, "pages sent", group(s.getLong("normal_pages") + s.getLong("zero_pages")),
                group(r.getLong("normal_pages") + r.getLong("zero_pages"))));
        sb.append(String.format(Locale.ROOT, row, "  of which zero pages", group(s.getLong("zero_pages")),
                group(r.getLong("zero_pages"))));
        sb.append(String.format(Locale.ROOT, row, "bytes on the wire", Sizes.human(s.getLong("wire_bytes")),
                Sizes.human(r.getLong("wire_bytes"))));
        sb.append(String.format(Locale.ROOT, row, "seconds", String.format(Locale.ROOT, "%.2f", s.getDouble("seconds")),
                String.format(Locale.ROOT, "%.2f", r.getDouble("seconds"))));
        sb.append(String.format(Locale.ROOT, row, "GiB/s (image size)", String.format(Locale.ROOT, "%.2f",
                s.getDouble("ram_gib_per_s")), String.format(Locale.ROOT, "%.2f", r.getDouble("ram_gib_per_s"))));
        sb.append(String.format(Locale.ROOT, row, "GiB/s (on the wire)", String.format(Locale.ROOT, "%.2f",
                s.getDouble("wire_gib_per_s")), String.format(Locale.ROOT, "%.2f", r.getDouble("wire_gib_per_s"))));
        if (s.get("dirtied_pages") != null) {
            sb.append(String.format(Locale.ROOT, row, "pages dirtied meanwhile", group(s.getLong("dirtied_pages")), ""));
        }
        if (s.get("device_state_sha256") != null) {
            sb.append(String.format(Locale.ROOT, row, "device state", Sizes.human(s.getLong("device_state_bytes")),
                    Sizes.human(r.getLong("device_state_bytes"))));
        }
        sb.append(String.format(Locale.ROOT, "%n  source image     sha256 %s%n", imageSha));
        sb.append(String.format(Locale.ROOT, "  sender memory    sha256 %s%s%n", s.getString("sha256"),
                s.getString("sha256").equals(imageSha) ? "" : "  (changed by the writers)"));
        sb.append(String.format(Locale.ROOT, "  receiver file    sha256 %s%n", r.getString("sha256")));
        sb.append(String.format(Locale.ROOT, "%n  destination matches source: %s%n", match ? "yes" : "NO"));
        sb.append(String.format(Locale.ROOT, "  (%.1f s in all, of which %.1f s generating the image)%n", totalSecs, genSecs));
        return sb.toString();
    }

    private static String group(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }

    /** A line for the user. */
    @FunctionalInterface
    private interface PrintLine {
        void line(String s);
    }

    /** A child process: this same program, run with other arguments. */
    private final class Child {
        final Process process;
        final CompletableFuture<Integer> port = new CompletableFuture<>();
        final CompletableFuture<String> stdout;
        private final List<String> stderrLines = new ArrayList<>();

        Child(Process p, boolean stderrInherited) {
            this.process = p;
            this.stdout = CompletableFuture.supplyAsync(() -> readAll(p.getInputStream()));
            if (!stderrInherited) {
                Thread t = new Thread(() -> readErr(p.getErrorStream()), "multifd-demo-stderr-" + p.pid());
                t.setDaemon(true);
                t.start();
            } else {
                port.complete(-1);
            }
            p.onExit().thenRun(() -> port.completeExceptionally(new IOException("the receiver ended before listening: "
                    + (lastError() == null ? "exit status " + p.exitValue() : lastError()))));
        }

        private void readErr(InputStream in) {
            try (BufferedReader br = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                for (String line; (line = br.readLine()) != null; ) {
                    Matcher m = LISTENING.matcher(line);
                    if (m.find() && !port.isDone()) {
                        port.complete(Integer.parseInt(m.group(2)));
                    } else {
                        synchronized (stderrLines) {
                            stderrLines.add(line);
                        }
                    }
                }
            } catch (IOException ignored) {
                // the process ended
            }
        }

        String lastError() {
            synchronized (stderrLines) {
                return stderrLines.isEmpty() ? null : stderrLines.get(stderrLines.size() - 1);
            }
        }

        Json json() throws InterruptedException, ExecutionException {
            String text;
            try {
                text = stdout.get(30, TimeUnit.SECONDS).strip();
            } catch (TimeoutException e) {
                return null;
            }
            int brace = text.lastIndexOf("\n{");
            String last = brace >= 0 ? text.substring(brace + 1) : text;
            try {
                return last.startsWith("{") ? Json.parse(last) : null;
            } catch (IllegalArgumentException e) {
                return null;
            }
        }
    }

    private Child start(List<String> args, boolean inheritStderr) throws IOException {
        List<String> cmd = new ArrayList<>(javaCommand());
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.redirectInput(ProcessBuilder.Redirect.PIPE);
        if (inheritStderr) {
            pb.redirectError(ProcessBuilder.Redirect.INHERIT);
        } else {
            pb.environment().put("MULTIFD_PROGRESS", "none");
        }
        Process p = pb.start();
        p.getOutputStream().close();
        synchronized (children) {
            children.add(p);
        }
        if (cancellation.cancelled()) {
            destroyChildren(); // cancelled while it started
        }
        return new Child(p, inheritStderr);
    }

    /** Stops the children at once; any thread (the cancelling one, or the main thread at the end). */
    private void destroyChildren() {
        synchronized (children) {
            children.forEach(Process::destroyForcibly);
        }
    }

    /**
     * The command that runs this program again: the current {@code java}, with native access
     * granted (zstd and lz4 on JDK 24+), and this jar (or, in a development tree, this class path).
     *
     * @return the command's first words
     */
    static List<String> javaCommand() {
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> cmd = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED"));
        Path self;
        try {
            self = Path.of(MultifdCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException | SecurityException | NullPointerException e) {
            self = null;
        }
        if (self != null && Files.isRegularFile(self) && self.toString().endsWith(".jar")) {
            cmd.addAll(List.of("-jar", self.toString()));
        } else {
            cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), MultifdCommand.class.getName()));
        }
        return cmd;
    }

    private static String readAll(InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // best effort
                }
            });
        } catch (IOException ignored) {
            // already gone
        }
    }
}
