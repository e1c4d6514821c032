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

import io.multifd.examples.cli.Json;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/**
 * Each exit status produced by the situation it names, through the real launcher (statuses 0, 1
 * and 2 are also covered by {@link CliIT} and {@link UserErrorsIT}): 3 nobody to connect to, or
 * no sender within {@code --timeout} (also when every connection that came was dropped: a refused
 * or damaged hello never fails the receiver, it is logged and the receiver goes on accepting, and
 * its timeout names the last one dropped); 4 a refused hello, on the sender; 6 SIGTERM and SIGINT
 * to a running command. The {@code --json} object always says the same.
 */
@Timeout(90)
class ExitStatusIT {

    @TempDir
    Path dir;

    private Path image;

    @BeforeEach
    void image() throws Exception {
        image = dir.resolve("img");
        Files.write(image, new byte[64 * 1024]);
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort(); // nobody listens there once this returns
        }
    }

    /** The status, the one error line and the JSON object agree. */
    private static Json assertStatus(int status, String command, String message, int exit, String out, String err) {
        assertThat(exit).as(command + " stderr: " + err).isEqualTo(status);
        assertThat(err).contains("multifd " + command + ": ").contains(message);
        Json j = Json.parse(out.strip());
        assertThat(j.getLong("exit_code")).isEqualTo(status);
        assertThat(j.getString("status")).isEqualTo(status == 6 ? "cancelled" : "failed");
        return j;
    }

    // ------------------------------------------------------------------ 3: no connection

    @Test
    void sendToAPortWhereNobodyListensIs3() throws Exception {
        int port = freePort();
        Launcher.Run r = Launcher.run("send", "--connect", "127.0.0.1:" + port, "--image", image.toString(),
                "--connect-timeout", "0.5", "--json", "--quiet");
        assertStatus(3, "send", "could not connect to tcp 127.0.0.1:" + port, r.status(), r.out(), r.err());
    }

    @Test
    void recvWithNoSenderWithinItsTimeoutIs3() throws Exception {
        Path out = dir.resolve("out.img");
        Launcher.Run r = Launcher.run("recv", "--listen", "127.0.0.1:0", "--out", out.toString(), "--timeout", "0.5",
                "--json");
        assertStatus(3, "recv", "connected within 500 ms", r.status(), r.out(), r.err());
        assertThat(out).doesNotExist();
    }

    // ------------------------------------------------------------------ 4: refused

    @Test
    void aCodecTheReceiverDoesNotAllowIs4ForTheSenderWhileTheReceiverGoesOn() throws Exception {
        Path out = dir.resolve("out.img");
        try (Launcher.Proc recv = Launcher.start("recv", "--listen", "127.0.0.1:0", "--out", out.toString(),
                "--allow-codecs", "none", "--timeout", "3", "--json")) {
            Launcher.Run send = Launcher.run("send", "--connect", "127.0.0.1:" + recv.port(), "--image",
                    image.toString(), "--codec", "zstd", "--json", "--quiet");
            assertStatus(4, "send", "not allowed by this receiver", send.status(), send.out(), send.err());
            // the refused connections were dropped; the receiver waited for a sender until its timeout
            assertStatus(3, "recv", "not allowed by this receiver", recv.await(), recv.out(), recv.err());
        }
        assertThat(out).doesNotExist();
    }

    // ------------------------------------------------------------------ dropped, not failed

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"not a multifd sender", "a hello with a bad CRC"})
    void aDamagedHelloIsDroppedAndTheReceiverTimesOutWith3(String what) throws Exception {
        byte[] bytes;
        String field;
        if (what.startsWith("not")) {
            bytes = "GET / HTTP/1.1\r\nHost: multifd\r\n\r\n".repeat(4).getBytes(StandardCharsets.US_ASCII);
            field = "field 'hello.magic'";
        } else {
            // the right magic, no codec parameters, and a CRC (0) that does not match the 40 bytes
            bytes = new byte[40 + 4];
            System.arraycopy("MFDH".getBytes(StandardCharsets.US_ASCII), 0, bytes, 0, 4);
            field = "field 'hello.crc'";
        }
        Path out = dir.resolve("out.img");
        try (Launcher.Proc recv = Launcher.start("recv", "--listen", "127.0.0.1:0", "--out", out.toString(),
                "--timeout", "3", "--json")) {
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), recv.port())) {
                OutputStream o = s.getOutputStream();
                o.write(bytes);
                o.flush();
                assertStatus(3, "recv", field, recv.await(), recv.out(), recv.err());
                assertThat(recv.err()).contains("the last connection dropped");
            }
        }
        assertThat(out).doesNotExist();
        assertThat(dir.resolve("out.img.part")).doesNotExist();
    }

    // ------------------------------------------------------------------ 6: cancelled

    @Test
    void sigtermToAWaitingRecvIs6AndLeavesNoFile() throws Exception {
        Path out = dir.resolve("out.img");
        try (Launcher.Proc recv = Launcher.start("recv", "--listen", "127.0.0.1:0", "--out", out.toString(),
                "--json", "--timeout", "60")) {
            recv.port(); // the JVM runs and listens: the launcher exec'd it, so the signal reaches it
            sigterm(recv);
            Json j = assertStatus(6, "recv", "cancelled (SIGINT or SIGTERM)", recv.await(), recv.out(), recv.err());
            assertThat(j.getString("role")).isEqualTo("recv");
        }
        assertThat(out).doesNotExist();
        assertThat(dir.resolve("out.img.part")).doesNotExist();
    }

    @Test
    void sigtermToASenderStillTryingToConnectIs6() throws Exception {
        int port = freePort();
        try (Launcher.Proc send = Launcher.start("send", "--connect", "127.0.0.1:" + port, "--image",
                image.toString(), "--connect-timeout", "60", "--json", "--verbose")) {
            assertThat(send.awaitErr("refused")).as("the sender logs its first refused attempt; stderr: %s",
                    send.err()).isTrue();
            sigterm(send);
            assertStatus(6, "send", "cancelled (SIGINT or SIGTERM)", send.await(), send.out(), send.err());
        }
    }

    @Test
    void sigintToAWaitingRecvIs6() throws Exception {
        assumeFalse(sigintIgnored(), "SIGINT is ignored in this environment (inherited by the launcher)");
        Path out = dir.resolve("out.img");
        try (Launcher.Proc recv = Launcher.start("recv", "--listen", "127.0.0.1:0", "--out", out.toString(),
                "--json", "--timeout", "60")) {
            recv.port();
            Process kill = new ProcessBuilder("kill", "-INT", Long.toString(recv.process.pid())).start();
            assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();
            assertThat(kill.exitValue()).isZero();
            assertStatus(6, "recv", "cancelled (SIGINT or SIGTERM)", recv.await(), recv.out(), recv.err());
        }
        assertThat(out).doesNotExist();
    }

    /**
     * Sends SIGTERM, as a service manager or {@code kill} does. Through the process handle:
     * {@link Process#destroy()} also closes our ends of the process's stdout and stderr, and the
     * test would not see what the command printed while it cleaned up.
     */
    private static void sigterm(Launcher.Proc proc) {
        assertThat(proc.process.toHandle().destroy()).as("SIGTERM sent").isTrue();
    }

    /**
     * Whether this JVM was started with SIGINT ignored (a background job of a non-interactive
     * shell is): a child inherits that, and a JVM keeps an ignored SIGINT ignored.
     */
    private static boolean sigintIgnored() throws Exception {
        Path status = Path.of("/proc/self/status");
        if (!Files.isReadable(status)) {
            return false;
        }
        List<String> lines = Files.readAllLines(status);
        for (String line : lines) {
            if (line.startsWith("SigIgn:")) {
                long mask = Long.parseUnsignedLong(line.substring("SigIgn:".length()).strip(), 16);
                return (mask & (1L << (2 - 1))) != 0; // SIGINT is signal 2
            }
        }
        return false;
    }
}
