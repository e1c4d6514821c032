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

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.multifd.api.MultiFdConfig;
import io.multifd.ram.RamBlock;
import io.multifd.testing.leaks.Leaks;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The in-process warm-up of {@code send} and {@code recv}: when it runs, that it migrates, and what it leaves. */
class WarmupTest {

    @TempDir
    Path dir;

    /**
     * Lets the JDK open what it opens once per process for sockets (the descriptor it keeps for
     * closing channels another thread is blocked in), so that the leak checks below see only
     * what a warm-up leaves.
     */
    @BeforeAll
    static void jdkOnce() throws IOException {
        Warmup.run(MultiFdConfig.builder().build(), null, null, 1L << 20, new Cancellation());
    }

    @AfterEach
    void off() {
        Warmup.disable(); // in-process callers do not warm up: leave it so for the other tests
    }

    @Test
    void onlySendAndRecvWarmUpAndTheEnvironmentSetsTheSizeOrTurnsItOff() {
        for (String command : List.of("send", "recv")) {
            assertThat(Warmup.configure(new String[] {command, "--help"}, Map.of())).isNull();
            assertThat(Warmup.bytes(false)).as(command).isEqualTo(capped(Warmup.DEFAULT_BYTES));
            assertThat(Warmup.bytes(true)).as(command + " with TLS").isEqualTo(capped(Warmup.DEFAULT_TLS_BYTES));
            assertThat(Warmup.configure(new String[] {command}, Map.of(Warmup.ENV, "16M"))).isNull();
            assertThat(Warmup.bytes(false)).isEqualTo(16L << 20);
            assertThat(Warmup.bytes(true)).as("a size set applies with TLS too").isEqualTo(16L << 20);
            for (String off : List.of("off", "OFF", " 0 ")) {
                assertThat(Warmup.configure(new String[] {command}, Map.of(Warmup.ENV, off))).isNull();
                assertThat(Warmup.bytes(true)).as(off).isZero();
            }
        }
        for (String command : List.of("save", "restore", "demo", "keygen", "inspect", "gen-image", "--help")) {
            Warmup.configure(new String[] {"send"}, Map.of());
            assertThat(Warmup.configure(new String[] {command}, Map.of())).isNull();
            assertThat(Warmup.bytes(true)).as(command).isZero();
        }
        assertThat(Warmup.configure(new String[0], Map.of())).isNull();
        assertThat(Warmup.bytes(true)).isZero();
        for (String bad : List.of("banana", "2G", "-1", "on\n")) {
            Warmup.configure(new String[] {"send"}, Map.of());
            assertThat(Warmup.configure(new String[] {"recv"}, Map.of(Warmup.ENV, bad))).as(bad)
                    .startsWith("MULTIFD_WARMUP='").endsWith("' is neither off nor a size up to 1G; no warm-up")
                    .doesNotContain("\n");
            assertThat(Warmup.bytes(true)).as(bad).isZero();
        }
    }

    /**
     * The warm-up's destination holds its source's bytes, and the source had both zero and
     * non-zero pages (so both paths ran). Takes the blocks and drops them on return, so that the
     * leak checks after it see their memory freed.
     */
    private static void assertMigratedExactly(Warmup.Migrated m) {
        RamBlock from = m.source();
        RamBlock to = m.destination();
        assertThat(to.length()).isEqualTo(from.length());
        byte[] a = new byte[1 << 16];
        byte[] b = new byte[1 << 16];
        for (long off = 0; off < from.length(); off += a.length) {
            int n = (int) Math.min(a.length, from.length() - off);
            from.get(off, a, 0, n);
            to.get(off, b, 0, n);
            assertThat(Arrays.equals(a, 0, n, b, 0, n)).as("bytes at offset %d", off).isTrue();
        }
        long zero = 0;
        for (long off = 0; off < from.length(); off += 4096) {
            zero += from.isZeroPage(off) ? 1 : 0;
        }
        assertThat(zero).as("zero pages in the warm-up").isPositive().isLessThan(from.length() / 4096);
    }

