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

import io.multifd.api.HandshakeRefusedException;
import io.multifd.api.MigrationFailedException;
import io.multifd.api.MultiFdConfig;
import io.multifd.api.ProtocolCode;
import io.multifd.core.MultiFdSender;
import io.multifd.core.PluginRegistry;
import io.multifd.core.transport.TcpTransport;
import io.multifd.ram.RamBlock;
import io.multifd.ram.RamSaver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * recv takes only what it expects: another size than --expect-size is refused on both sides with
 * exit status 4, the right one completes, and a sender without RAM is refused.
 */
@Timeout(90)
class RecvExpectationsTest {

    @TempDir
    Path dir;

    private record Both(int recv, String recvOut, String recvErr, CommandLineTest.Run send) {
    }

    private Both migrate(Path image, Path out, String expectSize) throws Exception {
        return migrate(image, out, expectSize, false);
    }

    private Both migrate(Path image, Path out, String expectSize, boolean preallocate) throws Exception {
        Receiver rx = preallocate ? recv(out, "--expect-size", expectSize, "--preallocate")
                : recv(out, "--expect-size", expectSize);
        if (preallocate) {
            // "listening" is printed once the file is allocated: FILE.part already has the expected size
            assertThat(Files.size(out.resolveSibling(out.getFileName() + ".part")))
                    .isEqualTo(new Converters.Size().convert(expectSize));
        }
        CommandLineTest.Run tx = CommandLineTest.run("send", "--connect", "127.0.0.1:" + rx.port(), "--image",
                image.toString(), "--channels", "2", "--json");
        return new Both(rx.status().get(), rx.out().toString(), rx.err().toString(), tx);
    }

    /** A `recv` running in this JVM on a loopback port, for a library sender. */
    private record Receiver(CompletableFuture<Integer> status, StringWriter out, CliMigrationTest.PipedLines err,
                            int port) {
    }

    private static Receiver recv(Path out, String... more) throws Exception {
        List<String> args = new ArrayList<>(List.of("recv", "--listen", "127.0.0.1:0", "--out", out.toString(),
                "--json", "--timeout", "30"));
        args.addAll(List.of(more));
        StringWriter rxOut = new StringWriter();
        CliMigrationTest.PipedLines rxErr = new CliMigrationTest.PipedLines();
        CompletableFuture<Integer> rx = CompletableFuture.supplyAsync(() -> MultifdCommand.execute(
                args.toArray(String[]::new), new PrintWriter(rxOut, true), new PrintWriter(rxErr, true)));
        return new Receiver(rx, rxOut, rxErr, rxErr.port());
    }

    private Path image(long size) {
        Path image = dir.resolve("src.img");
        assertThat(CommandLineTest.run("gen-image", image.toString(), "--size", Long.toString(size), "--quiet")
                .status()).isZero();
        return image;
    }

    @Test
    void anotherSizeIsRefusedOnBothSidesWithStatus4() throws Exception {
        long size = (2 << 20) + 4096;
        Path out = dir.resolve("dst.img");
        Both b = migrate(image(size), out, "2M");
        String reason = "this receiver expects blocks of " + (2 << 20) + " bytes in total, the sender announced 1 "
                + "block(s) of " + size + " bytes";
        assertThat(b.recv()).as(b.recvErr()).isEqualTo(ExitStatus.REFUSED);
        assertThat(b.recvErr()).contains(reason);
        assertThat(Json.parse(b.recvOut().strip()).getLong("exit_code")).isEqualTo(ExitStatus.REFUSED);
        assertThat(b.send().status()).as(b.send().err()).isEqualTo(ExitStatus.REFUSED);
        assertThat(b.send().err()).contains(reason);
        assertThat(out).as("nothing written").doesNotExist();
    }

    @Test
    void theExpectedSizeCompletes() throws Exception {
        long size = (2 << 20) + 777;
        Path image = image(size);
        Path out = dir.resolve("dst.img");
        Both b = migrate(image, out, Long.toString(size));
        assertThat(b.send().status()).as(b.send().err()).isZero();
        assertThat(b.recv()).as(b.recvErr()).isZero();
        assertThat(Hashing.sha256(out)).isEqualTo(Hashing.sha256(image));
        assertThat(Files.size(out)).isEqualTo(size);
    }

    @Test
    void aPreallocatedFileReceivesTheImage() throws Exception {
        long size = (3 << 20) + 777; // a last partial page; gen-image's mix includes zero pages
        Path image = image(size);
        Path out = dir.resolve("dst.img");
        Both b = migrate(image, out, Long.toString(size), true);
        assertThat(b.send().status()).as(b.send().err()).isZero();
        assertThat(b.recv()).as(b.recvErr()).isZero();
        assertThat(Hashing.sha256(out)).isEqualTo(Hashing.sha256(image));
        assertThat(Files.size(out)).isEqualTo(size);
        assertThat(out.resolveSibling("dst.img.part")).doesNotExist();
    }

