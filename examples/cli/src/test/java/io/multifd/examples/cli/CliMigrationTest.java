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

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * recv and send in this JVM (the integration tests run them as processes through the launcher):
 * the JSON results of both sides agree, with live dirtying, a device state and an odd image size.
 */
@Timeout(90)
class CliMigrationTest {

    @TempDir
    Path dir;

    @Test
    void recvAndSendAgreeOnEverythingTheyReport() throws Exception {
        Path image = dir.resolve("src.img");
        Path out = dir.resolve("dst.img");
        long size = (6 << 20) + 777;
        assertThat(CommandLineTest.run("gen-image", image.toString(), "--size", Long.toString(size), "--quiet")
                .status()).isZero();
        String imageBefore = Hashing.sha256(image);

        StringWriter rxOut = new StringWriter();
        PipedLines rxErr = new PipedLines();
        CompletableFuture<Integer> rx = CompletableFuture.supplyAsync(() -> MultifdCommand.execute(
                new String[]{"recv", "--listen", "127.0.0.1:0", "--out", out.toString(), "--json", "--timeout", "30"},
                new PrintWriter(rxOut, true), new PrintWriter(rxErr, true)));
        int port = rxErr.port();
        CommandLineTest.Run tx = CommandLineTest.run("send", "--connect", "127.0.0.1:" + port, "--image",
                image.toString(), "--dirty-rate", "20000", "--device-state", "3M", "--channels", "3", "--codec",
                "lz4", "--json");
        assertThat(tx.status()).as(tx.err()).isZero();
        assertThat(rx.get()).as(rxErr.toString()).isZero();

        Json s = Json.parse(tx.out().strip());
        Json r = Json.parse(rxOut.toString().strip());
        assertThat(s.getString("status")).isEqualTo("completed");
        assertThat(r.getString("status")).isEqualTo("completed");
        assertThat(Files.size(out)).isEqualTo(size);
        assertThat(r.getString("sha256")).isEqualTo(s.getString("sha256")).isEqualTo(Hashing.sha256(out));
        assertThat(s.getString("sha256")).as("the writers changed the sender's memory")
                .isNotEqualTo(Hashing.sha256(image));
        assertThat(Hashing.sha256(image)).as("but never the image file: a private mapping, read-faulted in")
                .isEqualTo(imageBefore);
        assertThat(s.getLong("dirtied_pages")).isPositive();
        for (String field : new String[]{"ram_bytes", "raw_bytes", "wire_bytes", "normal_pages", "zero_pages",
                "round_count", "channel_count", "device_state_bytes"}) {
            assertThat(r.get(field)).as(field).isEqualTo(s.get(field));
        }
        assertThat(s.getLong("round_count")).isGreaterThanOrEqualTo(2);
        assertThat(s.getString("codec")).isEqualTo("lz4").isEqualTo(r.getString("codec"));
        assertThat(r.getString("device_state_sha256")).isEqualTo(s.getString("device_state_sha256")).hasSize(64);
        assertThat(s.getLong("device_state_bytes")).isEqualTo(3 << 20);
        assertThat(dir.resolve("dst.img.part")).doesNotExist();
        assertThat(rxErr.toString()).contains("listening on 127.0.0.1:" + port);

        // per channel and per round: both sides list the same channels and the same epochs
        for (Json j : List.of(s, r)) {
            assertThat(j.getString("event")).isEqualTo("result");
            assertThat(j.getList("channels")).extracting(c -> c.getLong("channel")).containsExactly(0L, 1L, 2L);
            assertThat(sum(j.getList("channels"), "wire_bytes")).isEqualTo(j.getLong("wire_bytes"));
            assertThat(sum(j.getList("channels"), "raw_bytes")).isEqualTo(j.getLong("raw_bytes"));
            assertThat(sum(j.getList("rounds"), "raw_bytes")).isEqualTo(j.getLong("raw_bytes"));
            assertThat(j.getList("rounds")).as("the RAM rounds, then finish()'s epoch")
                    .hasSize((int) s.getLong("round_count") + 1);
        }
        assertThat(r.getList("rounds")).extracting(e -> e.getLong("raw_bytes"))
                .isEqualTo(s.getList("rounds").stream().map(e -> e.getLong("raw_bytes")).toList());
        assertThat(r.getList("channels")).extracting(c -> c.getLong("packets"))
                .isEqualTo(s.getList("channels").stream().map(c -> c.getLong("packets")).toList());
    }

