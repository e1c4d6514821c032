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
import io.multifd.api.spi.Codec;
import io.multifd.core.wire.Hello;
import io.multifd.api.spi.PeerText;
import io.multifd.core.wire.Wire;

import java.util.Objects;
import java.util.Optional;
import java.util.function.IntFunction;

/**
 * Decides whether the receiver accepts a hello, given the session so far: a pure function of the
 * hello, the {@link SessionSoFar} and this validator's fixed inputs (the receiver's configuration
 * and its codecs). It performs no I/O and changes nothing; the caller answers the channel and
 * keeps the returned session. Immutable and thread-safe.
 *
 * <p>{@link Hello#read} has already checked the framing (magic, parameter length, CRC, version
 * range order, channel count 1 to 255, channel id below the count, features). The checks here run
 * in this order, and the first that fails is the refusal:
 * <ol>
 *   <li>{@code hello.version}: the sender's range overlaps this receiver's
 *       ({@link ProtocolCode#UNSUPPORTED_VERSION});</li>
 *   <li>for the first hello of the session:
 *     <ol>
 *       <li>{@code hello.channel count}: at most {@link MultiFdConfig#maxChannels()} ({@link ProtocolCode#CHANNEL_COUNT});</li>
 *       <li>{@code hello.codec id}: a codec with that id is present ({@link ProtocolCode#UNKNOWN_CODEC});</li>
 *       <li>{@code hello.codec id}: it is in {@link MultiFdConfig#allowedCodecs()}, when that is not empty
 *           ({@link ProtocolCode#UNKNOWN_CODEC});</li>
 *       <li>{@code hello.codec id}: it is available here, {@link Codec#checkAvailable()} ({@link ProtocolCode#UNKNOWN_CODEC});</li>
 *       <li>{@code hello.codec parameters}: they parse and the codec accepts them ({@link ProtocolCode#CODEC_PARAMETERS});</li>
 *       <li>{@code hello.max packet data length}: from {@link MultiFdConfig#MIN_PACKET_DATA_LENGTH} to
 *           {@link MultiFdConfig#maxPacketDataLength()} ({@link ProtocolCode#PACKET_LENGTH});</li>
 *     </ol></li>
 *   <li>for every later hello, each field equals what the first fixed:
 *     <ol>
 *       <li>{@code hello.session id} ({@link ProtocolCode#SESSION_MISMATCH});</li>
 *       <li>{@code hello.channel count} ({@link ProtocolCode#CHANNEL_COUNT});</li>
 *       <li>{@code hello.codec id} ({@link ProtocolCode#UNKNOWN_CODEC});</li>
 *       <li>{@code hello.codec parameters}, the same options by value (any key order) ({@link ProtocolCode#CODEC_PARAMETERS});</li>
 *       <li>{@code hello.max packet data length} ({@link ProtocolCode#PACKET_LENGTH});</li>
 *     </ol></li>
 *   <li>{@code hello.channel id}: no channel with that id was accepted yet ({@link ProtocolCode#DUPLICATE_CHANNEL}).</li>
 * </ol>
 * An accepted hello answers with the highest common version.
 */
public final class HelloValidator {

    /** The outcome of {@link #check}: accepted or refused. */
    public sealed interface Verdict permits Accepted, Refused {
    }

    /**
     * The hello is accepted.
     *
     * @param session the session with this channel accepted (its terms fixed by the first hello)
     * @param version the protocol version to answer with
     */
    public record Accepted(SessionSoFar session, int version) implements Verdict {
    }

    /**
     * The hello is refused.
     *
     * @param code   the code to refuse with
     * @param field  the hello field that was wrong, e.g. {@code hello.session id}
     * @param value  the value it had
     * @param reason why it is refused
     * @param cause  the underlying failure (a codec's), or {@code null}
     */
    public record Refused(ProtocolCode code, String field, Object value, String reason, Throwable cause)
            implements Verdict {

        /**
         * @param channel the channel id the hello announced
         * @param offset  the hello's stream offset
         * @return the exception that fails the migration and whose message the refusal carries
         */
        public MalformedPacketException exception(int channel, long offset) {
            return new MalformedPacketException(code, channel, offset, field, value, reason, cause);
        }
    }

    private final MultiFdConfig config;
    private final IntFunction<Optional<Codec>> codecs;
    private final String codecNames;

    /**
     * @param config     the receiver's configuration (its caps and allowed codecs)
     * @param codecs     the receiver's codecs by wire id
     * @param codecNames their names, for messages
     */
    public HelloValidator(MultiFdConfig config, IntFunction<Optional<Codec>> codecs, String codecNames) {
        this.config = Objects.requireNonNull(config, "config");
        this.codecs = Objects.requireNonNull(codecs, "codecs");
        this.codecNames = Objects.requireNonNull(codecNames, "codecNames");
    }

