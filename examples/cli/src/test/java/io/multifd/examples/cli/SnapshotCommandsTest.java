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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code multifd save} and {@code multifd restore} in this JVM: results, exit statuses, output safety. */
@Timeout(120)
class SnapshotCommandsTest {

    @TempDir
    Path dir;

    private Path image(long size) {
        Path image = dir.resolve("src.img");
        assertThat(CommandLineTest.run("gen-image", image.toString(), "--size", Long.toString(size), "--seed", "5",
                "--quiet").status()).isZero();
        return image;
    }

    /** Saves the image to {@code dir/snap} with the command line, quietly. */
    private Path saved(Path image) {
        Path snap = dir.resolve("snap");
        CommandLineTest.Run r = CommandLineTest.run("save", "--image", image.toString(), "--to", snap.toString(), "--quiet");
        assertThat(r.status()).as(r.err()).isZero();
        return snap;
    }

    @ParameterizedTest(name = "{0} channels")
    @ValueSource(ints = {1, 2, 4})
    void saveAndRestoreAreByteExact(int channels) throws Exception {
        long size = (5 << 20) + 777; // a partial last page
        Path image = image(size);
        Path snap = dir.resolve("snap");
        Path out = dir.resolve("out.img");
        CommandLineTest.Run save = CommandLineTest.run("save", "--image", image.toString(), "--to", snap.toString(),
                "--channels", Integer.toString(channels), "--json");
        assertThat(save.status()).as(save.err()).isZero();
        Json s = Json.parse(save.out().strip());
        assertThat(s.getString("status")).isEqualTo("completed");
        assertThat(s.getString("sha256")).isEqualTo(Hashing.sha256(image));
        assertThat(s.getLong("ram_bytes")).isEqualTo(size);
        assertThat(s.getLong("file_bytes")).as("zero pages are holes").isLessThan(size);
        assertThat(s.getLong("file_apparent_bytes")).isEqualTo(Files.size(snap));
        assertThat(s.getDouble("seconds")).isPositive();
        assertThat(s.getDouble("save_seconds")).isPositive().isLessThanOrEqualTo(s.getDouble("seconds"));

        CommandLineTest.Run restore = CommandLineTest.run("restore", "--from", snap.toString(), "--out", out.toString(),
                "--channels", Integer.toString(channels), "--json");
        assertThat(restore.status()).as(restore.err()).isZero();
        Json r = Json.parse(restore.out().strip());
        assertThat(r.getString("status")).isEqualTo("completed");
        assertThat(r.getString("sha256")).isEqualTo(s.getString("sha256")).isEqualTo(Hashing.sha256(out));
        assertThat(r.getLong("ram_bytes")).isEqualTo(size);
        assertThat(r.getLong("normal_pages")).isEqualTo(s.getLong("normal_pages"));
        assertThat(r.getString("block")).isEqualTo(SendCommand.BLOCK_NAME);
        assertThat(dir.resolve("out.img.part")).doesNotExist();
    }

    @Test
    void liveSaveRestoresTheFinalMemory() throws Exception {
        Path image = image(6 << 20);
        Path snap = dir.resolve("snap");
        Path out = dir.resolve("out.img");
        CommandLineTest.Run save = CommandLineTest.run("save", "--image", image.toString(), "--to", snap.toString(),
                "--channels", "3", "--dirty-rate", "20000", "--json");
        assertThat(save.status()).as(save.err()).isZero();
        Json s = Json.parse(save.out().strip());
        assertThat(s.getLong("round_count")).isGreaterThanOrEqualTo(2);
        assertThat(s.getString("sha256")).as("the writers changed the memory").isNotEqualTo(Hashing.sha256(image));
        CommandLineTest.Run restore = CommandLineTest.run("restore", "--from", snap.toString(), "--out", out.toString(),
                "--json");
        assertThat(restore.status()).as(restore.err()).isZero();
        assertThat(Hashing.sha256(out)).isEqualTo(s.getString("sha256"));
    }

