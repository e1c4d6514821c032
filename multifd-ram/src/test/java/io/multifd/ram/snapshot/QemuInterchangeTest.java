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
package io.multifd.ram.snapshot;

import io.multifd.ram.RamBlock;
import io.multifd.ram.RamDestination;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Interchange with QEMU 10: a real {@code qemu-system-x86_64} (TCG, paused, RAM holding a seeded
 * image at guest-physical 1 MiB) saves itself with {@code migrate file:} and the mapped-ram
 * capability, with and without multifd, and at a start offset; the reader restores {@code pc.ram}
 * and it holds exactly the image there and zeros elsewhere. Skipped where no
 * {@code qemu-system-x86_64} is on the PATH (or named by {@code -Dmultifd.qemu=PATH}).
 */
@Timeout(value = 180, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class QemuInterchangeTest {

    private static final long IMAGE_ADDR = 1 << 20;
    private static final long SEED = 20261207L;
    private static final Pattern MIGRATION = Pattern.compile("\"event\": *\"MIGRATION\".*\"status\": *\"([a-z-]+)\"");

    @TempDir
    Path dir;

    @ParameterizedTest(name = "multifd channels {0}, file offset {1}")
    @CsvSource({"0,0", "2,0", "2,4096"})
    void restoresGuestRamQemuSaved(int multifdChannels, long fileOffset) throws Exception {
        Optional<Path> qemu = findQemu();
        assumeTrue(qemu.isPresent(), "qemu-system-x86_64 is not installed (on Debian 12: apt-get install -t "
                + "bookworm-backports qemu-system-x86), so QEMU's own mapped-ram files cannot be made here");
        RamBlock image = RamBlock.allocate("image", (8L << 20) + 4096 * 5);
        SnapshotFixtures.fillMixed(image, SEED);
        Path imageFile = dir.resolve("ram.img");
        try (var ch = java.nio.channels.FileChannel.open(imageFile, java.nio.file.StandardOpenOption.CREATE_NEW,
                java.nio.file.StandardOpenOption.WRITE)) {
            ch.write(image.slice(0, (int) image.length()));
        }
        Path out = dir.resolve("vm.mr");
        if (fileOffset > 0) {
            Files.write(out, new byte[(int) fileOffset]); // QEMU keeps what lies before the offset
            Files.write(out, "prefix".getBytes(StandardCharsets.US_ASCII), java.nio.file.StandardOpenOption.WRITE);
        }
        saveWithQemu(qemu.get(), imageFile, out, multifdChannels, fileOffset);

        try (SnapshotReader r = SnapshotReader.open(out, fileOffset)) {
            assertThat(r.format()).isEqualTo(SnapshotReader.Format.QEMU_MAPPED_RAM);
            assertThat(r.machineType()).hasValueSatisfying(m -> assertThat(m).startsWith("pc-q35-"));
            SnapshotBlock pcRam = r.block("pc.ram").orElseThrow();
            assertThat(pcRam.length()).isEqualTo(128L << 20);
            List<RamBlock> restored = new ArrayList<>();
            SnapshotRestore.builder(r).blocks(List.of("pc.ram")).channels(2).build()
                    .run(RamDestination.allocating(restored));
            RamBlock ram = restored.get(0);
            byte[] want = new byte[(int) image.length()];
            byte[] got = new byte[want.length];
            image.get(0, want, 0, want.length);
            ram.get(IMAGE_ADDR, got, 0, got.length);
            assertThat(got).as("the image at guest-physical 1 MiB (seed %d)", SEED).isEqualTo(want);
            assertThat(allZero(ram, 0, IMAGE_ADDR)).isTrue();
            assertThat(allZero(ram, IMAGE_ADDR + image.length(), ram.length())).isTrue();
        }
        if (fileOffset > 0) {
            assertThat(new String(Files.readAllBytes(out), 0, 6, StandardCharsets.US_ASCII)).isEqualTo("prefix");
        }
    }

    private static boolean allZero(RamBlock b, long from, long to) {
        for (long off = from; off < to; off += 8) {
            if (b.getLong(off) != 0) {
                return false;
            }
        }
        return true;
    }

    private static Optional<Path> findQemu() {
        String named = System.getProperty("multifd.qemu");
        if (named != null && !named.isBlank()) {
            return Optional.of(Path.of(named)).filter(Files::isExecutable);
        }
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        for (String d : path.split(File.pathSeparator)) {
            Path p = Path.of(d, "qemu-system-x86_64");
            if (Files.isExecutable(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /** Starts a paused q35 guest with the image loaded, migrates it to {@code out} over QMP, and kills it. */
    private void saveWithQemu(Path qemu, Path image, Path out, int channels, long offset) throws Exception {
        Path sock = dir.resolve("qmp.sock");
        List<String> cmd = List.of(qemu.toString(), "-machine", "q35,accel=tcg", "-m", "128M", "-nodefaults",
                "-display", "none", "-S", "-device", "loader,file=" + image + ",addr=0x100000,force-raw=on",
                "-qmp", "unix:" + sock + ",server=on,wait=off");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("qemu.log").toFile())
                .start();
        try {
            try (Qmp q = Qmp.connect(sock, p)) {
                q.execute("{\"execute\":\"migrate-set-capabilities\",\"arguments\":{\"capabilities\":["
                        + "{\"capability\":\"events\",\"state\":true},{\"capability\":\"mapped-ram\",\"state\":true},"
                        + "{\"capability\":\"multifd\",\"state\":" + (channels > 0) + "}]}}");
                if (channels > 0) {
                    q.execute("{\"execute\":\"migrate-set-parameters\",\"arguments\":{\"multifd-channels\":" + channels + "}}");
                }
                q.execute("{\"execute\":\"migrate-set-parameters\",\"arguments\":{\"max-bandwidth\":1099511627776}}");
                if (offset > 0) {
                    q.execute("{\"execute\":\"migrate\",\"arguments\":{\"channels\":[{\"channel-type\":\"main\","
                            + "\"addr\":{\"transport\":\"file\",\"filename\":\"" + out + "\",\"offset\":" + offset + "}}]}}");
                } else {
                    q.execute("{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"file:" + out + "\"}}");
                }
                String end = q.awaitMigrationEnd();
                assertThat(end).as("QEMU's migration ended").isEqualTo("completed");
            }
        } finally {
            p.destroyForcibly();
            p.waitFor(30, TimeUnit.SECONDS);
        }
    }

    /** A minimal QMP client: one command at a time, replies and events one JSON object per line. */
    private static final class Qmp implements AutoCloseable {
        private final SocketChannel ch;
        private final BufferedReader in;
        private final List<String> events = new ArrayList<>();

        private Qmp(SocketChannel ch) {
            this.ch = ch;
            this.in = new BufferedReader(new InputStreamReader(Channels.newInputStream(ch), StandardCharsets.UTF_8));
        }

        static Qmp connect(Path sock, Process qemu) throws Exception {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (true) {
                SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
                try {
                    ch.connect(UnixDomainSocketAddress.of(sock));
                    Qmp q = new Qmp(ch);
                    assertThat(q.in.readLine()).contains("QMP");
                    q.execute("{\"execute\":\"qmp_capabilities\"}");
                    return q;
                } catch (IOException e) {
                    ch.close();
                    if (!qemu.isAlive() || System.nanoTime() > deadline) {
                        throw new IOException("QEMU's QMP socket did not open (QEMU alive: " + qemu.isAlive() + ")", e);
                    }
                    qemu.waitFor(50, TimeUnit.MILLISECONDS); // QEMU is still starting
                }
            }
        }

        String execute(String json) throws IOException {
            ch.write(ByteBuffer.wrap((json + "\n").getBytes(StandardCharsets.UTF_8)));
            while (true) {
                String line = readLine(json);
                if (line.startsWith("{\"return\"")) {
                    return line;
                }
                if (line.startsWith("{\"error\"")) {
                    throw new IOException("QMP refused " + json + ": " + line);
                }
            }
        }

        /** Blocks (bounded by the test's timeout) until a MIGRATION event says completed, failed or cancelled. */
        String awaitMigrationEnd() throws IOException {
            int seen = 0;
            while (true) {
                for (; seen < events.size(); seen++) {
                    Matcher m = MIGRATION.matcher(events.get(seen));
                    if (m.find() && List.of("completed", "failed", "cancelled").contains(m.group(1))) {
                        return m.group(1);
                    }
                }
                readLine("awaiting the end of the migration");
            }
        }

        private String readLine(String context) throws IOException {
            String line = in.readLine();
            if (line == null) {
                throw new IOException("QMP closed: " + context);
            }
            if (line.startsWith("{\"timestamp\"") || line.contains("\"event\"")) {
                events.add(line);
            }
            return line;
        }

        @Override
        public void close() throws IOException {
            ch.close();
        }
    }
}
