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
package io.multifd.core.session;

import io.multifd.api.CodecOptions;
import io.multifd.api.MalformedPacketException;
import io.multifd.api.MultiFdConfig;
import io.multifd.api.PluginUnavailableException;
import io.multifd.api.ProtocolCode;
import io.multifd.api.SessionId;
import io.multifd.api.spi.Codec;
import io.multifd.api.spi.CodecContext;
import io.multifd.api.spi.CodecDecoder;
import io.multifd.api.spi.CodecEncoder;
import io.multifd.core.codec.NoneCodec;
import io.multifd.core.session.HelloValidator.Accepted;
import io.multifd.core.session.HelloValidator.Refused;
import io.multifd.core.session.HelloValidator.Verdict;
import io.multifd.core.wire.Hello;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every refusal the receiver makes of a decoded hello, and the accepting cases, as one table:
 * a hello, the session so far, and the expected verdict. No socket, no thread.
 */
class HelloValidatorTest {

    private static final SessionId A = new SessionId(1, 1);
    private static final SessionId B = new SessionId(2, 2);
    private static final int MAX_DATA = 1 << 20;

    /** A codec whose availability and accepted options the test fixes. */
    private static final class FakeCodec implements Codec {
        private final int id;
        private final String name;
        private final boolean available;

        FakeCodec(int id, String name, boolean available) {
            this.id = id;
            this.name = name;
            this.available = available;
        }

        @Override
        public int id() {
            return id;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public void checkAvailable() throws PluginUnavailableException {
            if (!available) {
                throw new PluginUnavailableException(name + ": native library not found", null);
            }
        }

        @Override
        public void validate(CodecOptions options) {
            for (String k : options.asMap().keySet()) {
                if (!k.equals("level") && !k.equals("window")) {
                    throw new IllegalArgumentException(name + " has no option '" + k + "'");
                }
            }
        }

        @Override
        public CodecEncoder newEncoder(CodecOptions options, CodecContext context) {
            throw new AssertionError("the hello validator must not open a codec");
        }

        @Override
        public CodecDecoder newDecoder(CodecOptions options, CodecContext context) {
            throw new AssertionError("the hello validator must not open a codec");
        }
    }

    private static final Codec NONE = new NoneCodec();
    private static final Codec FAST = new FakeCodec(7, "fast", true);
    private static final Codec MISSING = new FakeCodec(8, "missing", false);
    private static final Codec BANNED = new FakeCodec(9, "banned", true);
    private static final List<Codec> CODECS = List.of(NONE, FAST, MISSING, BANNED);

    private static final MultiFdConfig CONFIG = MultiFdConfig.builder().maxChannels(4).maxPacketDataLength(MAX_DATA)
            .allowedCodecs(Set.of("none", "fast", "missing")).build();

    private static final HelloValidator VALIDATOR = new HelloValidator(CONFIG,
            id -> CODECS.stream().filter(c -> c.id() == id).findFirst(), "none, fast, missing, banned");

    private static Hello hello(SessionId s, int id, int count, int codec, String params, int maxData) {
        return new Hello(1, 1, s, id, count, codec, params, 0, maxData);
    }

    private static Hello hello(int id, int count) {
        return hello(A, id, count, FAST.id(), "level=3", MAX_DATA);
    }

    private static Hello versions(int min, int max) {
        return new Hello(min, max, A, 0, 2, FAST.id(), "level=3", 0, MAX_DATA);
    }

    /** Session A with 2 channels, codec fast level=3, channel 0 accepted. */
    private static final SessionSoFar AFTER_CHANNEL_0 = SessionSoFar.EMPTY.accept(
            new SessionTerms(A, 2, FAST, CodecOptions.parse("level=3"), MAX_DATA), 0);

    /** As {@link #AFTER_CHANNEL_0}, with two codec options. */
    private static final SessionSoFar AFTER_CHANNEL_0_TWO_OPTIONS = SessionSoFar.EMPTY.accept(
            new SessionTerms(A, 2, FAST, CodecOptions.parse("level=3,window=8"), MAX_DATA), 0);

    /**
     * One row of the table.
     *
     * @param name    what the row shows
     * @param hello   the hello
     * @param soFar   the session before it
     * @param code    the expected refusal code, or null if accepted
     * @param field   the field the refusal names (or null)
     * @param reason  a part of the reason the refusal gives (or null)
     */
    record Row(String name, Hello hello, SessionSoFar soFar, ProtocolCode code, String field, String reason) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static Row refused(String name, Hello h, SessionSoFar s, ProtocolCode code, String field, String reason) {
        return new Row(name, h, s, code, field, reason);
    }