    @Test
    void damagedSnapshotExitsFiveAndLeavesNoOutput() throws Exception {
        Path image = image(2 << 20);
        Path snap = saved(image);
        try (FileChannel ch = FileChannel.open(snap, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[]{0x55}), 20); // inside the header
        }
        Path out = dir.resolve("out.img");
        CommandLineTest.Run restore = CommandLineTest.run("restore", "--from", snap.toString(), "--out", out.toString(),
                "--json");
        assertThat(restore.status()).isEqualTo(ExitStatus.DAMAGED);
        assertThat(restore.err()).contains("checksum mismatch");
        Json r = Json.parse(restore.out().strip());
        assertThat(r.getString("status")).isEqualTo("failed");
        assertThat(r.getLong("exit_code")).isEqualTo(ExitStatus.DAMAGED);
        assertThat(out).doesNotExist();
        assertThat(dir.resolve("out.img.part")).doesNotExist();
    }

    @Test
    void existingFilesAndUnknownBlocksAreUsageErrors() throws Exception {
        Path image = image(1 << 20);
        Path snap = saved(image);
        CommandLineTest.Run again = CommandLineTest.run("save", "--image", image.toString(), "--to", snap.toString());
        assertThat(again.status()).isEqualTo(ExitStatus.USAGE);
        assertThat(again.err()).contains("exists: refused (add --force");
        assertThat(CommandLineTest.run("save", "--image", image.toString(), "--to", snap.toString(), "--force",
                "--quiet").status()).isZero();

        Path out = dir.resolve("out.img");
        Files.writeString(out, "keep me");
        CommandLineTest.Run exists = CommandLineTest.run("restore", "--from", snap.toString(), "--out", out.toString());
        assertThat(exists.status()).isEqualTo(ExitStatus.USAGE);
        assertThat(Files.readString(out)).isEqualTo("keep me");
        CommandLineTest.Run block = CommandLineTest.run("restore", "--from", snap.toString(), "--out",
                dir.resolve("other").toString(), "--block", "pc.ram");
        assertThat(block.status()).isEqualTo(ExitStatus.USAGE);
        assertThat(block.err()).contains("no such block").contains("[image]");
        assertThat(dir.resolve("other")).doesNotExist();
        assertThat(dir.resolve("other.part")).doesNotExist();
    }

    @Test
    void aSaveOntoItsOwnImageIsRefusedAndTheImageKept() throws Exception {
        Path image = image(1 << 20);
        String before = Hashing.sha256(image);
        CommandLineTest.Run r = CommandLineTest.run("save", "--image", image.toString(), "--to", image.toString(),
                "--force");
        assertThat(r.status()).isEqualTo(ExitStatus.USAGE);
        assertThat(r.err()).contains("is --image '" + image + "' itself: refused");
        assertThat(Hashing.sha256(image)).isEqualTo(before);
        // nor may SNAPSHOT.part be the image: --force would remove it as a leftover
        Path part = Files.move(image, dir.resolve("vm.snap.part"));
        r = CommandLineTest.run("save", "--image", part.toString(), "--to", dir.resolve("vm.snap").toString(), "--force");
        assertThat(r.status()).isEqualTo(ExitStatus.USAGE);
        assertThat(r.err()).contains("(its vm.snap.part) is --image");
        assertThat(Hashing.sha256(part)).isEqualTo(before);
    }

    /** A restore whose --out, or --out's .part, is the snapshot it reads is refused: it would destroy it. */
    @Test
    void aRestoreOntoItsOwnSnapshotIsRefusedAndTheSnapshotKept() throws Exception {
        Path snap = saved(image(1 << 20));
        String before = Hashing.sha256(snap);
        CommandLineTest.Run r = CommandLineTest.run("restore", "--from", snap.toString(), "--out", snap.toString(),
                "--force");
        assertThat(r.status()).as(r.err()).isEqualTo(ExitStatus.USAGE);
        assertThat(r.err()).contains("is --from '" + snap + "' itself: refused");
        Path part = Files.move(snap, dir.resolve("x.part"));
        r = CommandLineTest.run("restore", "--from", part.toString(), "--out", dir.resolve("x").toString(), "--force");
        assertThat(r.status()).as(r.err()).isEqualTo(ExitStatus.USAGE);
        assertThat(Hashing.sha256(part)).isEqualTo(before);
        assertThat(dir.resolve("x")).doesNotExist();
    }

    /** --force replaces SNAPSHOT only once the new one is complete: a save that fails keeps the old one. */
    @Test
    void aForcedSaveThatFailsKeepsTheOldSnapshot() throws Exception {
        Path image = image(2 << 20);
        Path snap = saved(image);
        String old = Hashing.sha256(snap);
        Cancellation cancelled = new Cancellation();
        cancelled.cancel("test"); // the save fails as soon as its writer exists, after SNAPSHOT.part was made
        java.io.StringWriter out = new java.io.StringWriter();
        java.io.StringWriter err = new java.io.StringWriter();
        int status = MultifdCommand.execute(new String[]{"save", "--image", image.toString(), "--to", snap.toString(),
                "--force", "--quiet"}, new java.io.PrintWriter(out, true), new java.io.PrintWriter(err, true), cancelled);
        assertThat(status).as(err.toString()).isEqualTo(ExitStatus.CANCELLED);
        assertThat(Hashing.sha256(snap)).isEqualTo(old);
        assertThat(dir.resolve("snap.part")).doesNotExist();
        CommandLineTest.Run restore = CommandLineTest.run("restore", "--from", snap.toString(), "--out",
                dir.resolve("out.img").toString(), "--quiet");
        assertThat(restore.status()).as(restore.err()).isZero();
        assertThat(Hashing.sha256(dir.resolve("out.img"))).isEqualTo(Hashing.sha256(image));
    }

    @ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"save", "restore"})
    void helpListsTheOptionsAndTheCommonExitStatuses(String command) {
        CommandLineTest.Run r = CommandLineTest.run(command, "--help");
        assertThat(r.status()).isZero();
        String help = r.out().replaceAll("\\s+", " ");
        assertThat(help).contains("Usage: multifd " + command).contains("--json").contains("--channels")
                .contains(" 2 the command line is wrong").contains(" 5 damaged or malformed stream or file")
                .contains(" 6 cancelled by SIGINT (Ctrl-C) or SIGTERM");
        assertThat(CommandLineTest.run("--help").out()).contains(command);
    }

    /** A snapshot with device state, written by the library: block {@code name}, one device "cpu". */
    private Path librarySnapshot(String name) throws Exception {
        Path snap = dir.resolve("lib.snap");
        io.multifd.ram.RamBlock block = io.multifd.ram.RamBlock.allocate(name, 1 << 20);
        block.putLong(4096, 42);
        try (io.multifd.ram.snapshot.SnapshotWriter w = io.multifd.ram.snapshot.SnapshotWriter.create(snap, 2)) {
            io.multifd.ram.RamSaver.open(w.session(), java.util.List.of(block)).saveAll();
            w.addDeviceState("cpu", 0, ByteBuffer.wrap(new byte[]{1, 2, 3, 4, 5, 6, 7, 8}));
            w.finish();
        }
        return snap;
    }

    /** restore checks the device-state area too: damage there is refused (exit 5) before any byte is written. */
    @Test
    void aSnapshotWhoseDeviceStateIsDamagedIsRefused() throws Exception {
        Path snap = librarySnapshot("pc.ram");
        CommandLineTest.Run ok = CommandLineTest.run("restore", "--from", snap.toString(), "--out",
                dir.resolve("ok.img").toString(), "--json", "--quiet");
        assertThat(ok.status()).as(ok.err()).isZero();
        Json j = Json.parse(ok.out().strip());
        assertThat(j.getLong("device_states")).isEqualTo(1);
        assertThat(j.getLong("device_state_bytes")).isEqualTo(8);

        long at;
        try (io.multifd.ram.snapshot.SnapshotReader r = io.multifd.ram.snapshot.SnapshotReader.open(snap, 0);
             FileChannel ch = FileChannel.open(snap, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            at = Files.size(snap) - 1; // the device-state area is the snapshot's last
            assertThat(r.deviceStates()).hasSize(1);
            ByteBuffer one = ByteBuffer.allocate(1);
            ch.read(one, at);
            ch.write(ByteBuffer.wrap(new byte[]{(byte) (one.get(0) ^ 1)}), at);
        }
        CommandLineTest.Run r = CommandLineTest.run("restore", "--from", snap.toString(), "--out",
                dir.resolve("bad.img").toString());
        assertThat(r.status()).as(r.err()).isEqualTo(ExitStatus.DAMAGED);
        assertThat(r.err()).contains("device-state area: CRC32C stored");
        assertThat(dir.resolve("bad.img")).doesNotExist();
        assertThat(dir.resolve("bad.img.part")).doesNotExist();
    }

    /** A block name with terminal control characters reaches the terminal escaped, never raw. */
    @Test
    void controlCharactersInABlockNameAreEscaped() throws Exception {
        Path snap = librarySnapshot("a\u001b]0;PWNED\u0007\u001b[2J\nb");
        CommandLineTest.Run r = CommandLineTest.run("restore", "--from", snap.toString(), "--out",
                dir.resolve("o.img").toString());
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out() + r.err()).doesNotContain("\u001b").doesNotContain("\u0007")
                .contains("a\\x1b]0;PWNED\\x07\\x1b[2J\\x0ab");
        CommandLineTest.Run missing = CommandLineTest.run("restore", "--from", snap.toString(), "--out",
                dir.resolve("p.img").toString(), "--block", "nope");
        assertThat(missing.status()).isEqualTo(ExitStatus.USAGE);
        assertThat(missing.err()).doesNotContain("\u001b").contains("\\x1b");
    }
}
