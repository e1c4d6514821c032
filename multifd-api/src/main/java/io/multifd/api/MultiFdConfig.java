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

import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The configuration of one side of a migration: channel count, codec, caps on every length read
 * from the peer, timeouts and the optional bandwidth cap.
 *
 * <p>Immutable and thread-safe once built; every value is validated by the {@link Builder} when it
 * is set, so a bad option fails before any connection is made. {@link Builder}s are not
 * thread-safe. Some settings concern only one side; each says which. The defaults suit a
 * migration over a LAN.
 *
 * <pre>{@code
 * MultiFdConfig config = MultiFdConfig.builder()
 *         .channels(4)
 *         .codec("zstd", CodecOptions.level(1))
 *         .maxBandwidth(1L << 30)       // 1 GiB/s on the wire
 *         .build();
 * }</pre>
 */
public final class MultiFdConfig {

    /** Largest channel count the protocol allows. */
    public static final int MAX_CHANNELS = 255;

    /** The largest {@link Builder#maxPendingConnections(int)}. */
    public static final int MAX_PENDING_CONNECTIONS = 1024;
    /** Smallest value of {@link #maxPacketDataLength()}. */
    public static final int MIN_PACKET_DATA_LENGTH = 4096;
    /** Largest value of {@link #maxPacketDataLength()}: 64 MiB. */
    public static final int MAX_PACKET_DATA_LENGTH = 64 << 20;
    /** Largest value of {@link #maxPayloadHeaderLength()}: 16 MiB. */
    public static final int MAX_PAYLOAD_HEADER_LENGTH = 16 << 20;
    /** Largest value of {@link #maxManifestLength()}: 256 MiB. */
    public static final int MAX_MANIFEST_LENGTH = 256 << 20;

    private final int channels;
    private final String codec;
    private final CodecOptions codecOptions;
    private final int maxPacketDataLength;
    private final int maxPayloadHeaderLength;
    private final int maxManifestLength;
    private final int maxChannels;
    private final int maxPendingConnections;
    private final Set<String> allowedCodecs;
    private final Duration connectTimeout;
    private final Duration handshakeTimeout;
    private final Duration ioTimeout;
    private final Duration finishTimeout;
    private final Duration acceptTimeout;
    private final long maxBandwidth;
    private final DataChecksum dataChecksum;
    private final SessionId sessionId;

    private MultiFdConfig(Builder b) {
        this.channels = b.channels;
        this.codec = b.codec;
        this.codecOptions = b.codecOptions;
        this.maxPacketDataLength = b.maxPacketDataLength;
        this.maxPayloadHeaderLength = b.maxPayloadHeaderLength;
        this.maxManifestLength = b.maxManifestLength;
        this.maxChannels = b.maxChannels;
        this.maxPendingConnections = b.maxPendingConnections;
        this.allowedCodecs = Collections.unmodifiableSet(new LinkedHashSet<>(b.allowedCodecs));
        this.connectTimeout = b.connectTimeout;
        this.handshakeTimeout = b.handshakeTimeout;
        this.ioTimeout = b.ioTimeout;
        this.finishTimeout = b.finishTimeout;
        this.acceptTimeout = b.acceptTimeout;
        this.maxBandwidth = b.maxBandwidth;
        this.dataChecksum = b.dataChecksum;
        this.sessionId = b.sessionId;
    }

    /** Returns a builder with every default. */
    public static Builder builder() {
        return new Builder();
    }

    /** Returns the default configuration. */
    public static MultiFdConfig defaults() {
        return new Builder().build();
    }

    /** Returns a builder initialised with this configuration's values. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.channels = channels;
        b.codec = codec;
        b.codecOptions = codecOptions;
        b.maxPacketDataLength = maxPacketDataLength;
        b.maxPayloadHeaderLength = maxPayloadHeaderLength;
        b.maxManifestLength = maxManifestLength;
        b.maxChannels = maxChannels;
        b.maxPendingConnections = maxPendingConnections;
        b.allowedCodecs = new LinkedHashSet<>(allowedCodecs);
        b.connectTimeout = connectTimeout;
        b.handshakeTimeout = handshakeTimeout;
        b.ioTimeout = ioTimeout;
        b.finishTimeout = finishTimeout;
        b.acceptTimeout = acceptTimeout;
        b.maxBandwidth = maxBandwidth;
        b.dataChecksum = dataChecksum;
        b.sessionId = sessionId;
        return b;
    }

    /** Sender: how many channels to open, 1 to 255. Default 2. */
    public int channels() {
        return channels;
    }