    @Test
    void postcopyWithReadersReportsDowntimeRequestsAndLatencyOnBothSides() throws Exception {
        Path image = dir.resolve("src.img");
        Path out = dir.resolve("dst.img");
        long size = 8 << 20;
        assertThat(CommandLineTest.run("gen-image", image.toString(), "--size", Long.toString(size), "--quiet")
                .status()).isZero();
        StringWriter rxOut = new StringWriter();
        PipedLines rxErr = new PipedLines();
        java.util.concurrent.FutureTask<Integer> rx = new java.util.concurrent.FutureTask<>(() -> MultifdCommand.execute(
                new String[]{"recv", "--listen", "127.0.0.1:0", "--out", out.toString(), "--json", "--timeout", "30",
                        "--postcopy-readers", "2", "--postcopy-read-rate", "5000"},
                new PrintWriter(rxOut, true), new PrintWriter(rxErr, true)));
        Thread rxThread = new Thread(rx, "recv");
        rxThread.start();
        int port = rxErr.port();
        CommandLineTest.Run tx = CommandLineTest.run("send", "--connect", "127.0.0.1:" + port, "--image",
                image.toString(), "--dirty-rate", "200000", "--postcopy", "--postcopy-after-rounds", "0",
                "--device-state", "1M", "--channels", "2", "--json");
        assertThat(tx.status()).as(tx.err()).isZero();
        assertThat(rx.get()).as(rxErr.toString()).isZero();
        rxThread.join(10_000);
        Json s = Json.parse(tx.out().strip());
        Json r = Json.parse(rxOut.toString().strip());
        assertThat(s.getString("status")).isEqualTo("completed");
        assertThat(r.getString("status")).isEqualTo("completed");
        assertThat(r.getString("sha256")).isEqualTo(s.getString("sha256")).isEqualTo(Hashing.sha256(out));
        assertThat(s.get("postcopy")).isEqualTo(Boolean.TRUE);
        assertThat(r.get("postcopy")).isEqualTo(Boolean.TRUE);
        assertThat(s.getDouble("downtime_ms")).isPositive();
        assertThat(s.getLong("postcopy_missing_pages")).isPositive();
        // the sender counts the requests that reached it while it still had pages to send; later ones are moot
        assertThat(s.getLong("postcopy_requests")).isLessThanOrEqualTo(r.getLong("postcopy_requests"));
        assertThat(r.getLong("postcopy_reads")).as("the readers ran after the release").isPositive();
        Json latency = r.getObject("request_latency_ms");
        assertThat(latency).isNotNull();
        assertThat(latency.getDouble("p50")).isLessThanOrEqualTo(latency.getDouble("p99"));
        assertThat(latency.getDouble("p99")).isLessThanOrEqualTo(latency.getDouble("max"));
        assertThat(r.getString("device_state_sha256")).isEqualTo(s.getString("device_state_sha256"));
    }

    @Test
    void postcopyOptionsOutOfRangeAreUsageErrors() {
        assertThat(CommandLineTest.run("send", "--connect", "127.0.0.1:1", "--image", "x", "--postcopy",
                "--postcopy-after-rounds", "-1").err()).contains("--postcopy-after-rounds must be 0 to 1000: -1");
        assertThat(CommandLineTest.run("recv", "--listen", "127.0.0.1:0", "--out", dir.resolve("o").toString(),
                "--postcopy-readers", "-1").err()).contains("--postcopy-readers must be 0 to 256: -1");
    }

    private static long sum(List<Json> objects, String field) {
        return objects.stream().mapToLong(o -> o.getLong(field)).sum();
    }