    @Test
    void aPreallocatedFileReceivesTwoBlocksOfALibrarySenderInTheirOwnMappings() throws Exception {
        // --expect-size counts the blocks together; two blocks cannot take over the one prefaulted
        // mapping of the whole file, so each maps its own region of the preallocated file
        Path out = dir.resolve("dst.img");
        Receiver rx = recv(out, "--expect-size", "3M", "--preallocate");
        RamBlock first = RamBlock.allocate("a", 1 << 20);
        RamBlock second = RamBlock.allocate("b", 2 << 20);
        byte[] expected = new byte[3 << 20];
        java.util.Random random = new java.util.Random(11);
        for (int page = 0; page < expected.length / 4096; page += 3) { // every third page data, the rest zero
            byte[] data = new byte[4096];
            random.nextBytes(data);
            System.arraycopy(data, 0, expected, page * 4096, data.length);
        }
        first.put(0, expected, 0, 1 << 20);
        second.put(0, expected, 1 << 20, 2 << 20);
        MultiFdConfig config = MultiFdConfig.builder().channels(2).build();
        try (MultiFdSender sender = MultiFdSender.builder(config,
                TcpTransport.connector(new InetSocketAddress("127.0.0.1", rx.port()))).build()) {
            RamSaver ram = RamSaver.open(sender, List.of(first, second));
            sender.connect();
            ram.saveAll();
            sender.finish();
        }
        assertThat(rx.status().get()).as(rx.err().toString()).isZero();
        assertThat(Files.readAllBytes(out)).as("both blocks, one after the other").isEqualTo(expected);
        assertThat(out.resolveSibling("dst.img.part")).doesNotExist();
    }

    @Test
    void aPreallocatedFileIsRemovedWhenAnotherSizeIsRefused() throws Exception {
        Path out = dir.resolve("dst.img");
        Both b = migrate(image((2 << 20) + 4096), out, "2M", true);
        assertThat(b.recv()).as(b.recvErr()).isEqualTo(ExitStatus.REFUSED);
        assertThat(b.send().status()).as(b.send().err()).isEqualTo(ExitStatus.REFUSED);
        assertThat(out).doesNotExist();
        assertThat(out.resolveSibling("dst.img.part")).as("the preallocated part file is removed").doesNotExist();
    }

    @Test
    void preallocateWithoutAnExpectedSizeIsAUsageError() {
        CommandLineTest.Run r = CommandLineTest.run("recv", "--listen", "127.0.0.1:0", "--out",
                dir.resolve("o").toString(), "--preallocate");
        assertThat(r.status()).isEqualTo(ExitStatus.USAGE);
        assertThat(r.err()).contains("--preallocate needs --expect-size");
        assertThat(dir.resolve("o.part")).doesNotExist();
    }

    @Test
    void aSenderWithoutRamIsRefusedAndLeavesNoFile() throws Exception {
        Path out = dir.resolve("dst.img");
        Receiver rx = recv(out);
        // a library sender that declares no payload at all: its manifest is empty
        MultiFdConfig config = MultiFdConfig.builder().channels(1).build();
        try (MultiFdSender sender = MultiFdSender.builder(config,
                TcpTransport.connector(new InetSocketAddress("127.0.0.1", rx.port())))
                .registry(PluginRegistry.builder().build()).build()) {
            assertThatThrownBy(sender::connect).isInstanceOf(MigrationFailedException.class)
                    .cause().isInstanceOfSatisfying(HandshakeRefusedException.class, e -> {
                        assertThat(e.code()).isEqualTo(ProtocolCode.SETUP_REFUSED);
                        assertThat(e.getMessage()).contains("payload 'ram' (id 1) is required by this receiver");
                    });
        }
        assertThat(rx.status().get()).as(rx.err().toString()).isEqualTo(ExitStatus.REFUSED);
        assertThat(rx.err().toString()).contains("payload 'ram' (id 1) is required by this receiver");
        assertThat(out).as("no empty output left").doesNotExist();
    }

    @Test
    void anExpectedSizeOverTheMaximumIsAUsageError() {
        CommandLineTest.Run r = CommandLineTest.run("recv", "--listen", "127.0.0.1:0", "--out",
                dir.resolve("o").toString(), "--max-size", "1M", "--expect-size", "2M");
        assertThat(r.status()).isEqualTo(ExitStatus.USAGE);
        assertThat(r.err()).contains("--expect-size must be 1 byte to --max-size (1048576 bytes): 2097152");
    }
}
