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
package io.multifd.core.inspect;

import io.multifd.api.MalformedPacketException;
import io.multifd.api.MultiFdConfig;
import io.multifd.api.RemoteFailureException;
import io.multifd.api.spi.PayloadPlugin;
import io.multifd.api.spi.PeerText;
import io.multifd.core.PluginRegistry;
import io.multifd.core.wire.ByteSource;
import io.multifd.core.wire.Crc;
import io.multifd.core.wire.EndExchange;
import io.multifd.core.wire.Hello;
import io.multifd.core.wire.Manifest;
import io.multifd.core.wire.PacketHeader;
import io.multifd.core.wire.PacketReader;
import io.multifd.core.wire.Wire;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Decodes one channel's inbound byte stream, as recorded, message by message: the hello, the
 * manifest (channel 0), then every packet (data packets with their payload header described by
 * the payload plug-in, KEEPALIVE, SYNC, EOS, COMMIT, ABORT). It applies the receiver's own checks
 * (CRCs, sequence, epoch, flags, lengths, EOS counts) with the receiver's default caps, and stops
 * at the first bad field, naming channel, offset, field and value as the receiver does. Data is
 * skipped (its CRC checked when it carries one), never decoded or kept.
 *
 * <p>Each call to {@link #inspect} is independent; an instance may be shared between threads.
 */
public final class StreamInspector {

    /**
     * One decoded message.
     *
     * @param kind   {@code hello}, {@code manifest}, {@code packet}, {@code KEEPALIVE}, {@code SYNC},
     *               {@code EOS}, {@code COMMIT}, {@code ABORT}, or {@code error} where parsing stopped
     * @param offset the message's offset in the stream
     * @param fields its fields by name, in wire order (numbers, strings, lists, maps)
     */
    public record Message(String kind, long offset, Map<String, Object> fields) {
    }

    /**
     * How a stream ended.
     *
     * @param bytes    bytes read
     * @param packets  data packets read
     * @param complete true if it ended with EOS and COMMIT and nothing after
     * @param stop     why parsing stopped, or an empty string for a complete stream
     */
    public record Summary(long bytes, long packets, boolean complete, String stop) {
    }

    private static final int CHUNK = 64 << 10;

    private final PluginRegistry registry;
    private final MultiFdConfig limits;

    /**
     * @param registry where payload plug-ins (to describe payload headers) and codec names come from
     * @param limits   the caps to check against (a receiver's configuration; its defaults if unsure)
     */
    public StreamInspector(PluginRegistry registry, MultiFdConfig limits) {
        this.registry = Objects.requireNonNull(registry, "registry");
        this.limits = Objects.requireNonNull(limits, "limits");
    }

    /**
     * Decodes {@code in} to its end or to the first bad field.
     *
     * @param in  the stream, read to its end or to where parsing stopped; not closed
     * @param out receives each message in stream order (also the final {@code error}, if any)
     * @return how the stream ended
     * @throws IOException if reading {@code in} fails (not for damaged bytes: those end in a summary)
     */
    public Summary inspect(InputStream in, Consumer<Message> out) throws IOException {
        Source src = new Source(in);
        long packets = 0;
        try {
            long at = src.offset();
            Hello h = Hello.read(src);
            src.channel = h.channelId();
            Map<String, Object> hf = new LinkedHashMap<>();
            hf.put("versions", h.minVersion() + ".." + h.maxVersion());
            hf.put("session", h.sessionId().toString());
            hf.put("channel", h.channelId());
            hf.put("channels", h.channelCount());
            hf.put("codec", registry.codec(h.codecId()).map(c -> c.name()).orElse("id " + h.codecId()));
            hf.put("codecParameters", PeerText.escape(h.codecParameters()));
            hf.put("maxData", h.maxPacketDataLength());
            out.accept(new Message("hello", at, hf));
            if (h.channelId() == 0) {
                at = src.offset();
                Manifest m = Manifest.read(src, limits.maxManifestLength());
                List<Object> records = new ArrayList<>();
                for (Manifest.Record r : m.records()) {
                    Map<String, Object> rf = new LinkedHashMap<>();
                    rf.put("type", r.typeId());
                    rf.put("payload", payloadName(r.typeId()));
                    rf.put("length", r.bytes().length);
                    records.add(rf);
                }
                out.accept(new Message("manifest", at, Map.of("records", records)));
            }
            int maxData = (int) Math.min(Integer.toUnsignedLong(h.maxPacketDataLength()), Integer.MAX_VALUE);
            PacketReader reader = new PacketReader(src, h.channelId(), limits.maxPayloadHeaderLength(), maxData, () -> { });
            long rawBytes = 0;
            while (true) {
                reader.readHeader("packet header");
                PacketHeader ph = reader.header();
                at = reader.headerOffset();
                if (reader.isControl()) {
                    PacketReader.Control c;
                    try {
                        c = reader.control();
                    } catch (RemoteFailureException e) {
                        out.accept(new Message("ABORT", at, Map.of("sequence", ph.sequence, "reason", e.getMessage())));
                        return new Summary(src.offset(), packets, false, "the sender aborted");
                    }
                    Map<String, Object> cf = new LinkedHashMap<>();
                    cf.put("sequence", ph.sequence);
                    cf.put("epoch", ph.epoch);
                    if (c == PacketReader.Control.EOS) {
                        cf.put("packets", reader.eosBody().getLong(0));
                        cf.put("bytes", reader.eosBody().getLong(8));
                        out.accept(new Message("EOS", at, cf));
                        EndExchange.checkEos(reader.eosBody(), h.channelId(), at, packets, rawBytes);
                        reader.readCommit();
                        out.accept(new Message("COMMIT", reader.headerOffset(), Map.of("sequence", reader.header().sequence)));
                        if (in.read() >= 0) {
                            return stopped(src, packets, out, "bytes after COMMIT at offset " + src.offset());
                        }
                        return new Summary(src.offset(), packets, true, "");
                    }
                    out.accept(new Message(c.name(), at, cf));
                    if (c == PacketReader.Control.SYNC) {
                        reader.nextEpoch();
                    }
                    continue;
                }
                reader.checkDataPacket(h.codecId() == 0);
                reader.readPayloadHeader();
                Map<String, Object> pf = new LinkedHashMap<>();
                pf.put("sequence", ph.sequence);
                pf.put("epoch", ph.epoch);
                pf.put("type", ph.typeId);
                pf.put("payload", payloadName(ph.typeId));
                pf.put("flags", Wire.flagNames(ph.flags));
                pf.put("headerLength", ph.headerLength);
                pf.put("rawLength", ph.rawLength);
                pf.put("encodedLength", ph.encodedLength);
                pf.put("header", describe(ph.typeId, reader.payloadHeader()));
                out.accept(new Message("packet", at, pf));
                int crc = src.skip(ph.encodedLength);
                if ((ph.flags & Wire.FLAG_DATA_CRC) != 0) {
                    reader.checkDataCrc(crc);
                }
                packets++;
                rawBytes += ph.rawLength;
            }
        } catch (MalformedPacketException e) {
            Map<String, Object> ef = new LinkedHashMap<>();
            ef.put("channel", e.channel());
            ef.put("field", e.field());
            ef.put("value", e.value());
            ef.put("message", e.getMessage());
            out.accept(new Message("error", e.streamOffset(), ef));
            return new Summary(src.offset(), packets, false, e.getMessage());
        } catch (EOFException e) {
            return stopped(src, packets, out, e.getMessage());
        }
    }

    private static Summary stopped(Source src, long packets, Consumer<Message> out, String why) {
        Map<String, Object> ef = new LinkedHashMap<>();
        ef.put("channel", src.channel);
        ef.put("message", why);
        out.accept(new Message("error", src.offset(), ef));
        return new Summary(src.offset(), packets, false, why);
    }

    private String payloadName(int typeId) {
        return registry.payload(typeId).map(PayloadPlugin::name).orElse("unknown");
    }

    private Map<String, Object> describe(int typeId, ByteBuffer header) {
        PayloadPlugin<?> p = registry.payload(typeId).orElse(null);
        if (p == null) {
            return Map.of();
        }
        try {
            return p.describeHeader(header.duplicate());
        } catch (RuntimeException e) {
            return Map.of("error", "the plug-in could not describe it: " + e);
        }
    }

    /** The stream as a {@link ByteSource}, counting offsets; the data skipper computes the CRC. */
    private static final class Source implements ByteSource {
        private final InputStream in;
        private final byte[] chunk = new byte[CHUNK];
        private final Crc crc = new Crc();
        private long offset;
        private int channel = -1;

        Source(InputStream in) {
            this.in = in;
        }

        @Override
        public void readFully(ByteBuffer dst, String what) throws IOException {
            while (dst.hasRemaining()) {
                int n = in.read(chunk, 0, Math.min(chunk.length, dst.remaining()));
                if (n < 0) {
                    throw new EOFException("the stream ends at offset " + offset + " while reading " + what);
                }
                dst.put(chunk, 0, n);
                offset += n;
            }
        }

        /** Reads and drops {@code length} bytes; returns their CRC32C. */
        int skip(long length) throws IOException {
            crc.reset();
            ByteBuffer b = ByteBuffer.wrap(chunk);
            long left = length;
            while (left > 0) {
                int n = in.read(chunk, 0, (int) Math.min(chunk.length, left));
                if (n < 0) {
                    throw new EOFException("the stream ends at offset " + offset + " while reading packet data");
                }
                crc.update(b, 0, n);
                offset += n;
                left -= n;
            }
            return crc.value();
        }

        @Override
        public long offset() {
            return offset;
        }

        @Override
        public int channel() {
            return channel;
        }
    }
}