    /**
     * {@code --stats-interval} on a rate-capped migration: a JSON line per interval on both sides
     * while it runs, whose channels add up to its totals, and the result as the last line. (The
     * same with a 512 MiB image, a 128 MiB/s cap and an interval of 1 s prints four lines; this
     * image is smaller and the interval shorter so that the test stays quick.)
     */
    @Test
    void statsIntervalPrintsLinesWhoseChannelsAddUpToTheTotal() throws Exception {
        Path image = dir.resolve("src.img");
        Path out = dir.resolve("dst.img");
        assertThat(CommandLineTest.run("gen-image", image.toString(), "--size", "6M", "--quiet").status()).isZero();

        StringWriter rxOut = new StringWriter();
        PipedLines rxErr = new PipedLines();
        CompletableFuture<Integer> rx = CompletableFuture.supplyAsync(() -> MultifdCommand.execute(
                new String[]{"recv", "--listen", "127.0.0.1:0", "--out", out.toString(), "--json", "--timeout", "30",
                        "--stats-interval", "0.25"},
                new PrintWriter(rxOut, true), new PrintWriter(rxErr, true)));
        int port = rxErr.port();
        // at 2 MiB/s the image's non-zero pages take about two seconds: some eight intervals
        CommandLineTest.Run tx = CommandLineTest.run("send", "--connect", "127.0.0.1:" + port, "--image",
                image.toString(), "--channels", "3", "--max-bandwidth", "2M", "--stats-interval", "0.25", "--json");
        assertThat(tx.status()).as(tx.err()).isZero();
        assertThat(rx.get()).as(rxErr.toString()).isZero();

        for (String text : List.of(tx.out(), rxOut.toString())) {
            List<String> lines = text.strip().lines().toList();
            Json result = Json.parse(lines.get(lines.size() - 1));
            assertThat(result.getString("event")).isEqualTo("result");
            assertThat(result.getString("status")).isEqualTo("completed");
            List<Json> stats = lines.subList(0, lines.size() - 1).stream().map(Json::parse).toList();
            assertThat(stats).as(text).hasSizeGreaterThanOrEqualTo(3);
            long previous = 0;
            for (Json line : stats) {
                assertThat(line.getString("event")).isEqualTo("stats");
                assertThat(line.getString("role")).isEqualTo(result.getString("role"));
                assertThat(line.getList("channels")).hasSize(3);
                assertThat(sum(line.getList("channels"), "wire_bytes")).as(line.toString())
                        .isEqualTo(line.getLong("wire_bytes"));
                assertThat(sum(line.getList("channels"), "packets")).isEqualTo(line.getLong("packets"));
                assertThat(line.getLong("wire_bytes")).isGreaterThanOrEqualTo(previous)
                        .isLessThanOrEqualTo(result.getLong("wire_bytes"));
                previous = line.getLong("wire_bytes");
            }
            assertThat(previous).as("the transfer was under way during the lines").isPositive();
            if (result.getString("role").equals("send")) {
                assertThat(stats).allSatisfy(l -> assertThat(l.getLong("max_bandwidth")).isEqualTo(2L << 20));
                assertThat(result.getDouble("prepare_seconds")).as("mapping and reading the image ahead")
                        .isGreaterThanOrEqualTo(0.0).isLessThan(result.getDouble("seconds"));
            } else {
                assertThat(result.get("prepare_seconds")).as("the receiver has no image to prepare").isNull();
            }
        }
        assertThat(Hashing.sha256(out)).isEqualTo(Hashing.sha256(image));
    }

    @Test
    void statsIntervalOutOfRangeIsAUsageError() {
        CommandLineTest.Run r = CommandLineTest.run("send", "--connect", "127.0.0.1:9", "--image",
                dir.resolve("none.img").toString(), "--stats-interval", "0");
        assertThat(r.status()).isEqualTo(MultifdCommand.EXIT_USAGE);
        assertThat(r.err()).contains("--stats-interval must be 0.1 to 86400 seconds: 0.0");
    }

