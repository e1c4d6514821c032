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

import io.multifd.api.ChannelTimeoutException;
import io.multifd.api.HandshakeRefusedException;
import io.multifd.api.MalformedPacketException;
import io.multifd.api.MigrationFailedException;
import io.multifd.api.MultiFdException;
import io.multifd.api.PluginUnavailableException;
import io.multifd.api.ProtocolCode;
import io.multifd.api.RemoteFailureException;
import io.multifd.api.SetupRefusedException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import picocli.CommandLine;

import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.SocketException;
import java.nio.channels.AsynchronousCloseException;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Every kind of failure the commands see maps to the exit status the documentation promises. */
class ExitStatusTest {

    private static MigrationFailedException failed(Throwable first) {
        return new MigrationFailedException("migration failed", first);
    }

    @Test
    void theStatusesAreTheDocumentedNumbers() {
        assertThat(new int[]{ExitStatus.OK, ExitStatus.FAILED, ExitStatus.USAGE, ExitStatus.CONNECTION,
                ExitStatus.REFUSED, ExitStatus.DAMAGED, ExitStatus.CANCELLED}).containsExactly(0, 1, 2, 3, 4, 5, 6);
    }

    @Test
    void aWrongCommandLineIs2() {
        assertThat(ExitStatus.of(new UsageException("--channels must be 1 to 255: 0"))).isEqualTo(2);
        CommandLine cl = new CommandLine(new MultifdCommand());
        assertThat(ExitStatus.of(new CommandLine.ParameterException(cl, "Unknown option"))).isEqualTo(2);
    }

    @Test
    void noConnectionALostOneOrATimeoutIs3() {
        ChannelTimeoutException connect = new ChannelTimeoutException("could not connect to tcp 127.0.0.1:9 within "
                + "300 ms: Connection refused", new ConnectException("Connection refused"));
        assertThat(ExitStatus.of(new MigrationFailedException("connect failed", connect))).isEqualTo(3);
        assertThat(ExitStatus.of(failed(new ChannelTimeoutException("0 of the expected channels connected"))))
                .isEqualTo(3);
        assertThat(ExitStatus.of(failed(new MultiFdException(ProtocolCode.TRANSPORT, "channel 1: end of stream"))))
                .isEqualTo(3);
        // a generic code defers to the cause: here the socket was reset
        assertThat(ExitStatus.of(failed(new MultiFdException(ProtocolCode.FAILED, "channel 0: reset",
                new SocketException("Connection reset"))))).isEqualTo(3);
        assertThat(ExitStatus.of(new EOFException("end of stream"))).isEqualTo(3);
        assertThat(ExitStatus.of(new AsynchronousCloseException())).isEqualTo(3);
    }

    @Test
    void tlsAuthenticationRefusedIs4AndUndecryptableRecordsAre5() {
        assertThat(ExitStatus.of(failed(new java.io.IOException("TLS handshake with tcp 127.0.0.1:5000 failed",
                new javax.net.ssl.SSLHandshakeException("the peer's certificate CN=impostor is not trusted")))))
                .isEqualTo(4);
        assertThat(ExitStatus.of(failed(new javax.net.ssl.SSLPeerUnverifiedException("no certificate")))).isEqualTo(4);
        assertThat(ExitStatus.of(failed(new javax.net.ssl.SSLException("Unsupported or unrecognized SSL message"))))
                .isEqualTo(5);
    }

    @Test
    void aRefusalIs4WhateverSideSaysNo() {
        // the sender: the receiver's reply, whatever field it names
        assertThat(ExitStatus.of(failed(new HandshakeRefusedException(ProtocolCode.UNKNOWN_CODEC, 1, "zstd not allowed"))))
                .isEqualTo(4);
        assertThat(ExitStatus.of(failed(new HandshakeRefusedException(ProtocolCode.BAD_MAGIC, 0, "?")))).isEqualTo(4);
        // the receiver: its own validation of the hello, and its plug-ins' refusal of the manifest
        assertThat(ExitStatus.of(failed(new MalformedPacketException(ProtocolCode.CHANNEL_COUNT, 1, 0,
                "hello.channel count", 2, "above the limit 1")))).isEqualTo(4);
        assertThat(ExitStatus.of(failed(new SetupRefusedException("ram: 24 MiB over --max-size 16 MiB")))).isEqualTo(4);
        assertThat(ExitStatus.of(new PluginUnavailableException("codec zstd: native library failed", null)))
                .isEqualTo(4);
    }