    /** Sender: the codec by name, such as {@code none} or {@code zstd}. Default {@code none}. */
    public String codec() {
        return codec;
    }

    /** Sender: the codec's options, validated by the codec when the sender connects. Default none. */
    public CodecOptions codecOptions() {
        return codecOptions;
    }

    /**
     * Both sides: the largest data length of one packet, before and after encoding. The sender
     * refuses to send larger packets; the receiver refuses a sender that announces a larger
     * maximum, and any packet whose lengths exceed it, before reading or allocating. Default 4 MiB.
     */
    public int maxPacketDataLength() {
        return maxPacketDataLength;
    }

    /** Both sides: the largest payload header of one packet (RAM: name and page offsets). Default 64 KiB. */
    public int maxPayloadHeaderLength() {
        return maxPayloadHeaderLength;
    }

    /** Receiver: the largest session manifest accepted. Default 16 MiB. */
    public int maxManifestLength() {
        return maxManifestLength;
    }

    /** Receiver: the largest channel count accepted from a sender. Default 64. */
    public int maxChannels() {
        return maxChannels;
    }

    /**
     * How many connections the receiver handshakes at a time, those that have not yet sent a hello
     * that matches the session (default 16). A connection beyond it is closed at once, and logged;
     * connections that have not proved themselves never fail the migration.
     *
     * @return 1 to {@value #MAX_PENDING_CONNECTIONS}
     */
    public int maxPendingConnections() {
        return maxPendingConnections;
    }

    /** Receiver: codec names a sender may select; empty means any codec present. Default empty. */
    public Set<String> allowedCodecs() {
        return allowedCodecs;
    }

    /** Sender: how long one channel may take to connect (retrying while refused). Default 10 s. */
    public Duration connectTimeout() {
        return connectTimeout;
    }

    /** Both sides: how long a hello, a manifest, or their replies may take. Default 10 s. */
    public Duration handshakeTimeout() {
        return handshakeTimeout;
    }

    /**
     * Both sides: how long a read may receive nothing, or a write after the handshake may send
     * nothing, before the channel is declared dead; and how long a wait that depends on other
     * channels (an idle channel for {@code send()}, the sync barrier, every channel's end of
     * stream) may go on while no channel moves a byte. Idle sender channels send a keepalive at a
     * third of this. Default 30 s.
     */
    public Duration ioTimeout() {
        return ioTimeout;
    }

    /**
     * Both sides: at the end, how long the sender waits for COMPLETED from the receiver, and the
     * receiver for the sender's commit and for its plug-ins (device loaders) to finish.
     * Default 60 s.
     */
    public Duration finishTimeout() {
        return finishTimeout;
    }

    /** Receiver: how long to wait for all channels to connect. Default 60 s. */
    public Duration acceptTimeout() {
        return acceptTimeout;
    }

    /** Sender: the cap on bytes per second written on all channels together, headers included; 0 for none. */
    public long maxBandwidth() {
        return maxBandwidth;
    }

    /** Sender: which packet data carries a CRC32C. Default {@link DataChecksum#ENCODED}. */
    public DataChecksum dataChecksum() {
        return dataChecksum;
    }

    /** Sender: a fixed session id (for tests and reproducible runs); empty means a random one per migration. */
    public Optional<SessionId> sessionId() {
        return Optional.ofNullable(sessionId);
    }