    @Test
    void overAUnixSocketWithoutVerifyingWithEveryChecksumAndAnAllowedCodec() throws Exception {
        Path image = dir.resolve("src.img");
        Path out = dir.resolve("dst.img");
        Path socket = dir.resolve("multifd.sock");
        long size = (3 << 20) + 5;
        assertThat(CommandLineTest.run("gen-image", image.toString(), "--size", Long.toString(size), "--quiet")
                .status()).isZero();

        StringWriter rxOut = new StringWriter();
        StringWriter rxErr = new StringWriter();
        CompletableFuture<Integer> rx = CompletableFuture.supplyAsync(() -> MultifdCommand.execute(
                new String[]{"recv", "--unix", socket.toString(), "--out", out.toString(), "--json", "--timeout", "30",
                        "--no-verify", "--allow-codecs", "none,zstd", "--io-timeout", "20",
                        "--unix-allow-user", System.getProperty("user.name")},
                new PrintWriter(rxOut, true), new PrintWriter(rxErr, true)));
        // the sender retries while the socket file does not exist yet
        CommandLineTest.Run tx = CommandLineTest.run("send", "--unix", socket.toString(), "--image", image.toString(),
                "--codec", "zstd", "--checksum", "all", "--io-timeout", "20", "--connect-timeout", "30", "--json");
        assertThat(tx.status()).as(tx.err()).isZero();
        assertThat(rx.get()).as(rxErr.toString()).isZero();

        Json s = Json.parse(tx.out().strip());
        Json r = Json.parse(rxOut.toString().strip());
        assertThat(s.getString("status")).isEqualTo("completed");
        assertThat(s.getLong("exit_code")).isZero();
        assertThat(r.getString("status")).isEqualTo("completed");
        assertThat(r.getLong("exit_code")).isZero();
        assertThat(r.fields()).as("--no-verify: the file was not read back").doesNotContainKey("sha256");
        assertThat(r.getString("listen")).isEqualTo("unix:" + socket);
        assertThat(s.getString("sha256")).isEqualTo(Hashing.sha256(image)).isEqualTo(Hashing.sha256(out));
        assertThat(r.getString("codec")).isEqualTo("zstd");
        assertThat(r.get("wire_bytes")).isEqualTo(s.get("wire_bytes"));
        assertThat(socket).as("the listener removed its socket file").doesNotExist();
        assertThat(rxErr.toString()).contains("listening on unix:" + socket);
    }

    @Test
    void aUnixPeerOfAnotherUserIsClosedAndTheReceiverTimesOutNamingIt() throws Exception {
        Path image = dir.resolve("src.img");
        Path socket = dir.resolve("multifd.sock");
        assertThat(CommandLineTest.run("gen-image", image.toString(), "--size", "65536", "--quiet").status()).isZero();
        StringWriter rxOut = new StringWriter();
        StringWriter rxErr = new StringWriter();
        CompletableFuture<Integer> rx = CompletableFuture.supplyAsync(() -> MultifdCommand.execute(
                new String[]{"recv", "--unix", socket.toString(), "--out", dir.resolve("dst.img").toString(), "--json",
                        "--timeout", "3", "--unix-allow-user", "no-such-user-here"},
                new PrintWriter(rxOut, true), new PrintWriter(rxErr, true)));
        CommandLineTest.Run tx = CommandLineTest.run("send", "--unix", socket.toString(), "--image", image.toString(),
                "--connect-timeout", "10", "--json");
        assertThat(tx.status()).as(tx.err()).isNotZero();
        assertThat(rx.get()).as(rxErr.toString()).isEqualTo(ExitStatus.CONNECTION);
        assertThat(rxErr.toString()).contains("the last connection dropped: unix ")
                .contains("peer user '" + System.getProperty("user.name")
                        + "' is not among the allowed users [no-such-user-here]");
        assertThat(dir.resolve("dst.img")).doesNotExist();
    }

