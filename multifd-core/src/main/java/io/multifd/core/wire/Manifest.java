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
package io.multifd.core.wire;

import io.multifd.api.MalformedPacketException;
import io.multifd.api.ProtocolCode;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The session manifest: one opaque setup record per payload type, sent on channel 0 after its
 * hello was accepted. Immutable.
 *
 * @param records the records, in the order declared
 */
public record Manifest(List<Record> records) {

    /**
     * One payload type's setup record.
     *
     * @param typeId the payload's wire id
     * @param bytes  the record (not copied: treat as read-only)
     */
    public record Record(int typeId, byte[] bytes) {
    }

    /** Copies the list. */
    public Manifest {
        records = Collections.unmodifiableList(new ArrayList<>(records));
    }

    /**
     * Encodes the manifest, CRC included.
     *
     * @return the bytes
     */
    public ByteBuffer encode() {
        long body = 0;
        for (Record r : records) {
            body += Wire.MANIFEST_RECORD_HEADER + (long) r.bytes.length;
        }
        if (body > Integer.MAX_VALUE - 64) {
            throw new IllegalArgumentException("manifest too long: " + body + " bytes");
        }
        ByteBuffer b = ByteBuffer.allocate(Wire.MANIFEST_FIXED_LENGTH + (int) body + Wire.CRC_LENGTH);
        b.putInt(Wire.MANIFEST_MAGIC).putShort((short) records.size()).putShort((short) 0).putInt((int) body);
        for (Record r : records) {
            b.putShort((short) r.typeId).putShort((short) 0).putInt(r.bytes.length).put(r.bytes);
        }
        b.putInt(Crc.ofArray(b.array(), 0, b.position()));
        return b.flip();
    }

    /**
     * Reads and checks a manifest: magic, record count, body length against the cap (before
     * reading or allocating it), CRC, then every record's framing.
     *
     * @param in        channel 0's inbound stream
     * @param maxLength the receiver's cap on the body length
     * @return the manifest
     * @throws MalformedPacketException naming the field
     * @throws IOException              if the stream ends or fails
     */
    public static Manifest read(ByteSource in, int maxLength) throws IOException {
        long offset = in.offset();
        int ch = in.channel();
        ByteBuffer fixed = ByteBuffer.allocate(Wire.MANIFEST_FIXED_LENGTH);
        in.readFully(fixed, "manifest");
        int magic = fixed.getInt(0);
        if (magic != Wire.MANIFEST_MAGIC) {
            throw new MalformedPacketException(ProtocolCode.BAD_MAGIC, ch, offset, "manifest.magic",
                    String.format("0x%08x", magic), String.format("expected 0x%08x (\"MFDM\")", Wire.MANIFEST_MAGIC));
        }
        int count = Short.toUnsignedInt(fixed.getShort(4));
        if (count > Wire.MAX_MANIFEST_RECORDS) {
            throw new MalformedPacketException(ProtocolCode.LENGTH, ch, offset, "manifest.record count",
                    count, "exceeds the cap " + Wire.MAX_MANIFEST_RECORDS);
        }
        if (fixed.getShort(6) != 0) {
            throw new MalformedPacketException(ProtocolCode.MALFORMED, ch, offset, "manifest.reserved",
                    fixed.getShort(6), "must be 0");
        }
        long body = Integer.toUnsignedLong(fixed.getInt(8));
        if (body > maxLength) {
            throw new MalformedPacketException(ProtocolCode.LENGTH, ch, offset, "manifest.body length",
                    body, "exceeds the cap " + maxLength + " (maxManifestLength)");
        }
        ByteBuffer rest = ByteBuffer.allocate((int) body + Wire.CRC_LENGTH);
        in.readFully(rest, "manifest records");
        Crc crc = new Crc();
        crc.reset();
        crc.update(fixed, 0, Wire.MANIFEST_FIXED_LENGTH);
        crc.update(rest, 0, (int) body);
        int got = rest.getInt((int) body);
        if (got != crc.value()) {
            throw new MalformedPacketException(ProtocolCode.BAD_CRC, ch, offset, "manifest.crc",
                    String.format("0x%08x", got), String.format("computed 0x%08x", crc.value()));
        }
        List<Record> records = new ArrayList<>(count);
        Set<Integer> seen = new HashSet<>();
        int pos = 0;
        for (int i = 0; i < count; i++) {
            long recordOffset = offset + Wire.MANIFEST_FIXED_LENGTH + pos;
            if (body - pos < Wire.MANIFEST_RECORD_HEADER) {
                throw new MalformedPacketException(ProtocolCode.MALFORMED, ch, recordOffset, "manifest.record[" + i + "]",
                        body - pos, "only " + (body - pos) + " bytes left for a record header");
            }
            int typeId = Short.toUnsignedInt(rest.getShort(pos));
            int reserved = rest.getShort(pos + 2);
            long length = Integer.toUnsignedLong(rest.getInt(pos + 4));
            if (typeId == 0) {
                throw new MalformedPacketException(ProtocolCode.UNKNOWN_PAYLOAD, ch, recordOffset,
                        "manifest.record[" + i + "].payload type", 0, "0 is reserved for control packets");
            }
            if (!seen.add(typeId)) {
                throw new MalformedPacketException(ProtocolCode.MALFORMED, ch, recordOffset,
                        "manifest.record[" + i + "].payload type", typeId, "declared twice");
            }
            if (reserved != 0) {
                throw new MalformedPacketException(ProtocolCode.MALFORMED, ch, recordOffset,
                        "manifest.record[" + i + "].reserved", reserved, "must be 0");
            }
            if (length > body - pos - Wire.MANIFEST_RECORD_HEADER) {
                throw new MalformedPacketException(ProtocolCode.LENGTH, ch, recordOffset,
                        "manifest.record[" + i + "].length", length,
                        "exceeds the " + (body - pos - Wire.MANIFEST_RECORD_HEADER) + " bytes left in the manifest");
            }
            byte[] bytes = new byte[(int) length];
            rest.get(pos + Wire.MANIFEST_RECORD_HEADER, bytes);
            records.add(new Record(typeId, bytes));
            pos += Wire.MANIFEST_RECORD_HEADER + (int) length;
        }
        if (pos != body) {
            throw new MalformedPacketException(ProtocolCode.MALFORMED, ch, offset, "manifest.body length",
                    body, "the " + count + " records fill only " + pos + " bytes");
        }
        return new Manifest(records);
    }
}
