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

import io.multifd.examples.cli.Hashing;
import io.multifd.examples.cli.Json;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The real launcher as processes: gen-image, then recv and send over 127.0.0.1 for each codec,
 * with and without live dirtying, comparing the sha256 of both JSON results; the demo; a sender
 * that starts before its receiver; and the limits a receiver sets.
 */
@Timeout(150)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CliIT {

    /** Not a multiple of the page size: the last partial page must travel exactly. */
    static final long SIZE = (24L << 20) + 1234;

    @TempDir
    static Path dir;

    private Path image;
    private String imageSha;

    @BeforeAll
    void image() throws Exception {
        assertThat(Launcher.REPO.resolve("examples/cli/target/multifd.jar")).as("the packaged jar").isRegularFile();
        image = dir.resolve("source.img");
        Launcher.Run r = Launcher.run("gen-image", image.toString(), "--size", Long.toString(SIZE), "--seed", "5",
                "--json");
        assertThat(r.status()).as(r.err()).isZero();
        Json j = Json.parse(r.out().strip());
        imageSha = j.getString("sha256");
        assertThat(imageSha).isEqualTo(Hashing.sha256(image));
        assertThat(Files.size(image)).isEqualTo(SIZE);
        assertThat(j.getLong("zero_pages")).isPositive();
        assertThat(j.getLong("random_pages")).isPositive();
    }

    record Pair(Json sender, Json receiver, Launcher.Run send, String recvErr, Path out) {
    }

    private Pair migrate(String name, String[] recvExtra, String... sendArgs) throws Exception {
        Path out = dir.resolve(name + ".img");
        String timeout = Arrays.asList(recvExtra).contains("--timeout") ? null : "60";
        String[] recvArgs = Stream.concat(Stream.of("recv", "--listen", "127.0.0.1:0", "--out", out.toString(),
                "--json"), Stream.concat(timeout == null ? Stream.empty() : Stream.of("--timeout", timeout),
                Stream.of(recvExtra))).toArray(String[]::new);
        try (Launcher.Proc recv = Launcher.start(recvArgs)) {
            int port = recv.port();
            String[] args = Stream.concat(Stream.of("send", "--connect", "127.0.0.1:" + port, "--image",
                    image.toString(), "--json"), Stream.of(sendArgs)).toArray(String[]::new);
            Launcher.Run send = Launcher.run(args);
            int recvStatus = recv.await();
            Json s = send.out().isBlank() ? null : Json.parse(send.out().strip());
            Json r = recv.out().isBlank() ? null : Json.parse(recv.out().strip());
            return new Pair(s, r, new Launcher.Run(send.status(), send.out(), send.err()), recv.err() + "\nexit "
                    + recvStatus, out);
        }
    }

    @ParameterizedTest(name = "{0}, dirty rate {1}")
    @CsvSource({"none,0", "none,20000", "zstd,0", "zstd,20000", "lz4,0", "lz4,20000", "zlib,0", "zlib,20000"})
    void recvAndSendAgree(String codec, int dirtyRate) throws Exception {
        boolean live = dirtyRate > 0;
        String[] extra = live ? new String[]{"--codec", codec, "--dirty-rate", Integer.toString(dirtyRate),
                "--device-state", "2M"} : new String[]{"--codec", codec};
        Pair p = migrate(codec + "-" + dirtyRate, new String[0], extra);
        assertThat(p.send().status()).as("send: " + p.send().err() + "\nrecv: " + p.recvErr()).isZero();
        assertThat(p.recvErr()).endsWith("exit 0");
        Json s = p.sender();
        Json r = p.receiver();
        assertThat(s.getString("status")).isEqualTo("completed");
        assertThat(r.getString("status")).isEqualTo("completed");
        assertThat(s.getLong("exit_code")).isZero();
        assertThat(r.getLong("exit_code")).isZero();
        assertThat(r.getString("sha256")).as("destination = source").isEqualTo(s.getString("sha256"));
        assertThat(Hashing.sha256(p.out())).as("the file recv wrote").isEqualTo(r.getString("sha256"));
        assertThat(Files.size(p.out())).isEqualTo(SIZE);
        assertThat(s.getString("codec")).isEqualTo(codec).isEqualTo(r.getString("codec"));
        assertThat(r.getLong("channel_count")).isEqualTo(2);
        // started as processes, both warmed up before the sender connected, and say so
        assertThat(s.getDouble("warm_up_seconds")).isPositive().isLessThanOrEqualTo(s.getDouble("prepare_seconds"));
        assertThat(r.getDouble("warm_up_seconds")).isPositive();
        for (String f : new String[]{"ram_bytes", "raw_bytes", "wire_bytes", "normal_pages", "zero_pages", "round_count"}) {
            assertThat(r.get(f)).as(f).isEqualTo(s.get(f));
        }
        if (live) {
            assertThat(s.getString("sha256")).as("the writers changed the sender's memory").isNotEqualTo(imageSha);
            assertThat(s.getLong("round_count")).isGreaterThanOrEqualTo(2);
            assertThat(s.getLong("dirtied_pages")).isPositive();
            assertThat(r.getString("device_state_sha256")).isEqualTo(s.getString("device_state_sha256")).hasSize(64);
            assertThat(r.getLong("device_state_bytes")).isEqualTo(2L << 20);
        } else {
            assertThat(s.getString("sha256")).isEqualTo(imageSha);
            assertThat(s.getLong("round_count")).isEqualTo(1);
            assertThat(s.getLong("normal_pages") + s.getLong("zero_pages")).isEqualTo((SIZE + 4095) / 4096);
        }
        if (!codec.equals("none") && !live) {
            assertThat(s.getLong("wire_bytes")).as("text pages compress").isLessThan(s.getLong("raw_bytes"));
        }
    }

    @Test
    void demoOf64MiBCompletesAndMatchesAndCleansUp() throws Exception {
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        Set<Path> before = demoDirs(tmp);
        Launcher.Run r = Launcher.run("demo", "--size", "64M");
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out()).contains("destination matches source: yes").contains("rounds").contains("zero pages")
                .contains("bytes on the wire").contains("GiB/s");
        assertThat(r.err()).contains("demo: 64.0 MiB mixed image, 2 channels, codec none");
        assertThat(demoDirs(tmp)).as("temporary files removed").isSubsetOf(before);
    }

    private static Set<Path> demoDirs(Path tmp) throws Exception {
        try (Stream<Path> s = Files.list(tmp)) {
            return s.filter(p -> p.getFileName().toString().startsWith("multifd-demo-")).collect(Collectors.toSet());
        }
    }

    @Test
    void aSenderStartedBeforeItsReceiverIsRetried() throws Exception {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Path out = dir.resolve("late.img");
        try (Launcher.Proc send = Launcher.start("send", "--connect", "127.0.0.1:" + port, "--image",
                image.toString(), "--json", "--verbose", "--connect-timeout", "30")) {
            // the receiver starts only once the sender has been refused (its --verbose log says so)
            assertThat(send.awaitErr("refused")).as("the sender logs the refused connection; stderr: %s", send.err())
                    .isTrue();
            Launcher.Run recv = Launcher.run("recv", "--listen", "127.0.0.1:" + port, "--out", out.toString(), "--json");
            assertThat(recv.status()).as(recv.err()).isZero();
            assertThat(send.await()).as(send.err()).isZero();
            assertThat(Json.parse(send.out().strip()).getString("sha256")).isEqualTo(imageSha)
                    .isEqualTo(Json.parse(recv.out().strip()).getString("sha256"));
        }
    }

    @Test
    void aReceiverRefusesMoreMemoryThanItsMaxSize() throws Exception {
        Pair p = migrate("too-big", new String[]{"--max-size", "16M"});
        assertThat(p.send().status()).as("refused: exit status 4").isEqualTo(4);
        assertThat(p.send().err().strip()).startsWith("multifd send: ").doesNotContain("\n").contains("refused");
        assertThat(p.recvErr()).endsWith("exit 4").contains("multifd recv: ");
        assertThat(p.receiver().getString("status")).isEqualTo("failed");
        assertThat(p.receiver().getLong("exit_code")).isEqualTo(4);
        assertThat(p.sender().getLong("exit_code")).isEqualTo(4);
        assertThat(p.out()).doesNotExist();
        assertThat(dir.resolve("too-big.img.part")).doesNotExist();
    }

    @Test
    void aReceiverRefusesMoreChannelsThanItsMax() throws Exception {
        Pair p = migrate("too-many", new String[]{"--max-channels", "1", "--timeout", "10"}, "--channels", "2");
        assertThat(p.send().status()).as("refused: exit status 4").isEqualTo(4);
        assertThat(p.send().err()).contains("channel count");
        // the refused connections were dropped: recv went on accepting until its own timeout
        assertThat(p.recvErr()).contains("channel count").endsWith("exit 3");
        assertThat(p.out()).doesNotExist();
    }
}
