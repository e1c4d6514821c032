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

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.FutureTask;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code --resume-timeout}: the link between send and recv breaks once in the middle of a
 * post-copy (a proxy between them closes every connection after a few MiB); both commands keep
 * their memory, reconnect through the proxy, resume, and end with the same bytes.
 */
@Timeout(120)
class PostcopyResumeCliTest {

    @TempDir
    Path dir;

    /** A TCP proxy that forwards to a target and, once, cuts every connection after {@code cutAfter} bytes upstream. */
    static final class CuttingProxy implements AutoCloseable {
        final ServerSocket server;
        final AtomicLong upstream = new AtomicLong();
        final AtomicBoolean cut = new AtomicBoolean();
        final List<Socket> open = new CopyOnWriteArrayList<>();
        final Thread acceptor;

        CuttingProxy(int targetPort, long cutAfter) throws IOException {
            server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            acceptor = new Thread(() -> {
                try {
                    while (true) {
                        Socket in = server.accept();
                        Socket out = new Socket();
                        out.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort), 5000);
                        open.add(in);
                        open.add(out);
                        pump(in, out, cutAfter, true);
                        pump(out, in, cutAfter, false);
                    }
                } catch (IOException e) {
                    // closed
                }
            }, "proxy-accept");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        private void pump(Socket from, Socket to, long cutAfter, boolean up) {
            Thread t = new Thread(() -> {
                byte[] buf = new byte[64 << 10];
                try (InputStream i = from.getInputStream(); OutputStream o = to.getOutputStream()) {
                    int n;
                    while ((n = i.read(buf)) > 0) {
                        o.write(buf, 0, n);
                        if (up && upstream.addAndGet(n) > cutAfter && cut.compareAndSet(false, true)) {
                            for (Socket s : open) { // the link breaks: every connection of the session at once
                                s.close();
                            }
                            open.clear();
                        }
                    }
                } catch (IOException e) {
                    // cut or ended
                } finally {
                    try {
                        to.close();
                        from.close();
                    } catch (IOException ignored) {
                        // closing anyway
                    }
                }
            }, up ? "proxy-up" : "proxy-down");
            t.setDaemon(true);
            t.start();
        }

        int port() {
            return server.getLocalPort();
        }

        @Override
        public void close() throws IOException {
            server.close();
            for (Socket s : open) {
                s.close();
            }
        }
    }

    @Test
    void aLinkThatBreaksDuringPostcopyIsResumedByBothCommands() throws Exception {
        Path image = dir.resolve("src.img");
        Path out = dir.resolve("dst.img");
        assertThat(CommandLineTest.run("gen-image", image.toString(), "--size", "16M", "--zero", "10", "--text", "40",
                "--random", "50", "--quiet").status()).isZero();
        StringWriter rxOut = new StringWriter();
        CliMigrationTest.PipedLines rxErr = new CliMigrationTest.PipedLines();
        FutureTask<Integer> rx = new FutureTask<>(() -> MultifdCommand.execute(
                new String[]{"recv", "--listen", "127.0.0.1:0", "--out", out.toString(), "--json", "--timeout", "30",
                        "--resume-timeout", "30", "--postcopy-readers", "1", "--io-timeout", "3"},
                new PrintWriter(rxOut, true), new PrintWriter(rxErr, true)));
        Thread rxThread = new Thread(rx, "recv");
        rxThread.start();
        int port = rxErr.port();
        try (CuttingProxy proxy = new CuttingProxy(port, 6L << 20)) {
            CommandLineTest.Run tx = CommandLineTest.run("send", "--connect", "127.0.0.1:" + proxy.port(), "--image",
                    image.toString(), "--postcopy", "--postcopy-after-rounds", "0", "--channels", "2",
                    "--resume-timeout", "30", "--io-timeout", "3", "--json");
            assertThat(tx.status()).as(tx.err()).isZero();
            assertThat(rx.get()).as(rxErr.toString()).isZero();
            assertThat(proxy.cut.get()).as("the link broke").isTrue();
            Json s = Json.parse(tx.out().strip());
            Json r = Json.parse(rxOut.toString().strip());
            assertThat(s.getString("status")).isEqualTo("completed");
            assertThat(r.getString("status")).isEqualTo("completed");
            assertThat(s.getLong("postcopy_resumes")).isGreaterThanOrEqualTo(1);
            assertThat(r.getLong("postcopy_resumes")).isGreaterThanOrEqualTo(1);
            // connect to end, across the sessions: not the resumed session's time alone
            assertThat(s.getDouble("seconds")).as("the sender's seconds against the receiver's %s", r.getDouble("seconds"))
                    .isGreaterThan(0.8 * r.getDouble("seconds"));
            assertThat(r.getString("sha256")).isEqualTo(Hashing.sha256(image)).isEqualTo(Hashing.sha256(out));
            assertThat(tx.err()).contains("post-copy paused");
            assertThat(rxErr.toString()).contains("post-copy paused");
        }
        rxThread.join(10_000);
    }
}
