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
package io.multifd.api;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(10)
class ConfigTest {

    @Test
    void defaultsAreSane() {
        MultiFdConfig c = MultiFdConfig.defaults();
        assertThat(c.channels()).isEqualTo(2);
        assertThat(c.codec()).isEqualTo("none");
        assertThat(c.maxPacketDataLength()).isEqualTo(4 << 20);
        assertThat(c.dataChecksum()).isEqualTo(DataChecksum.ENCODED);
        assertThat(c.sessionId()).isEmpty();
        assertThat(c.toBuilder().build().toString()).isEqualTo(c.toString());
    }

    @Test
    void channelsAreCheckedAtTheLimits() {
        assertThat(MultiFdConfig.builder().channels(1).build().channels()).isEqualTo(1);
        assertThat(MultiFdConfig.builder().channels(255).build().channels()).isEqualTo(255);
        for (int bad : new int[] {0, -1, 256, Integer.MAX_VALUE, Integer.MIN_VALUE}) {
            assertThatThrownBy(() -> MultiFdConfig.builder().channels(bad)).as("channels %d", bad)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("channels must be between 1 and 255: " + bad);
        }
    }

    @Test
    void everyLengthCapIsChecked() {
        assertThatThrownBy(() -> MultiFdConfig.builder().maxPacketDataLength(4095))
                .hasMessageContaining("maxPacketDataLength");
        assertThatThrownBy(() -> MultiFdConfig.builder().maxPacketDataLength((64 << 20) + 1))
                .hasMessageContaining("maxPacketDataLength");
        assertThatThrownBy(() -> MultiFdConfig.builder().maxPayloadHeaderLength(255))
                .hasMessageContaining("maxPayloadHeaderLength");
        assertThatThrownBy(() -> MultiFdConfig.builder().maxManifestLength(1023))
                .hasMessageContaining("maxManifestLength");
        assertThatThrownBy(() -> MultiFdConfig.builder().maxChannels(0)).hasMessageContaining("maxChannels");
        assertThatThrownBy(() -> MultiFdConfig.builder().maxPendingConnections(0))
                .hasMessageContaining("maxPendingConnections");
        assertThatThrownBy(() -> MultiFdConfig.builder().maxPendingConnections(MultiFdConfig.MAX_PENDING_CONNECTIONS + 1))
                .hasMessageContaining("maxPendingConnections");
        assertThat(MultiFdConfig.defaults().maxPendingConnections()).isEqualTo(16);
        assertThat(MultiFdConfig.builder().maxPendingConnections(3).build().toBuilder().build().maxPendingConnections())
                .isEqualTo(3);
        assertThatThrownBy(() -> MultiFdConfig.builder().maxBandwidth(100)).hasMessageContaining("maxBandwidth");
        assertThat(MultiFdConfig.builder().maxBandwidth(0).build().maxBandwidth()).isZero();
    }

