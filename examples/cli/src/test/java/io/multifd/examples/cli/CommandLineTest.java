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

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The command line in-process: argument validation, one-line errors and exit statuses. (The
 * integration tests run the same through the real launcher, as separate processes.)
 */
@Timeout(60)
class CommandLineTest {

    @TempDir
    Path dir;

    record Run(int status, String out, String err) {
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = MultifdCommand.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(status, out.toString(), err.toString());
    }

    private Path image() throws Exception {
        Path img = dir.resolve("src.img");
        Files.write(img, new byte[10_000]);
        return img;
    }

    private static void assertOneLineError(Run r, int status, String command, String message) {
        assertThat(r.status()).as(r.err()).isEqualTo(status);
        assertThat(r.err().strip()).as("one line on stderr").doesNotContain("\n")
                .startsWith("multifd " + command + ": ").contains(message);
        assertThat(r.err()).doesNotContain("Exception").doesNotContain("\tat ");
        assertThat(r.out()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"gen-image", "recv", "send", "demo", "keygen"})
    void everySubcommandHasHelp(String command) {
        Run r = run(command, "--help");
        assertThat(r.status()).isZero();
        assertThat(r.out()).contains("Usage: multifd " + command).contains("--json").contains("Exit status:");
    }

    @ParameterizedTest
    @ValueSource(strings = {"gen-image", "recv", "send", "demo", "keygen"})
    void everySubcommandsHelpListsTheSameExitStatuses(String command) {
        String help = run(command, "--help").out().replaceAll("\\s+", " ");
        assertThat(help).contains(" 2 the command line is wrong")
                .contains(" 3 could not connect, or the connection was lost or timed out")
                .contains(" 4 refused by the peer, by TLS authentication or by a limit")
                .contains(" 5 damaged or malformed stream or file")
                .contains(" 6 cancelled by SIGINT (Ctrl-C) or SIGTERM");
        assertThat(help).containsPattern(" 0 \\S").containsPattern(" 1 \\S");
    }

    @Test
    void theTopLevelHelpListsTheCommandsAndNoCommandIsAUsageError() {
        assertThat(run("--help").out()).contains("gen-image").contains("recv").contains("send").contains("demo");
        Run none = run();
        assertThat(none.status()).isEqualTo(MultifdCommand.EXIT_USAGE);
        assertThat(none.err()).contains("Usage: multifd");
    }

    @ParameterizedTest
    @ValueSource(strings = {"recv", "send"})
    void sendAndRecvHelpSayHowToTurnTheWarmUpOff(String command) {
        assertThat(run(command, "--help").out().replaceAll("\\s+", " ")).contains("MULTIFD_WARMUP=off skips it")
                .contains("warm_up_seconds");
    }

    @Test
    void sendHelpSaysHowTheImageIsProtectedFromTheWriters() {
        assertThat(run("send", "--help").out().replaceAll("\\s+", " ")).contains("MapMode.PRIVATE")
                .contains("never the file");
    }

    @Test
    void genImageReplacesAFileOnceCompleteButNeverWritesThroughASymbolicLink() throws Exception {
        Path img = dir.resolve("img");
        assertThat(run("gen-image", img.toString(), "--size", "64K", "--quiet").status()).isZero();
        Path link = dir.resolve("link");
        Files.createSymbolicLink(link, img);
        String before = Hashing.sha256(img);
        Run r = run("gen-image", link.toString(), "--size", "4K", "--quiet");
        assertThat(r.status()).isEqualTo(ExitStatus.USAGE);
        assertThat(r.err()).contains("is a symbolic link: refused");
        assertThat(Hashing.sha256(img)).isEqualTo(before);
        assertThat(run("gen-image", img.toString(), "--size", "8K", "--seed", "2", "--quiet").status()).isZero();
        assertThat(Files.size(img)).isEqualTo(8192);
        assertThat(Hashing.sha256(img)).isNotEqualTo(before);
        assertThat(dir.resolve("img.part")).doesNotExist();
    }