    /**
     * Checks one hello, in the order the class documentation lists.
     *
     * @param h     the hello, already framing-checked by {@link Hello#read}
     * @param soFar the session before this hello
     * @return {@link Accepted} with the new session, or the first {@link Refused}
     */
    public Verdict check(Hello h, SessionSoFar soFar) {
        if (h.maxVersion() < Wire.MIN_VERSION || h.minVersion() > Wire.MAX_VERSION) {
            return new Refused(ProtocolCode.UNSUPPORTED_VERSION, "hello.version", h.minVersion() + ".." + h.maxVersion(),
                    "this receiver speaks " + Wire.MIN_VERSION + ".." + Wire.MAX_VERSION, null);
        }
        int version = Math.min(h.maxVersion(), Wire.MAX_VERSION);
        SessionTerms terms = soFar.terms();
        if (terms == null) {
            return first(h, soFar, version);
        }
        Refused r = later(h, terms);
        return r != null ? r : unlessDuplicate(h, soFar, terms, version);
    }

    /** The last check, shared by the first and later hellos. */
    private static Verdict unlessDuplicate(Hello h, SessionSoFar soFar, SessionTerms terms, int version) {
        if (soFar.accepted().contains(h.channelId())) {
            return new Refused(ProtocolCode.DUPLICATE_CHANNEL, "hello.channel id", h.channelId(),
                    "a channel with this id was already accepted", null);
        }
        return new Accepted(soFar.accept(terms, h.channelId()), version);
    }

    /** The first hello: fixes the terms, or is refused. */
    private Verdict first(Hello h, SessionSoFar soFar, int version) {
        if (h.channelCount() > config.maxChannels()) {
            return new Refused(ProtocolCode.CHANNEL_COUNT, "hello.channel count", h.channelCount(),
                    "exceeds this receiver's limit " + config.maxChannels(), null);
        }
        Codec codec = codecs.apply(h.codecId()).orElse(null);
        if (codec == null) {
            return new Refused(ProtocolCode.UNKNOWN_CODEC, "hello.codec id", h.codecId(),
                    "no such codec here (present: " + codecNames + ")", null);
        }
        if (!config.allowedCodecs().isEmpty() && !config.allowedCodecs().contains(codec.name())) {
            return new Refused(ProtocolCode.UNKNOWN_CODEC, "hello.codec id", codec.name(),
                    "not allowed by this receiver (allowed: " + config.allowedCodecs() + ")", null);
        }
        try {
            codec.checkAvailable();
        } catch (PluginUnavailableException e) {
            return new Refused(ProtocolCode.UNKNOWN_CODEC, "hello.codec id", codec.name(), e.getMessage(), e);
        }
        CodecOptions options;
        try {
            options = CodecOptions.parse(h.codecParameters());
            codec.validate(options);
        } catch (IllegalArgumentException e) {
            return new Refused(ProtocolCode.CODEC_PARAMETERS, "hello.codec parameters",
                    PeerText.escape(h.codecParameters()), PeerText.escape(e.getMessage()), null);
        }
        if (h.maxPacketDataLength() < MultiFdConfig.MIN_PACKET_DATA_LENGTH
                || h.maxPacketDataLength() > config.maxPacketDataLength()) {
            return new Refused(ProtocolCode.PACKET_LENGTH, "hello.max packet data length",
                    Integer.toUnsignedLong(h.maxPacketDataLength()),
                    "must be " + MultiFdConfig.MIN_PACKET_DATA_LENGTH + " to this receiver's maxPacketDataLength "
                            + config.maxPacketDataLength(), null);
        }
        SessionTerms terms = new SessionTerms(h.sessionId(), h.channelCount(), codec, options, h.maxPacketDataLength(),
                h.features());
        return unlessDuplicate(h, soFar, terms, version);
    }

    /** A later hello: null if it repeats the terms, else the first difference. */
    private static Refused later(Hello h, SessionTerms t) {
        if (!h.sessionId().equals(t.sessionId())) {
            return new Refused(ProtocolCode.SESSION_MISMATCH, "hello.session id", h.sessionId(),
                    "this session is " + t.sessionId(), null);
        }
        if (h.channelCount() != t.channelCount()) {
            return new Refused(ProtocolCode.CHANNEL_COUNT, "hello.channel count", h.channelCount(),
                    "earlier channels announced " + t.channelCount(), null);
        }
        if (h.codecId() != t.codec().id()) {
            return new Refused(ProtocolCode.UNKNOWN_CODEC, "hello.codec id", h.codecId(),
                    "earlier channels announced " + t.codec().id() + " (" + t.codec().name() + ")", null);
        }
        if (!t.codecOptions().equals(parsedOrNull(h.codecParameters()))) {
            return new Refused(ProtocolCode.CODEC_PARAMETERS, "hello.codec parameters",
                    PeerText.escape(h.codecParameters()),
                    "earlier channels announced '" + t.codecOptions() + "'", null);
        }
        if (h.maxPacketDataLength() != t.maxDataLength()) {
            return new Refused(ProtocolCode.PACKET_LENGTH, "hello.max packet data length", h.maxPacketDataLength(),
                    "earlier channels announced " + t.maxDataLength(), null);
        }
        if (h.features() != t.features()) {
            return new Refused(ProtocolCode.FEATURES, "hello.features", String.format("0x%x", h.features()),
                    String.format("earlier channels announced 0x%x", t.features()), null);
        }
        return null;
    }

    /** The options a later hello announced, compared by value (any key order), or null if they do not parse. */
    private static CodecOptions parsedOrNull(String text) {
        try {
            return CodecOptions.parse(text);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
