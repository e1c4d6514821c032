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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A receiver that loses the sender's COMMIT after it reported COMPLETED cannot know whether the
 * sender completed: {@code recv} fails, says the outcome is unknown, and keeps FILE.part (every
 * page arrived), instead of deleting what may be the only complete copy.
 */
@Timeout(120)
class OutcomeUnknownCliTest {

    @TempDir
    Path dir;

    @Test
    void aLostCommitKeepsTheCompleteImageAndSaysTheOutcomeIsUnknown() throws Exception {
        Path image = dir.resolve("src.img");
        assertThat(CommandLineTest.run("gen-image", image.toString(), "--size", "3M", "--quiet").status()).isZero();
        Path out = dir.resolve("dst.img");
        CliMigrationTest.PipedLines err = new CliMigrationTest.PipedLines();
        StringWriter recvOut = new StringWriter();
        CompletableFuture<Integer> recv = CompletableFuture.supplyAsync(() -> MultifdCommand.execute(
                new String[]{"recv", "--listen", "127.0.0.1:0", "--out", out.toString(), "--json", "--timeout", "30"},
                new PrintWriter(recvOut, true), new PrintWriter(err, true)), runnable -> {
                    Thread t = new Thread(runnable, "recv-command");
                    t.setDaemon(true);
                    t.start();
                });
        try (CommitEater proxy = new CommitEater(err.port())) {
            CommandLineTest.Run send = CommandLineTest.run("send", "--connect", "127.0.0.1:" + proxy.port(),
                    "--image", image.toString(), "--channels", "2", "--quiet");
            assertThat(send.status()).as("the sender saw COMPLETED everywhere: " + send.err()).isZero();
            int status = recv.get(60, TimeUnit.SECONDS);
            assertThat(status).as(err.toString()).isNotZero();
            assertThat(proxy.eaten()).as("COMMITs kept from the receiver").isPositive();
        }
        Path part = dir.resolve("dst.img.part");
        assertThat(err.toString()).contains("outcome unknown").contains("kept in '" + part + "'")
                .contains("rename it to '" + out + "'");
        assertThat(out).as("not published: the receiver does not know the sender completed").doesNotExist();
        assertThat(part).as("kept: it may be the only complete copy").exists();
        assertThat(Hashing.sha256(part)).isEqualTo(Hashing.sha256(image));
        String json = recvOut.toString().strip();
        assertThat(json.substring(json.lastIndexOf('\n') + 1)).contains("\"outcome_unknown\":true")
                .contains("\"kept\":").contains("\"status\":\"failed\"");
    }

    /**
     * Forwards each connection both ways, reading the receiver's replies (28-byte head, message,
     * 4-byte CRC); once a COMPLETED passed on a connection, whatever the sender writes next (its
     * COMMIT) is swallowed and the receiver's side of that connection is closed.
     */
    private static final class CommitEater implements AutoCloseable {
        private final ServerSocket server;
        private final InetSocketAddress target;
        private final List<Socket> open = new CopyOnWriteArrayList<>();
        private final java.util.concurrent.atomic.AtomicInteger eaten = new java.util.concurrent.atomic.AtomicInteger();
        private final Thread acceptor;

        CommitEater(int targetPort) throws IOException {
            this.target = new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort);
            this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            this.acceptor = new Thread(this::accept, "commit-eater");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        int port() {
            return server.getLocalPort();
        }

        int eaten() {
            return eaten.get();
        }

        private void accept() {
            try {
                while (true) {
                    Socket sender = server.accept();
                    Socket receiver = new Socket(target.getAddress(), target.getPort());
                    open.add(sender);
                    open.add(receiver);
                    java.util.concurrent.atomic.AtomicBoolean completed = new java.util.concurrent.atomic.AtomicBoolean();
                    start(() -> replies(receiver, sender, completed));
                    start(() -> requests(sender, receiver, completed));
                }
            } catch (IOException e) {
                // closed
            }
        }

        private static void start(Runnable r) {
            Thread t = new Thread(r, "commit-eater-pump");
            t.setDaemon(true);
            t.start();
        }

        /** Receiver to sender, reply by reply; marks the connection once its COMPLETED is through. */
        private static void replies(Socket receiver, Socket sender, java.util.concurrent.atomic.AtomicBoolean completed) {
            try (InputStream in = receiver.getInputStream(); OutputStream to = sender.getOutputStream()) {
                byte[] head = new byte[28];
                while (true) {
                    if (in.readNBytes(head, 0, 28) < 28) {
                        return;
                    }
                    int kind = head[4];
                    int m = ((head[10] & 0xff) << 8) | (head[11] & 0xff);
                    byte[] rest = in.readNBytes(m + 4);
                    if (kind == 5) {
                        completed.set(true); // before the sender can read it, so its COMMIT comes after
                    }
                    to.write(head);
                    to.write(rest);
                    to.flush();
                }
            } catch (IOException e) {
                // either side went away
            }
        }

        /** Sender to receiver; after COMPLETED, swallows the rest and closes the receiver's side. */
        private void requests(Socket sender, Socket receiver, java.util.concurrent.atomic.AtomicBoolean completed) {
            try (InputStream in = sender.getInputStream(); OutputStream to = receiver.getOutputStream()) {
                byte[] b = new byte[64 << 10];
                int n;
                while ((n = in.read(b)) >= 0) {
                    if (completed.get()) {
                        eaten.incrementAndGet();
                        receiver.close();
                        in.transferTo(OutputStream.nullOutputStream());
                        return;
                    }
                    to.write(b, 0, n);
                }
                if (completed.get()) {
                    receiver.close();
                }
            } catch (IOException e) {
                // either side went away
            }
        }

        @Override
        public void close() throws Exception {
            server.close();
            for (Socket s : open) {
                s.close();
            }
            acceptor.join(10_000);
        }
    }
}