    @Test
    void valuesTheChildOrTheCertificateCouldNotUseAreRefusedUpFront() throws Exception {
        assertOneLineError(run("demo", "--size", "4M", "--dirty-rate", "99999999999"), 2, "demo",
                "--dirty-rate must be 0 to 100000000 pages per second: 99999999999");
        assertOneLineError(run("keygen", "--cert", dir.resolve("c.pem").toString(), "--key",
                dir.resolve("k.pem").toString(), "--days", "99999999"), 2, "keygen", "--days must be 1 to 27500");
        assertThat(dir.resolve("c.pem")).doesNotExist();
        assertThat(dir.resolve("k.pem")).doesNotExist();
    }

    @Test
    void inspectRefusesWhatIsNotARegularFile() throws Exception {
        Path fifo = dir.resolve("ff");
        boolean made;
        try {
            made = new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor() == 0;
        } catch (java.io.IOException e) {
            made = false; // no mkfifo here
        }
        org.junit.jupiter.api.Assumptions.assumeTrue(made, "mkfifo made a FIFO");
        assertOneLineError(run("inspect", fifo.toString()), 2, "inspect", "is not a regular file");
    }

    /** With --json, a run that fails before its own result still prints one: status, exit_code, error. */
    @Test
    void jsonRunsThatFailEarlyStillPrintAResult() throws Exception {
        Run unknown = run("restore", "--from", "x", "--out", "y", "--bogus", "--json");
        assertThat(unknown.status()).isEqualTo(ExitStatus.USAGE);
        Json u = Json.parse(unknown.out().strip());
        assertThat(u.getString("status")).isEqualTo("failed");
        assertThat(u.getLong("exit_code")).isEqualTo(ExitStatus.USAGE);
        assertThat(u.getString("error")).contains("--bogus");
        assertThat(u.getString("command")).isEqualTo("restore");

        Run missing = run("save", "--image", dir.resolve("nope.img").toString(), "--to", dir.resolve("s").toString(),
                "--json");
        assertThat(missing.status()).isEqualTo(ExitStatus.USAGE);
        Json m = Json.parse(missing.out().strip());
        assertThat(m.getLong("exit_code")).isEqualTo(ExitStatus.USAGE);
        assertThat(m.getString("error")).contains("does not exist");
        assertThat(missing.err().strip()).doesNotContain("\n").contains("does not exist");
    }

    @Test
    void aBadSize() {
        assertOneLineError(run("gen-image", dir.resolve("x").toString(), "--size", "12Q"), 2, "gen-image",
                "Invalid value for option '--size': '12Q' is not a size");
    }

    @Test
    void aMissingRequiredOption() {
        assertOneLineError(run("send", "--image", "x"), 2, "send",
                "Missing required argument (specify one of these): (--connect=HOST:PORT | --unix=PATH)");
    }

    @Test
    void connectAndUnixTogether() {
        assertOneLineError(run("send", "--image", "x", "--connect", "127.0.0.1:9", "--unix", dir.resolve("s").toString()),
                2, "send", "--connect=HOST:PORT, --unix=PATH are mutually exclusive");
        assertOneLineError(run("recv", "--out", "x", "--listen", "127.0.0.1:0", "--unix", dir.resolve("s").toString()),
                2, "recv", "--listen=HOST:PORT, --unix=PATH are mutually exclusive");
    }

    @Test
    void anUnknownCodecInTheAllowList() {
        assertOneLineError(run("recv", "--listen", "127.0.0.1:0", "--out", dir.resolve("o").toString(),
                "--allow-compression", "none,brotli"), 2, "recv",
                "--allow-codecs: unknown codec 'brotli' (available: none, zstd, lz4, zlib)");
        assertThat(dir.resolve("o")).doesNotExist();
    }

    @Test
    void aBadIoTimeout() {
        assertOneLineError(run("recv", "--listen", "127.0.0.1:0", "--out", dir.resolve("o").toString(),
                "--io-timeout", "0"), 2, "recv", "--io-timeout must be 0.03 to 86400 seconds: 0.0");
    }