    @Test
    void aCancelledReceiverExits6AndLeavesNoFile() throws Exception {
        Path out = dir.resolve("dst.img");
        StringWriter rxOut = new StringWriter();
        PipedLines rxErr = new PipedLines();
        Cancellation cancellation = new Cancellation();
        CompletableFuture<Integer> rx = CompletableFuture.supplyAsync(() -> MultifdCommand.execute(
                new String[]{"recv", "--listen", "127.0.0.1:0", "--out", out.toString(), "--json", "--timeout", "60"},
                new PrintWriter(rxOut, true), new PrintWriter(rxErr, true), cancellation));
        rxErr.port(); // listening, waiting for a sender that never comes
        assertThat(rx).isNotDone();
        cancellation.cancel("test");
        assertThat(rx.get()).as(rxErr.toString()).isEqualTo(ExitStatus.CANCELLED);
        Json r = Json.parse(rxOut.toString().strip());
        assertThat(r.getString("status")).isEqualTo("cancelled");
        assertThat(r.getLong("exit_code")).isEqualTo(ExitStatus.CANCELLED);
        assertThat(rxErr.toString()).contains("multifd recv: cancelled (test)");
        assertThat(out).doesNotExist();
        assertThat(dir.resolve("dst.img.part")).doesNotExist();
    }

    /**
     * The image file truncated by another process while send reads it: the sender says so (exit
     * 1, not a lost connection), its JSON has no RAM rate, and the receiver fails without a file.
     */
    @Test
    void anImageTruncatedDuringTheSendIsNamed() throws Exception {
        Path image = dir.resolve("src.img");
        Path out = dir.resolve("dst.img");
        assertThat(CommandLineTest.run("gen-image", image.toString(), "--size", "32M", "--random", "100", "--quiet")
                .status()).isZero();
        PipedLines rxErr = new PipedLines();
        CompletableFuture<Integer> rx = CompletableFuture.supplyAsync(() -> MultifdCommand.execute(
                new String[]{"recv", "--listen", "127.0.0.1:0", "--out", out.toString(), "--timeout", "30"},
                new PrintWriter(new StringWriter(), true), new PrintWriter(rxErr, true)));
        int port = rxErr.port();
        StringWriter txOut = new StringWriter();
        PipedLines txErr = new PipedLines("connected to");
        // a thread of its own: the common pool may have one thread on 2 CPUs, and the receiver holds it
        CompletableFuture<Integer> tx = CompletableFuture.supplyAsync(() -> MultifdCommand.execute(
                new String[]{"send", "--connect", "127.0.0.1:" + port, "--image", image.toString(), "--json",
                        "--max-bandwidth", "4M"},
                new PrintWriter(txOut, true), new PrintWriter(txErr, true)), r -> new Thread(r, "send").start());
        txErr.port(); // connected: the image is mapped, and at 4 MiB/s its 32 MiB take 8 s
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(image,
                java.nio.file.StandardOpenOption.WRITE)) {
            ch.truncate(1 << 20);
        }
        assertThat(tx.get(60, java.util.concurrent.TimeUnit.SECONDS)).as(txErr.toString()).isEqualTo(ExitStatus.FAILED);
        assertThat(txErr.toString()).contains("the image '" + image + "' shrank from 32.0 MiB to 1.00 MiB while it was "
                + "being read (truncated by another process?)");
        Json j = Json.parse(txOut.toString().strip());
        assertThat(j.getString("status")).isEqualTo("failed");
        assertThat(j.getString("error")).contains("shrank from 32.0 MiB to 1.00 MiB");
        assertThat(j.fields()).containsEntry("ram_gib_per_s", null);
        assertThat(rx.get(60, java.util.concurrent.TimeUnit.SECONDS)).isNotZero();
        assertThat(out).doesNotExist();
    }

    /** A stderr that tells the port the receiver printed. */
    static final class PipedLines extends StringWriter {
        private static final Pattern LISTENING = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)");
        private final CompletableFuture<Integer> port = new CompletableFuture<>();
        private final String line; // or, instead of the port, a text whose appearance completes port() with 0

        PipedLines() {
            this(null);
        }

        PipedLines(String line) {
            this.line = line;
        }

        @Override
        public synchronized void flush() {
            if (line != null) {
                if (getBuffer().indexOf(line) >= 0) {
                    port.complete(0);
                }
                return;
            }
            Matcher m = LISTENING.matcher(getBuffer());
            if (m.find()) {
                port.complete(Integer.parseInt(m.group(1)));
            }
        }

        int port() throws Exception {
            try {
                return port.get(20, java.util.concurrent.TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                throw new AssertionError("waited 20 s for " + (line == null ? "the listening line" : "'" + line + "'")
                        + "; the command printed: " + this, e);
            }
        }
    }
}