    @Test
    void damagedBytesAre5() {
        for (ProtocolCode code : new ProtocolCode[]{ProtocolCode.BAD_MAGIC, ProtocolCode.BAD_CRC,
                ProtocolCode.MALFORMED, ProtocolCode.LENGTH}) {
            assertThat(ExitStatus.of(failed(new MalformedPacketException(code, 0, 0, "hello.magic", 1, "bad"))))
                    .as(code.name()).isEqualTo(5);
        }
    }

    @Test
    void whatThePeerReportsKeepsItsKind() {
        assertThat(ExitStatus.of(failed(new RemoteFailureException(ProtocolCode.ABORTED, "the sender aborted"))))
                .isEqualTo(1);
        assertThat(ExitStatus.of(failed(new RemoteFailureException(ProtocolCode.BAD_CRC, "the receiver failed"))))
                .isEqualTo(5);
        assertThat(ExitStatus.of(failed(new RemoteFailureException(ProtocolCode.PLUGIN_FAILED, "loader threw"))))
                .isEqualTo(1);
    }

    @Test
    void everythingElseIs1() {
        assertThat(ExitStatus.of(new UncheckedIOException("cannot listen on tcp 127.0.0.1:5000: Address already in use",
                new BindException("Address already in use")))).isEqualTo(1);
        assertThat(ExitStatus.of(new IOException("No space left on device"))).isEqualTo(1);
        assertThat(ExitStatus.of(new IllegalStateException("bug"))).isEqualTo(1);
        assertThat(ExitStatus.of(new MultiFdException(ProtocolCode.FAILED, "no cause"))).isEqualTo(1);
    }

    /** What the one stderr line says for failures that are not the command's own: no class names but a bug's. */
    @Test
    void theOneLineForJvmErrorsAndFileProblems() {
        assertThat(MultifdCommand.describe(new OutOfMemoryError("Java heap space")))
                .isEqualTo("out of memory (Java heap space); MULTIFD_JAVA_OPTS=-Xmx... gives the JVM more");
        assertThat(MultifdCommand.describe(new InternalError("a fault occurred in an unsafe memory access")))
                .startsWith("internal error: ").contains("a fault occurred").endsWith("(run with --verbose for the stack trace)");
        assertThat(MultifdCommand.describe(new java.nio.file.NoSuchFileException("/x/y")))
                .isEqualTo("no such file or directory: /x/y");
        assertThat(MultifdCommand.describe(new UncheckedIOException(new java.nio.file.AccessDeniedException("/x"))))
                .isEqualTo("permission denied: /x");
        assertThat(MultifdCommand.describe(new IOException("two\n  lines"))).isEqualTo("two; lines");
        assertThat(MultifdCommand.describe(new EOFException())).isEqualTo("EOFException");
    }

    @ParameterizedTest
    @EnumSource(ProtocolCode.class)
    void everyProtocolCodeHasAStatusOrDefersToTheCause(ProtocolCode code) {
        int status = ExitStatus.of(code);
        assertThat(status).isIn(-1, 1, 3, 4, 5);
        if (status == -1) {
            assertThat(code).isIn(ProtocolCode.OK, ProtocolCode.FAILED, ProtocolCode.UNKNOWN);
        }
    }

    @Test
    void aChildsStatusIsPassedOnWhenItIsOneOfOurs() {
        assertThat(ExitStatus.of(new CommandFailedException(4, "the migration failed: refused"))).isEqualTo(4);
        assertThat(ExitStatus.failure(5)).isEqualTo(5);
        assertThat(ExitStatus.failure(137)).as("killed").isEqualTo(1);
        assertThat(ExitStatus.failure(0)).as("exited 0 without a result").isEqualTo(1);
    }

    @Test
    void theHelpListsEveryStatusWithACommandsOwnWording() {
        Map<String, String> help = ExitStatus.help(Map.of("0", "written"));
        assertThat(help.keySet()).containsExactly("0", "1", "2", "3", "4", "5", "6");
        assertThat(help.get("0")).isEqualTo("written");
        assertThat(help.get("6")).contains("SIGINT").contains("SIGTERM");
    }

    @Test
    void theJsonWordOfEachStatus() {
        assertThat(ExitStatus.word(0)).isEqualTo("completed");
        assertThat(ExitStatus.word(6)).isEqualTo("cancelled");
        assertThat(ExitStatus.word(3)).isEqualTo("failed");
    }
}
