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

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** Each mistake a user can make gives one clear line on stderr and its exit status, through the real launcher. */
@Timeout(60)
class UserErrorsIT {

    @TempDir
    Path dir;

    private Path image() throws Exception {
        Path p = dir.resolve("img");
        Files.write(p, new byte[8192]);
        return p;
    }

    private static void assertOneLine(Launcher.Run r, int status, String command, String message) {
        assertThat(r.status()).as(r.err()).isEqualTo(status);
        String err = r.err().strip();
        assertThat(err).as("exactly one line").doesNotContain("\n").startsWith("multifd " + command + ": ")
                .contains(message);
        assertThat(err).doesNotContain("Exception").doesNotContain("\tat ");
    }

    @ParameterizedTest
    @ValueSource(strings = {"gen-image", "recv", "send", "demo"})
    void helpForEachCommand(String command) throws Exception {
        Launcher.Run r = Launcher.run(command, "--help");
        assertThat(r.status()).isZero();
        assertThat(r.out()).contains("Usage: multifd " + command);
        assertThat(r.err()).isEmpty();
    }

    @Test
    void badSize() throws Exception {
        assertOneLine(Launcher.run("gen-image", dir.resolve("x").toString(), "--size", "lots"), 2, "gen-image",
                "'lots' is not a size");
    }

    @Test
    void unknownCodec() throws Exception {
        assertOneLine(Launcher.run("send", "--connect", "127.0.0.1:9", "--image", image().toString(),
                "--codec", "lzma"), 2, "send", "unknown codec 'lzma' (available: none, zstd, lz4, zlib)");
    }

    @Test
    void imageMissing() throws Exception {
        Path missing = dir.resolve("missing.img");
        assertOneLine(Launcher.run("send", "--connect", "127.0.0.1:9", "--image", missing.toString()), 2, "send",
                "image '" + missing + "' does not exist");
    }

    @Test
    void badPageSize() throws Exception {
        assertOneLine(Launcher.run("send", "--connect", "127.0.0.1:9", "--image", image().toString(), "--page-size",
                "1000"), 2, "send", "--page-size must be a power of two from 512 to 2M: 1000");
    }

    @Test
    void unknownHost() throws Exception {
        assertOneLine(Launcher.run("send", "--connect", "no-such-host.invalid:5000", "--image", image().toString()),
                2, "send", "cannot resolve host 'no-such-host.invalid'");
    }

    @Test
    void portInUse() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            assertOneLine(Launcher.run("recv", "--listen", "127.0.0.1:" + taken.getLocalPort(), "--out",
                            dir.resolve("o").toString()), 1, "recv",
                    "cannot listen on tcp 127.0.0.1:" + taken.getLocalPort() + ": Address already in use");
        }
    }

    @Test
    void unreachableReceiver() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            port = s.getLocalPort();
        }
        assertOneLine(Launcher.run("send", "--connect", "127.0.0.1:" + port, "--image", image().toString(),
                "--connect-timeout", "1"), 3, "send", "could not connect to tcp 127.0.0.1:" + port);
    }

    @Test
    void aStackTraceOnlyWithVerbose() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            port = s.getLocalPort();
        }
        Launcher.Run r = Launcher.run("send", "--connect", "127.0.0.1:" + port, "--image", image().toString(),
                "--connect-timeout", "0.3", "--verbose");
        assertThat(r.status()).isEqualTo(3);
        assertThat(r.err()).contains("\tat io.multifd.").contains("multifd send: connect failed");
    }
}