    @Test
    void aBadChecksum() throws Exception {
        assertOneLineError(run("send", "--connect", "127.0.0.1:9", "--image", image().toString(), "--checksum",
                "some"), 2, "send", "Invalid value for option '--checksum': 'some' is not one of off, encoded, all");
    }

    @Test
    void aUnixSocketInAMissingDirectory() {
        assertOneLineError(run("recv", "--unix", dir.resolve("no/such/s.sock").toString(), "--out",
                dir.resolve("o").toString()), 2, "recv", "--unix: directory '" + dir.resolve("no/such") + "' does not exist");
    }

    @Test
    void aUnixSocketOnAnExistingFileSaysWhyWithoutAClassName() throws Exception {
        Path taken = Files.writeString(dir.resolve("taken"), "a file");
        assertOneLineError(run("recv", "--unix", taken.toString(), "--out", dir.resolve("o").toString()), 1, "recv",
                "cannot listen on unix " + taken);
        assertThat(Files.readString(taken)).isEqualTo("a file");
    }

    @Test
    void aCaptureDirectoryIsCheckedBeforeListening() throws Exception {
        Path file = Files.writeString(dir.resolve("img8"), "x");
        assertOneLineError(run("recv", "--listen", "127.0.0.1:0", "--out", dir.resolve("o").toString(), "--capture",
                file.toString()), 2, "recv", "must be a directory, or a new one in an existing directory");
        assertOneLineError(run("recv", "--listen", "127.0.0.1:0", "--out", dir.resolve("o").toString(), "--capture",
                dir.resolve("no/such/d").toString()), 2, "recv", "must be a directory");
        assertThat(dir.resolve("no")).doesNotExist();
    }

    @Test
    void resumeTimeoutOnSendNeedsPostcopy() {
        assertOneLineError(run("send", "--connect", "127.0.0.1:9", "--image", dir.resolve("i").toString(),
                "--resume-timeout", "10"), 2, "send", "--resume-timeout resumes a broken post-copy: it needs --postcopy");
    }

    @Test
    void aUnixAllowListWithoutAUnixSocket() {
        assertOneLineError(run("recv", "--listen", "127.0.0.1:0", "--out", dir.resolve("o").toString(),
                "--unix-allow-user", "root"), 2, "recv", "--unix-allow-user needs --unix (a TCP peer has no user to check)");
    }

    /** An empty path would mean the current directory: refused, naming the option, for every command. */
    @Test
    void anEmptyPathIsRefusedNamingItsOption() {
        assertOneLineError(run("restore", "--from", dir.resolve("s").toString(), "--out", ""), 2, "restore",
                "Invalid value for option '--out': an empty path");
        assertOneLineError(run("recv", "--listen", "127.0.0.1:0", "--out", ""), 2, "recv",
                "Invalid value for option '--out': an empty path");
        assertOneLineError(run("send", "--connect", "127.0.0.1:9", "--image", ""), 2, "send",
                "Invalid value for option '--image': an empty path");
        assertOneLineError(run("gen-image", "--size", "4K", ""), 2, "gen-image", "an empty path");
    }

    @Test
    void anUnknownOption() {
        assertOneLineError(run("recv", "--listen", "127.0.0.1:0", "--out", "x", "--bogus"), 2, "recv",
                "Unknown option: '--bogus'");
    }

    @Test
    void anUnknownCodec() throws Exception {
        assertOneLineError(run("send", "--connect", "127.0.0.1:9", "--image", image().toString(), "--codec",
                "brotli"), 2, "send", "unknown codec 'brotli' (available: none, zstd, lz4, zlib)");
    }

    @Test
    void aLevelTheCodecRefuses() throws Exception {
        assertOneLineError(run("send", "--connect", "127.0.0.1:9", "--image", image().toString(), "--codec",
                "zlib", "--level", "12"), 2, "send", "--level 12 is not valid for zlib");
    }

