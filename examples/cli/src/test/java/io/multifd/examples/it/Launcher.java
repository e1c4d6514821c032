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
package io.multifd.examples.it;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs the real {@code ./multifd} launcher as a process, the way a user does, with
 * {@code MULTIFD_NO_BUILD=1}: the integration tests test exactly the jar this build packaged, and
 * never rebuild anything.
 */
final class Launcher {

    private static final Pattern LISTENING = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)");

    static final Path REPO = repo();
    static final Path SCRIPT = REPO.resolve("multifd");

    private Launcher() {
    }

    private static Path repo() {
        String prop = System.getProperty("multifd.repo");
        Path p = prop != null ? Path.of(prop) : Path.of("").toAbsolutePath();
        p = p.toAbsolutePath().normalize();
        while (p != null && !Files.isRegularFile(p.resolve("multifd"))) {
            p = p.getParent();
        }
        if (p == null) {
            throw new IllegalStateException("no ./multifd launcher above " + Path.of("").toAbsolutePath());
        }
        return p;
    }

    /** A running launcher. */
    static final class Proc implements AutoCloseable {
        final Process process;
        final List<String> args;
        private final CompletableFuture<String> out;
        private final StringBuffer err = new StringBuffer();
        private final CompletableFuture<Integer> port = new CompletableFuture<>();
        private final Thread errReader;
        private boolean ended; // guarded by err

        Proc(Process process, List<String> args) {
            this.process = process;
            this.args = args;
            this.out = CompletableFuture.supplyAsync(() -> read(process.getInputStream()));
            this.errReader = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getErrorStream(),
                        StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null; ) {
                        synchronized (err) {
                            err.append(line).append('\n');
                            err.notifyAll();
                        }
                        Matcher m = LISTENING.matcher(line);
                        if (m.find()) {
                            port.complete(Integer.parseInt(m.group(1)));
                        }
                    }
                } catch (IOException ignored) {
                    // ended
                }
                synchronized (err) {
                    ended = true;
                    err.notifyAll();
                }
                port.completeExceptionally(new IllegalStateException("no 'listening on' line from " + args
                        + "; stderr: " + err));
            }, "it-stderr");
            errReader.setDaemon(true);
            errReader.start();
        }

        /**
         * Waits until the process printed a line containing {@code fragment} on stderr.
         *
         * @return true if it did, false if stderr ended or 30 s passed first
         */
        boolean awaitErr(String fragment) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            synchronized (err) {
                while (err.indexOf(fragment) < 0) {
                    long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                    if (ended || left <= 0) {
                        return false;
                    }
                    err.wait(left);
                }
                return true;
            }
        }

        /** The port a receiver printed. */
        int port() throws Exception {
            return port.get(30, TimeUnit.SECONDS);
        }

        /** Waits for the end; returns the exit status. */
        int await() throws Exception {
            if (!process.waitFor(100, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError(args + " did not end within 100 s; stderr so far: " + err);
            }
            errReader.join(10_000);
            return process.exitValue();
        }

        String out() throws Exception {
            return out.get(10, TimeUnit.SECONDS);
        }

        String err() {
            return err.toString();
        }

        @Override
        public void close() {
            process.destroyForcibly();
        }

        @Override
        public String toString() {
            return args.toString();
        }
    }

    /** Starts {@code ./multifd args...}. */
    static Proc start(String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(SCRIPT.toString());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("MULTIFD_NO_BUILD", "1");
        pb.environment().remove("MULTIFD_PROGRESS"); // stderr is a pipe: plain lines
        pb.environment().remove("MULTIFD_WARMUP"); // the commands as users run them: warmed up
        Process p = pb.start();
        p.getOutputStream().close();
        return new Proc(p, List.of(args));
    }

    /** A finished run. */
    record Run(int status, String out, String err) {
    }

    /** Runs {@code ./multifd args...} to its end. */
    static Run run(String... args) throws Exception {
        try (Proc p = start(args)) {
            int status = p.await();
            return new Run(status, p.out(), p.err());
        }
    }

    private static String read(InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }
}