    private static Row accepted(String name, Hello h, SessionSoFar s) {
        return new Row(name, h, s, null, null, null);
    }

    static Stream<Row> table() {
        SessionSoFar empty = SessionSoFar.EMPTY;
        SessionSoFar s0 = AFTER_CHANNEL_0;
        return Stream.of(
                // 1. version, on any hello
                refused("version range below ours", versions(0, 0), empty, ProtocolCode.UNSUPPORTED_VERSION,
                        "hello.version", "this receiver speaks 1..1"),
                refused("version range above ours", versions(2, 5), empty, ProtocolCode.UNSUPPORTED_VERSION,
                        "hello.version", "this receiver speaks 1..1"),
                refused("version checked before the session on a later hello", new Hello(2, 3, B, 0, 9, 999, "x", 0, 1),
                        s0, ProtocolCode.UNSUPPORTED_VERSION, "hello.version", null),
                // 2. the first hello
                refused("channel count over maxChannels", hello(A, 0, 5, FAST.id(), "level=3", MAX_DATA), empty,
                        ProtocolCode.CHANNEL_COUNT, "hello.channel count", "exceeds this receiver's limit 4"),
                refused("channel count checked before the codec", hello(A, 0, 5, 999, "", 1), empty,
                        ProtocolCode.CHANNEL_COUNT, "hello.channel count", null),
                refused("unknown codec id", hello(A, 0, 1, 999, "", MAX_DATA), empty, ProtocolCode.UNKNOWN_CODEC,
                        "hello.codec id", "no such codec here (present: none, fast, missing, banned)"),
                refused("codec not allowed", hello(A, 0, 1, BANNED.id(), "", MAX_DATA), empty, ProtocolCode.UNKNOWN_CODEC,
                        "hello.codec id", "not allowed by this receiver"),
                refused("codec unavailable here", hello(A, 0, 1, MISSING.id(), "", MAX_DATA), empty,
                        ProtocolCode.UNKNOWN_CODEC, "hello.codec id", "native library not found"),
                refused("codec parameters that do not parse", hello(A, 0, 1, FAST.id(), "level", MAX_DATA), empty,
                        ProtocolCode.CODEC_PARAMETERS, "hello.codec parameters", null),
                refused("codec parameters the codec refuses", hello(A, 0, 1, FAST.id(), "speed=9", MAX_DATA), empty,
                        ProtocolCode.CODEC_PARAMETERS, "hello.codec parameters", "fast has no option 'speed'"),
                refused("codec parameters checked before the data length", hello(A, 0, 1, NONE.id(), "level=3", 1), empty,
                        ProtocolCode.CODEC_PARAMETERS, "hello.codec parameters", "codec 'none' takes no options"),
                refused("max data length below the minimum", hello(A, 0, 1, FAST.id(), "", MultiFdConfig.MIN_PACKET_DATA_LENGTH - 1),
                        empty, ProtocolCode.PACKET_LENGTH, "hello.max packet data length", "must be 4096 to"),
                refused("max data length over our cap", hello(A, 0, 1, FAST.id(), "", MAX_DATA + 1), empty,
                        ProtocolCode.PACKET_LENGTH, "hello.max packet data length", "maxPacketDataLength " + MAX_DATA),
                refused("max data length negative as int (huge unsigned)", hello(A, 0, 1, FAST.id(), "", -1), empty,
                        ProtocolCode.PACKET_LENGTH, "hello.max packet data length", null),
                accepted("first hello", hello(0, 2), empty),
                accepted("first hello need not be channel 0", hello(1, 2), empty),
                accepted("first hello at the limits", hello(A, 3, 4, NONE.id(), "", MultiFdConfig.MIN_PACKET_DATA_LENGTH), empty),
                accepted("version ranges that overlap", new Hello(1, 9, A, 0, 2, FAST.id(), "level=3", 0, MAX_DATA), empty),
                // 3. later hellos repeat the terms
                refused("another session", hello(B, 1, 2, FAST.id(), "level=3", MAX_DATA), s0, ProtocolCode.SESSION_MISMATCH,
                        "hello.session id", "this session is " + A),
                refused("session checked before the count", hello(B, 1, 3, FAST.id(), "level=3", MAX_DATA), s0,
                        ProtocolCode.SESSION_MISMATCH, "hello.session id", null),
                refused("another channel count", hello(A, 1, 3, FAST.id(), "level=3", MAX_DATA), s0, ProtocolCode.CHANNEL_COUNT,
                        "hello.channel count", "earlier channels announced 2"),
                refused("another codec", hello(A, 1, 2, NONE.id(), "level=3", MAX_DATA), s0, ProtocolCode.UNKNOWN_CODEC,
                        "hello.codec id", "earlier channels announced 7 (fast)"),
                accepted("the same codec parameters in another key order",
                        hello(A, 1, 2, FAST.id(), "window=8,level=3", MAX_DATA), AFTER_CHANNEL_0_TWO_OPTIONS),
                refused("later codec parameters that do not parse", hello(A, 1, 2, FAST.id(), "level", MAX_DATA), s0,
                        ProtocolCode.CODEC_PARAMETERS, "hello.codec parameters", "earlier channels announced 'level=3'"),
                refused("other codec parameters", hello(A, 1, 2, FAST.id(), "level=4", MAX_DATA), s0,
                        ProtocolCode.CODEC_PARAMETERS, "hello.codec parameters", "earlier channels announced 'level=3'"),
                refused("another max data length", hello(A, 1, 2, FAST.id(), "level=3", MAX_DATA / 2), s0,
                        ProtocolCode.PACKET_LENGTH, "hello.max packet data length", "earlier channels announced " + MAX_DATA),
                // 4. duplicates, after everything else
                refused("a channel id already accepted", hello(0, 2), s0, ProtocolCode.DUPLICATE_CHANNEL,
                        "hello.channel id", "already accepted"),
                refused("terms checked before duplicates", hello(A, 0, 2, FAST.id(), "level=4", MAX_DATA), s0,
                        ProtocolCode.CODEC_PARAMETERS, "hello.codec parameters", null),
                accepted("the second channel", hello(1, 2), s0)
        );
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("table")
    void verdict(Row row) {
        Verdict v = VALIDATOR.check(row.hello(), row.soFar());
        if (row.code() == null) {
            assertThat(v).as(row.name()).isInstanceOf(Accepted.class);
            Accepted a = (Accepted) v;
            assertThat(a.version()).isEqualTo(1);
            SessionTerms t = a.session().terms();
            assertThat(t.sessionId()).isEqualTo(row.hello().sessionId());
            assertThat(t.channelCount()).isEqualTo(row.hello().channelCount());
            assertThat(t.codec().id()).isEqualTo(row.hello().codecId());
            assertThat(t.codecOptions()).isEqualTo(CodecOptions.parse(row.hello().codecParameters()));
            assertThat(t.maxDataLength()).isEqualTo(row.hello().maxPacketDataLength());
            assertThat(a.session().accepted()).containsAll(row.soFar().accepted()).contains(row.hello().channelId())
                    .hasSize(row.soFar().accepted().size() + 1);
            if (row.soFar().terms() != null) {
                assertThat(t).as("later hellos keep the first hello's terms").isSameAs(row.soFar().terms());
            }
            return;
        }
        assertThat(v).as(row.name()).isInstanceOf(Refused.class);
        Refused r = (Refused) v;
        assertThat(r.code()).as(row.name()).isEqualTo(row.code());
        assertThat(r.field()).as(row.name()).isEqualTo(row.field());
        MalformedPacketException e = r.exception(row.hello().channelId(), 0);
        assertThat(e.code()).isEqualTo(row.code());
        assertThat(e.field()).isEqualTo(row.field());
        assertThat(e.getMessage()).contains("'" + row.field() + "'");
        if (row.reason() != null) {
            assertThat(r.reason()).as(row.name()).contains(row.reason());
        }
    }

    @Test
    void anUnavailableCodecKeepsItsFailureAsTheCause() {
        Verdict v = VALIDATOR.check(hello(A, 0, 1, MISSING.id(), "", MAX_DATA), SessionSoFar.EMPTY);
        assertThat(v).isInstanceOfSatisfying(Refused.class, r ->
                assertThat(r.exception(0, 0)).hasCauseInstanceOf(PluginUnavailableException.class));
    }

    @Test
    void theSessionIsCompleteWhenEveryChannelIsAccepted() {
        SessionSoFar s = SessionSoFar.EMPTY;
        for (int id : new int[] {1, 0}) {
            assertThat(s.complete()).isFalse();
            Verdict v = VALIDATOR.check(hello(id, 2), s);
            assertThat(v).isInstanceOf(Accepted.class);
            s = ((Accepted) v).session();
        }
        assertThat(s.complete()).isTrue();
        assertThat(s.accepted()).containsExactlyInAnyOrder(0, 1);
        assertThat(SessionSoFar.EMPTY.accepted()).as("the input is never changed").isEmpty();
    }
}