    @Test
    void timeoutsAreChecked() {
        assertThatThrownBy(() -> MultiFdConfig.builder().ioTimeout(Duration.ZERO)).hasMessageContaining("ioTimeout");
        assertThatThrownBy(() -> MultiFdConfig.builder().ioTimeout(Duration.ofMillis(5))).hasMessageContaining("30 ms");
        assertThatThrownBy(() -> MultiFdConfig.builder().connectTimeout(Duration.ofSeconds(-1)))
                .hasMessageContaining("connectTimeout");
        assertThatThrownBy(() -> MultiFdConfig.builder().finishTimeout(Duration.ofDays(2)))
                .hasMessageContaining("finishTimeout");
        assertThatThrownBy(() -> MultiFdConfig.builder().acceptTimeout(null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void compressionNamesAreChecked() {
        assertThat(MultiFdConfig.builder().codec("zstd", CodecOptions.level(3)).build().codecOptions())
                .hasToString("level=3");
        assertThatThrownBy(() -> MultiFdConfig.builder().codec("ZSTD")).hasMessageContaining("not a valid codec name");
        assertThat(MultiFdConfig.builder().allowedCodecs(Set.of("zstd")).build().allowedCodecs())
                .containsExactly("zstd");
        assertThatThrownBy(() -> MultiFdConfig.builder().allowedCodecs(Set.of("none", "Zstd")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("allowedCodecs: 'Zstd' is not a valid codec name ([a-z][a-z0-9_-]{0,31})");
        java.util.Set<String> withNull = new java.util.HashSet<>(java.util.Arrays.asList("zstd", null));
        assertThatThrownBy(() -> MultiFdConfig.builder().allowedCodecs(withNull)).isInstanceOf(NullPointerException.class)
                .hasMessage("allowedCodecs: a codec name is null");
    }

    @Test
    void codecOptionsParseAndPrintInOneSortedForm() {
        CodecOptions o = CodecOptions.parse("level=3,window=20");
        assertThat(o.intValue("level")).hasValue(3);
        assertThat(o.get("window")).isEqualTo("20");
        assertThat(CodecOptions.of(Map.of("window", "20", "level", "3"))).isEqualTo(o).hasToString("level=3,window=20");
        assertThat(CodecOptions.parse("")).isSameAs(CodecOptions.NONE);
        assertThatThrownBy(() -> CodecOptions.parse("level")).hasMessageContaining("not key=value");
        assertThatThrownBy(() -> CodecOptions.parse("level=1,level=2")).hasMessageContaining("given twice");
        assertThatThrownBy(() -> CodecOptions.parse("Level=1")).hasMessageContaining("key 'Level'");
        assertThatThrownBy(() -> CodecOptions.parse("level=a b")).hasMessageContaining("malformed value");
        assertThatThrownBy(() -> CodecOptions.parse("level=x").intValue("level")).hasMessageContaining("integer");
        StringBuilder longText = new StringBuilder();
        for (int i = 0; i < 20; i++) {
            longText.append(i == 0 ? "" : ",").append("k").append(i).append("=").append("v".repeat(20));
        }
        assertThatThrownBy(() -> CodecOptions.parse(longText.toString())).hasMessageContaining("longer than 255");
    }

    @Test
    void sessionIdsPrintAndParse() {
        SessionId s = new SessionId(0x0123456789abcdefL, 0xfedcba9876543210L);
        assertThat(s).hasToString("01234567-89ab-cdef-fedc-ba9876543210");
        assertThat(SessionId.parse(s.toString())).isEqualTo(s);
        assertThat(SessionId.parse("0123456789abcdeffedcba9876543210")).isEqualTo(s);
        assertThat(SessionId.random()).isNotEqualTo(SessionId.random());
        assertThatThrownBy(() -> SessionId.parse("xyz")).hasMessageContaining("32 hexadecimal digits");
    }

    @Test
    void malformedPacketMessagesNameChannelOffsetFieldAndValue() {
        MalformedPacketException e = new MalformedPacketException(ProtocolCode.MALFORMED, 2, 1052736, "ram.offset",
                Long.MAX_VALUE, "beyond block 'pc.ram' (length 1073741824)");
        assertThat(e).hasMessage("channel 2, stream offset 1052736, field 'ram.offset' = 9223372036854775807: "
                + "beyond block 'pc.ram' (length 1073741824)");
        assertThat(e.field()).isEqualTo("ram.offset");
        assertThat(e.value()).isEqualTo("9223372036854775807");
        assertThat(e.code()).isEqualTo(ProtocolCode.MALFORMED);
        assertThat(new MalformedPacketException(ProtocolCode.LENGTH, -1, -1, "x", "y".repeat(200), null).getMessage())
                .startsWith("field 'x' = yyy").endsWith("...").hasSizeLessThan(100);
        MigrationFailedException m = new MigrationFailedException("send failed", e);
        assertThat(m.code()).isEqualTo(ProtocolCode.MALFORMED);
        assertThat(m).hasMessageStartingWith("send failed: channel 2").hasCause(e);
        // a lost connection that is not a MultiFdException is a transport failure, whatever else is not
        assertThat(new MigrationFailedException("x", new java.io.EOFException("the peer closed the connection")).code())
                .isEqualTo(ProtocolCode.TRANSPORT);
        assertThat(new MigrationFailedException("x", new java.net.SocketException("Connection reset")).code())
                .isEqualTo(ProtocolCode.TRANSPORT);
        assertThat(new MigrationFailedException("x", new java.io.IOException("disk full")).code())
                .isEqualTo(ProtocolCode.FAILED);
        assertThat(new MigrationFailedException("x", new IllegalStateException("bug")).outcomeUnknown()).isFalse();
        assertThat(ProtocolCode.of(null)).isEqualTo(ProtocolCode.FAILED);
        assertThat(ProtocolCode.of(e)).isEqualTo(ProtocolCode.MALFORMED);
        assertThat(ProtocolCode.ofWire(3)).isEqualTo(ProtocolCode.SESSION_MISMATCH);
        assertThat(ProtocolCode.ofWire(9999)).isEqualTo(ProtocolCode.UNKNOWN);
    }
}
