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

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code recv --capture DIR} writes what each channel received, and {@code inspect} decodes it:
 * every captured stream is complete and its RAM and device-state packets are described; a
 * damaged copy stops at the bad field with exit status 5.
 */
@Timeout(120)
class InspectCliTest {

    @TempDir
    Path dir;

    @Test
    void aCapturedMigrationInspectsCompleteAndADamagedOneNamesTheField() throws Exception {
        Path image = dir.resolve("src.img");
        Path out = dir.resolve("dst.img");
        Path capture = dir.resolve("capture");
        assertThat(CommandLineTest.run("gen-image", image.toString(), "--size", "1M", "--quiet").status()).isZero();
        StringWriter rxOut = new StringWriter();
        CliMigrationTest.PipedLines rxErr = new CliMigrationTest.PipedLines();
        CompletableFuture<Integer> rx = CompletableFuture.supplyAsync(() -> MultifdCommand.execute(
                new String[] {"recv", "--listen", "127.0.0.1:0", "--out", out.toString(), "--timeout", "30",
                        "--capture", capture.toString()},
                new PrintWriter(rxOut, true), new PrintWriter(rxErr, true)));
        CommandLineTest.Run tx = CommandLineTest.run("send", "--connect", "127.0.0.1:" + rxErr.port(), "--image",
                image.toString(), "--channels", "2", "--codec", "zstd", "--device-state", "64K", "--quiet");
        assertThat(tx.status()).as(tx.err()).isZero();
        assertThat(rx.get()).as(rxErr.toString()).isZero();
        assertThat(capture.resolve("channel-0.bin")).exists();
        assertThat(capture.resolve("channel-1.bin")).exists();

        CommandLineTest.Run json = CommandLineTest.run("inspect", capture.toString(), "--json");
        assertThat(json.status()).as(json.err()).isZero();
        List<Json> lines = json.out().lines().map(Json::parse).toList();
        assertThat(lines.stream().filter(j -> "summary".equals(j.getString("event"))))
                .hasSize(2).allSatisfy(j -> assertThat(j.get("complete")).isEqualTo(true));
        assertThat(lines.stream().filter(j -> "hello".equals(j.getString("kind")))).hasSize(2)
                .allSatisfy(j -> assertThat(j.getString("codec")).isEqualTo("zstd"));
        assertThat(lines.stream().filter(j -> "packet".equals(j.getString("kind")))
                .map(j -> j.getString("payload")).distinct()).containsExactlyInAnyOrder("ram", "device-state");
        assertThat(lines.stream().filter(j -> "ram".equals(j.getString("payload"))))
                .allSatisfy(j -> assertThat(j.fields()).containsKeys("header.block", "header.offsets"));

        CommandLineTest.Run text = CommandLineTest.run("inspect", capture.resolve("channel-1.bin").toString());
        assertThat(text.status()).isZero();
        assertThat(text.out()).contains(" hello ", " EOS ", " COMMIT ", "complete");

        byte[] damaged = Files.readAllBytes(capture.resolve("channel-1.bin"));
        damaged[100] ^= 1;
        Path bad = dir.resolve("bad.bin");
        Files.write(bad, damaged);
        CommandLineTest.Run broken = CommandLineTest.run("inspect", bad.toString());
        assertThat(broken.status()).isEqualTo(ExitStatus.DAMAGED);
        assertThat(broken.out()).contains("channel 1, stream offset ", "field '", "stopped: ");
    }

    /** A named pipe among a capture directory's files would block the read forever: refused, naming it. */
    @Test
    void aFifoInACaptureDirectoryIsRefusedNotReadForever() throws Exception {
        Path capture = Files.createDirectories(dir.resolve("capture"));
        Path fifo = capture.resolve("channel-0.bin");
        Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).start();
        org.junit.jupiter.api.Assumptions.assumeTrue(mkfifo.waitFor() == 0, "mkfifo is available");
        CommandLineTest.Run r = CommandLineTest.run("inspect", capture.toString());
        assertThat(r.status()).isEqualTo(ExitStatus.USAGE);
        assertThat(r.err()).contains("'" + fifo + "' is not a regular file (a capture is one): refused");
    }
}