    @Override
    public String toString() {
        return "MultiFdConfig[channels=" + channels + ", codec=" + codec
                + (codecOptions.isEmpty() ? "" : "(" + codecOptions + ")")
                + ", maxPacketDataLength=" + maxPacketDataLength
                + ", maxPayloadHeaderLength=" + maxPayloadHeaderLength
                + ", maxManifestLength=" + maxManifestLength + ", maxChannels=" + maxChannels + ", maxPendingConnections=" + maxPendingConnections
                + ", allowedCodecs=" + allowedCodecs + ", connectTimeout=" + connectTimeout
                + ", handshakeTimeout=" + handshakeTimeout + ", ioTimeout=" + ioTimeout
                + ", finishTimeout=" + finishTimeout + ", acceptTimeout=" + acceptTimeout
                + ", maxBandwidth=" + maxBandwidth + ", dataChecksum=" + dataChecksum + "]";
    }

    /**
     * Builds a {@link MultiFdConfig}. Each setter validates its argument and throws
     * {@link IllegalArgumentException} naming the option. Not thread-safe.
     */
    public static final class Builder {
        private int channels = 2;
        private String codec = "none";
        private CodecOptions codecOptions = CodecOptions.NONE;
        private int maxPacketDataLength = 4 << 20;
        private int maxPayloadHeaderLength = 64 << 10;
        private int maxManifestLength = 16 << 20;
        private int maxChannels = 64;
        private int maxPendingConnections = 16;
        private Set<String> allowedCodecs = new LinkedHashSet<>();
        private Duration connectTimeout = Duration.ofSeconds(10);
        private Duration handshakeTimeout = Duration.ofSeconds(10);
        private Duration ioTimeout = Duration.ofSeconds(30);
        private Duration finishTimeout = Duration.ofSeconds(60);
        private Duration acceptTimeout = Duration.ofSeconds(60);
        private long maxBandwidth;
        private DataChecksum dataChecksum = DataChecksum.ENCODED;
        private SessionId sessionId;

        private Builder() {
        }

        /**
         * @param channels 1 to {@value MultiFdConfig#MAX_CHANNELS}
         * @return this builder
         */
        public Builder channels(int channels) {
            this.channels = range("channels", channels, 1, MAX_CHANNELS);
            return this;
        }

        /**
         * Selects the codec by name, with default options.
         *
         * @param name a codec name such as {@code none}, {@code zstd}, {@code lz4}, {@code zlib}
         * @return this builder
         */
        public Builder codec(String name) {
            return codec(name, CodecOptions.NONE);
        }

        /**
         * Selects the codec by name, with options the codec validates when the sender connects.
         *
         * @param name    the codec name
         * @param options its options
         * @return this builder
         */
        public Builder codec(String name, CodecOptions options) {
            Objects.requireNonNull(name, "codec");
            this.codec = codecName("codec", name);
            this.codecOptions = Objects.requireNonNull(options, "codec options");
            return this;
        }

        /**
         * @param bytes {@value MultiFdConfig#MIN_PACKET_DATA_LENGTH} to {@value MultiFdConfig#MAX_PACKET_DATA_LENGTH}
         * @return this builder
         */
        public Builder maxPacketDataLength(int bytes) {
            this.maxPacketDataLength = range("maxPacketDataLength", bytes, MIN_PACKET_DATA_LENGTH, MAX_PACKET_DATA_LENGTH);
            return this;
        }

        /**
         * @param bytes 256 to {@value MultiFdConfig#MAX_PAYLOAD_HEADER_LENGTH}
         * @return this builder
         */
        public Builder maxPayloadHeaderLength(int bytes) {
            this.maxPayloadHeaderLength = range("maxPayloadHeaderLength", bytes, 256, MAX_PAYLOAD_HEADER_LENGTH);
            return this;
        }

        /**
         * @param bytes 1024 to {@value MultiFdConfig#MAX_MANIFEST_LENGTH}
         * @return this builder
         */
        public Builder maxManifestLength(int bytes) {
            this.maxManifestLength = range("maxManifestLength", bytes, 1024, MAX_MANIFEST_LENGTH);
            return this;
        }

        /**
         * @param max 1 to {@value MultiFdConfig#MAX_CHANNELS}
         * @return this builder
         */
        public Builder maxChannels(int max) {
            this.maxChannels = range("maxChannels", max, 1, MAX_CHANNELS);
            return this;
        }