    @Test
    void aMissingImage() {
        assertOneLineError(run("send", "--connect", "127.0.0.1:9", "--image", dir.resolve("nope.img").toString()),
                2, "send", "image '" + dir.resolve("nope.img") + "' does not exist");
    }

    @Test
    void anEmptyImage() throws Exception {
        Path empty = Files.createFile(dir.resolve("empty.img"));
        assertOneLineError(run("send", "--connect", "127.0.0.1:9", "--image", empty.toString()), 2, "send",
                "is empty");
    }

    @ParameterizedTest
    @ValueSource(strings = {"3000", "256", "4M"})
    void aBadPageSize(String pageSize) throws Exception {
        assertOneLineError(run("send", "--connect", "127.0.0.1:9", "--image", image().toString(), "--page-size",
                pageSize), 2, "send", "--page-size must be a power of two from 512 to 2M: ");
    }

    @Test
    void aBadChannelCount() throws Exception {
        assertOneLineError(run("send", "--connect", "127.0.0.1:9", "--image", image().toString(), "--channels",
                "0"), 2, "send", "--channels must be 1 to 255: 0");
    }

    @Test
    void aMalformedAddress() throws Exception {
        assertOneLineError(run("send", "--connect", "localhost", "--image", image().toString()), 2, "send",
                "'localhost' is not HOST:PORT");
    }

    @Test
    void anUnknownHost() throws Exception {
        assertOneLineError(run("send", "--connect", "no-such-host.invalid:5000", "--image", image().toString()), 2,
                "send", "cannot resolve host 'no-such-host.invalid'");
    }

    @Test
    void anOutputInAMissingDirectory() {
        assertOneLineError(run("recv", "--listen", "127.0.0.1:0", "--out", dir.resolve("no/such/dir/x").toString()),
                2, "recv", "does not exist");
    }

    @Test
    void aPortInUse() throws Exception {
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress("127.0.0.1", 0));
            int port = taken.getLocalPort();
            Run r = run("recv", "--listen", "127.0.0.1:" + port, "--out", dir.resolve("out.img").toString());
            assertOneLineError(r, ExitStatus.FAILED, "recv", "cannot listen on tcp 127.0.0.1:" + port
                    + ": Address already in use");
            assertThat(dir.resolve("out.img")).doesNotExist();
        }
    }

    @Test
    void anUnreachableReceiverIsRetriedThenReportedWithJson() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket()) { // a port nobody listens on any more
            s.bind(new InetSocketAddress("127.0.0.1", 0));
            port = s.getLocalPort();
        }
        Run r = run("send", "--connect", "127.0.0.1:" + port, "--image", image().toString(), "--connect-timeout",
                "0.5", "--json", "--quiet");
        assertThat(r.status()).isEqualTo(ExitStatus.CONNECTION);
        assertThat(r.err().strip()).doesNotContain("\n").startsWith("multifd send: ")
                .contains("could not connect to tcp 127.0.0.1:" + port).contains("Connection refused");
        Json j = Json.parse(r.out().strip());
        assertThat(j.getString("status")).isEqualTo("failed");
        assertThat(j.getLong("exit_code")).isEqualTo(ExitStatus.CONNECTION);
        assertThat(j.getString("error")).contains("Connection refused");
        assertThat(j.fields()).as("no RAM rate for RAM that was not moved").containsEntry("ram_gib_per_s", null);
    }

    @Test
    void verboseAddsTheStackTrace() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress("127.0.0.1", 0));
            port = s.getLocalPort();
        }
        Run r = run("send", "--connect", "127.0.0.1:" + port, "--image", image().toString(), "--connect-timeout",
                "0.2", "--verbose", "--quiet");
        assertThat(r.status()).isEqualTo(ExitStatus.CONNECTION);
        assertThat(r.err()).contains("\tat ").contains("MigrationFailedException");
    }
}
