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
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code recv --out}: a symbolic link at FILE or FILE.part and an existing FILE without
 * {@code --force} are refused before anything listens, leaving what is there untouched; the file
 * written is mode 0600; {@code --force} replaces FILE; {@code --fsync} completes.
 */
@Timeout(90)
class OutputFileSafetyTest {

    @TempDir
    Path dir;

    private static final byte[] PRECIOUS = "precious, not guest memory".getBytes(StandardCharsets.UTF_8);

    @Test
    void aSymbolicLinkAtOutIsRefusedAndItsTargetUntouched() throws Exception {
        Path victim = dir.resolve("victim");
        Files.write(victim, PRECIOUS);
        Path out = Files.createSymbolicLink(dir.resolve("dst.img"), victim);
        for (String[] extra : new String[][]{{}, {"--force"}}) {
            CommandLineTest.Run r = recv(out, extra);
            assertThat(r.status()).as(r.err()).isEqualTo(ExitStatus.USAGE);
            assertThat(r.err()).contains("is a symbolic link: refused").doesNotContain("listening on");
            assertThat(Files.readAllBytes(victim)).isEqualTo(PRECIOUS);
            assertThat(Files.isSymbolicLink(out)).isTrue();
            assertThat(dir.resolve("dst.img.part")).doesNotExist();
        }
    }

    @Test
    void aSymbolicLinkAtThePartFileIsRefusedAndItsTargetUntouched() throws Exception {
        Path victim = dir.resolve("victim");
        Files.write(victim, PRECIOUS);
        Path part = Files.createSymbolicLink(dir.resolve("dst.img.part"), victim);
        CommandLineTest.Run r = recv(dir.resolve("dst.img"), "--force");
        assertThat(r.status()).as(r.err()).isEqualTo(ExitStatus.USAGE);
        assertThat(r.err()).contains("dst.img.part' is a symbolic link: refused");
        assertThat(Files.readAllBytes(victim)).isEqualTo(PRECIOUS);
        assertThat(Files.isSymbolicLink(part)).isTrue();
        assertThat(dir.resolve("dst.img")).doesNotExist();
    }

    @Test
    void anExistingOutIsRefusedWithoutForce() throws Exception {
        Path out = dir.resolve("dst.img");
        Files.write(out, PRECIOUS);
        CommandLineTest.Run r = recv(out);
        assertThat(r.status()).as(r.err()).isEqualTo(ExitStatus.USAGE);
        assertThat(r.err()).contains("exists: refused (add --force to replace it)");
        assertThat(Files.readAllBytes(out)).isEqualTo(PRECIOUS);
        assertThat(dir.resolve("dst.img.part")).doesNotExist();
    }

    @Test
    void aLeftoverPartFileIsRefusedWithoutForce() throws Exception {
        Path part = dir.resolve("dst.img.part");
        Files.write(part, PRECIOUS);
        CommandLineTest.Run r = recv(dir.resolve("dst.img"));
        assertThat(r.status()).as(r.err()).isEqualTo(ExitStatus.USAGE);
        assertThat(r.err()).contains("dst.img.part' exists");
        assertThat(Files.readAllBytes(part)).isEqualTo(PRECIOUS);
    }

    @Test
    void forceReplacesAnExistingOutWithAFileOfMode0600AndFsyncCompletes() throws Exception {
        Path image = dir.resolve("src.img");
        long size = (2 << 20) + 4099;
        assertThat(CommandLineTest.run("gen-image", image.toString(), "--size", Long.toString(size), "--quiet")
                .status()).isZero();
        Path out = dir.resolve("dst.img");
        Files.write(out, PRECIOUS);
        Files.setPosixFilePermissions(out, EnumSet.of(PosixFilePermission.OWNER_READ,
                PosixFilePermission.OWNER_WRITE, PosixFilePermission.GROUP_READ, PosixFilePermission.OTHERS_READ));

        StringWriter rxOut = new StringWriter();
        CliMigrationTest.PipedLines rxErr = new CliMigrationTest.PipedLines();
        CompletableFuture<Integer> rx = CompletableFuture.supplyAsync(() -> MultifdCommand.execute(
                new String[]{"recv", "--listen", "127.0.0.1:0", "--out", out.toString(), "--force", "--fsync",
                        "--json", "--timeout", "30"},
                new PrintWriter(rxOut, true), new PrintWriter(rxErr, true)));
        int port = rxErr.port();
        Path part = dir.resolve("dst.img.part");
        assertThat(part).as("created before listening").exists();
        assertThat(Files.getPosixFilePermissions(part, LinkOption.NOFOLLOW_LINKS))
                .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
        CommandLineTest.Run tx = CommandLineTest.run("send", "--connect", "127.0.0.1:" + port, "--image",
                image.toString(), "--channels", "2", "--json");
        assertThat(tx.status()).as(tx.err()).isZero();
        assertThat(rx.get()).as(rxErr.toString()).isZero();

        assertThat(Hashing.sha256(out)).isEqualTo(Hashing.sha256(image));
        assertThat(Files.getPosixFilePermissions(out, LinkOption.NOFOLLOW_LINKS))
                .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
        assertThat(part).doesNotExist();
        assertThat(Json.parse(rxOut.toString().strip()).getString("status")).isEqualTo("completed");
    }

    private CommandLineTest.Run recv(Path out, String... extra) {
        String[] args = {"recv", "--listen", "127.0.0.1:0", "--out", out.toString(), "--timeout", "5"};
        String[] all = java.util.Arrays.copyOf(args, args.length + extra.length);
        System.arraycopy(extra, 0, all, args.length, extra.length);
        return CommandLineTest.run(all);
    }
}