        /**
         * @param names codec names a sender may select (each matching {@code [a-z][a-z0-9_-]{0,31}},
         *              as codec names do: {@code "Zstd"} is refused, not silently never matched);
         *              empty allows every codec present
         * @return this builder
         * @throws IllegalArgumentException if a name is not a valid codec name
         * @throws NullPointerException     if the set or a name is null
         */
        public Builder allowedCodecs(Set<String> names) {
            Objects.requireNonNull(names, "allowedCodecs");
            LinkedHashSet<String> copy = new LinkedHashSet<>();
            for (String n : names) {
                copy.add(codecName("allowedCodecs", n));
            }
            this.allowedCodecs = copy;
            return this;
        }

        private static String codecName(String option, String name) {
            Objects.requireNonNull(name, option + ": a codec name is null");
            if (!name.matches("[a-z][a-z0-9_-]{0,31}")) {
                throw new IllegalArgumentException(option + ": '" + name + "' is not a valid codec name ([a-z][a-z0-9_-]{0,31})");
            }
            return name;
        }

        /**
         * @param timeout positive, at most one day
         * @return this builder
         */
        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = timeout("connectTimeout", timeout);
            return this;
        }

        /**
         * Caps the connections the receiver handshakes at a time; see
         * {@link MultiFdConfig#maxPendingConnections()}.
         *
         * @param max 1 to {@value MultiFdConfig#MAX_PENDING_CONNECTIONS}
         * @return this builder
         */
        public Builder maxPendingConnections(int max) {
            this.maxPendingConnections = range("maxPendingConnections", max, 1, MAX_PENDING_CONNECTIONS);
            return this;
        }

        /**
         * @param timeout positive, at most one day
         * @return this builder
         */
        public Builder handshakeTimeout(Duration timeout) {
            this.handshakeTimeout = timeout("handshakeTimeout", timeout);
            return this;
        }

        /**
         * @param timeout at least 30 ms, at most one day
         * @return this builder
         */
        public Builder ioTimeout(Duration timeout) {
            this.ioTimeout = timeout("ioTimeout", timeout);
            if (timeout.toMillis() < 30) {
                throw new IllegalArgumentException("ioTimeout must be at least 30 ms: " + timeout);
            }
            return this;
        }

        /**
         * @param timeout positive, at most one day
         * @return this builder
         */
        public Builder finishTimeout(Duration timeout) {
            this.finishTimeout = timeout("finishTimeout", timeout);
            return this;
        }

        /**
         * @param timeout positive, at most one day
         * @return this builder
         */
        public Builder acceptTimeout(Duration timeout) {
            this.acceptTimeout = timeout("acceptTimeout", timeout);
            return this;
        }

        /**
         * @param bytesPerSecond 0 for no cap, otherwise at least 4096
         * @return this builder
         */
        public Builder maxBandwidth(long bytesPerSecond) {
            if (bytesPerSecond != 0 && bytesPerSecond < 4096) {
                throw new IllegalArgumentException("maxBandwidth must be 0 (no cap) or at least 4096 bytes/s: " + bytesPerSecond);
            }
            this.maxBandwidth = bytesPerSecond;
            return this;
        }

        /**
         * @param mode which packet data carries a CRC32C
         * @return this builder
         */
        public Builder dataChecksum(DataChecksum mode) {
            this.dataChecksum = Objects.requireNonNull(mode, "dataChecksum");
            return this;
        }

        /**
         * @param id a fixed session id, or {@code null} for a random one per migration
         * @return this builder
         */
        public Builder sessionId(SessionId id) {
            this.sessionId = id;
            return this;
        }

        /** Returns the immutable configuration. */
        public MultiFdConfig build() {
            return new MultiFdConfig(this);
        }

        private static int range(String name, int v, int min, int max) {
            if (v < min || v > max) {
                throw new IllegalArgumentException(name + " must be between " + min + " and " + max + ": " + v);
            }
            return v;
        }

        private static Duration timeout(String name, Duration d) {
            Objects.requireNonNull(d, name);
            if (d.isNegative() || d.isZero() || d.compareTo(Duration.ofDays(1)) > 0) {
                throw new IllegalArgumentException(name + " must be positive and at most one day: " + d);
            }
            return d;
        }
    }
}