    /** A default size as this machine caps it: the two blocks take at most a sixteenth of its memory. */
    private static long capped(long size) {
        long memory = ImageFile.physicalMemory();
        return memory > 0 ? Math.min(size, memory / 32) & -4096L : size;
    }

    @ParameterizedTest
    @ValueSource(strings = {"none", "zstd", "lz4", "zlib"})
    void aWarmUpMigratesWithTheCodecAndLeavesNoThreadFileOrMemory(String codec) throws Exception {
        Leaks.Snapshot before = Leaks.take();
        MultiFdConfig template = MultiFdConfig.builder().codec(codec).channels(4).build();
        assertMigratedExactly(Warmup.run(template, null, null, 2L << 20, new Cancellation()));
        assertThat(Leaks.since(before, Duration.ofSeconds(10), name -> name.startsWith("ForkJoinPool"), 1L << 20))
                .isEmpty();
    }

    /**
     * Into a scratch directory (what {@code recv} into a new file passes) the warm-up receives into
     * a temporary file there, and removes it; a directory it cannot write fails it.
     */
    @Test
    void intoAScratchDirectoryTheWarmUpUsesATemporaryFileAndRemovesIt() throws Exception {
        Path scratch = Files.createDirectory(dir.resolve("scratch"));
        Leaks.Snapshot before = Leaks.take();
        assertMigratedExactly(Warmup.run(MultiFdConfig.builder().codec("zstd").build(), null, scratch, 2L << 20,
                new Cancellation()));
        try (var left = Files.list(scratch)) {
            assertThat(left).as("the temporary file is removed").isEmpty();
        }
        assertThat(Leaks.since(before, Duration.ofSeconds(10), name -> name.startsWith("ForkJoinPool"), 1L << 20))
                .isEmpty();
        assertThatThrownBy(() -> Warmup.run(MultiFdConfig.builder().build(), null, dir.resolve("missing"), 1L << 20,
                new Cancellation())).isInstanceOf(IOException.class);
    }

    /**
     * With TLS options, the warm-up runs over TLS with the command's own identity on both ends:
     * it completes with a keygen identity, and a config that does not trust that identity fails
     * it (so the warm-up does go through the handshake).
     */
    @Test
    void withTlsTheWarmUpHandshakesWithTheCommandsOwnIdentity() throws Exception {
        for (String name : List.of("a", "b")) {
            CommandLineTest.Run r = CommandLineTest.run("keygen", "--cert", dir.resolve(name + ".crt").toString(),
                    "--key", dir.resolve(name + ".key").toString(), "--name", "host-" + name);
            assertThat(r.status()).as(r.err()).isZero();
        }
        TlsOptions own = tlsOptions("a.crt", "a.key", "b.crt");
        assertThat(own.config()).isNotNull();
        Leaks.Snapshot before = Leaks.take();
        assertMigratedExactly(Warmup.run(MultiFdConfig.builder().codec("lz4").build(), own.warmUpConfig(), null,
                2L << 20, new Cancellation()));
        assertThat(Leaks.since(before, Duration.ofSeconds(10), name -> name.startsWith("ForkJoinPool"), 1L << 20))
                .isEmpty();

        // a config that does not trust its own identity cannot complete the handshake: the warm-up fails
        io.multifd.core.transport.tls.TlsConfig untrusting = io.multifd.core.transport.tls.TlsConfig.builder()
                .identityPem(dir.resolve("a.crt"), dir.resolve("a.key")).trustPem(dir.resolve("b.crt"))
                .verifyHostName(false).build();
        assertThatThrownBy(() -> Warmup.run(MultiFdConfig.builder().build(), untrusting, null, 1L << 20,
                new Cancellation())).isInstanceOf(IOException.class);
        assertThat(Leaks.since(before, Duration.ofSeconds(10), name -> name.startsWith("ForkJoinPool"), 1L << 20))
                .as("a failed warm-up leaves nothing either").isEmpty();
        assertThat(tlsOptions(null, null, null).warmUpConfig()).as("plain TCP").isNull();
    }

    private TlsOptions tlsOptions(String cert, String key, String trust) {
        TlsOptions o = new TlsOptions();
        o.cert = cert == null ? null : dir.resolve(cert);
        o.key = key == null ? null : dir.resolve(key);
        o.trust = trust == null ? null : dir.resolve(trust);
        return o;
    }

    @Test
    void aCancelledWarmUpEndsWithAnExceptionAndRunIfEnabledSaysWhyOnlyWhenVerbose() throws Exception {
        Cancellation cancelled = new Cancellation();
        cancelled.cancel("test");
        Leaks.Snapshot before = Leaks.take();
        assertThatThrownBy(() -> Warmup.run(MultiFdConfig.builder().build(), null, null, 1L << 20, cancelled))
                .isInstanceOf(IOException.class).hasMessage("the warm-up was cancelled (test)");
        assertThat(Leaks.since(before, Duration.ofSeconds(10), name -> name.startsWith("ForkJoinPool"), 1L << 20))
                .isEmpty();

        Warmup.configure(new String[] {"send"}, Map.of(Warmup.ENV, "1M"));
        MultiFdConfig defaults = MultiFdConfig.builder().build();
        StringWriter quiet = new StringWriter();
        assertThat(Warmup.runIfEnabled(defaults, null, null, cancelled, new PrintWriter(quiet, true), false))
                .isEqualTo(-1);
        assertThat(quiet.toString()).isEmpty();
        StringWriter verbose = new StringWriter();
        assertThat(Warmup.runIfEnabled(defaults, null, null, cancelled, new PrintWriter(verbose, true), true))
                .isEqualTo(-1);
        assertThat(verbose.toString()).startsWith("warm-up skipped: ");

        assertThat(Warmup.runIfEnabled(defaults, null, null, new Cancellation(), new PrintWriter(verbose), true))
                .as("not cancelled: it runs and says how long").isGreaterThan(0);
        Warmup.disable();
        assertThat(Warmup.runIfEnabled(defaults, null, null, new Cancellation(), new PrintWriter(verbose), true))
                .as("off").isEqualTo(-1);
    }

    /** With the warm-up on, both results report it, and the sender's preparation includes it. */
    @Test
    void sendAndRecvReportTheWarmUpInTheirResults() throws Exception {
        Path image = dir.resolve("src.img");
        Path out = dir.resolve("dst.img");
        assertThat(CommandLineTest.run("gen-image", image.toString(), "--size", "3M", "--quiet").status()).isZero();
        Warmup.configure(new String[] {"send"}, Map.of(Warmup.ENV, "2M"));
        StringWriter rxOut = new StringWriter();
        CliMigrationTest.PipedLines rxErr = new CliMigrationTest.PipedLines();
        CompletableFuture<Integer> rx = CompletableFuture.supplyAsync(() -> MultifdCommand.execute(
                new String[]{"recv", "--listen", "127.0.0.1:0", "--out", out.toString(), "--json", "--timeout", "30"},
                new PrintWriter(rxOut, true), new PrintWriter(rxErr, true)));
        int port = rxErr.port();
        CommandLineTest.Run tx = CommandLineTest.run("send", "--connect", "127.0.0.1:" + port, "--image",
                image.toString(), "--codec", "lz4", "--json");
        assertThat(tx.status()).as(tx.err()).isZero();
        assertThat(rx.get()).as(rxErr.toString()).isZero();
        Json sent = Json.parse(tx.out().strip());
        Json received = Json.parse(rxOut.toString().strip());
        assertThat(sent.getDouble("warm_up_seconds")).isPositive()
                .isLessThanOrEqualTo(sent.getDouble("prepare_seconds"));
        assertThat(received.getDouble("warm_up_seconds")).isPositive();
        assertThat(received.getString("sha256")).isEqualTo(sent.getString("sha256")).isEqualTo(Hashing.sha256(image));
        assertThat(sent.getLong("ram_bytes")).as("the warm-up's memory is not counted").isEqualTo(3L << 20);
    }
}
