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
package io.multifd.core.testkit;

import io.multifd.core.wire.Crc;
import io.multifd.core.wire.Wire;

import java.nio.ByteBuffer;

/**
 * Rewrites the CRC fields of a (mutated) message or packet stream so that they match again: a
 * fuzzer's mutations then reach the fields behind the CRCs instead of all stopping at the first
 * checksum. Fields that do not fit in the input are left as they are. Test code only; stateless.
 */
public final class WireRepair {

    private WireRepair() {
    }

    /** A hello with its CRC recomputed over the fixed part and the codec parameters. */
    public static byte[] hello(byte[] in) {
        return trailingCrc(in, Wire.HELLO_FIXED_LENGTH, 30, 2);
    }

    /** A reply with its CRC recomputed. */
    public static byte[] reply(byte[] in) {
        return trailingCrc(in, Wire.REPLY_FIXED_LENGTH, 10, 2);
    }

    /** A manifest with its CRC recomputed. */
    public static byte[] manifest(byte[] in) {
        return trailingCrc(in, Wire.MANIFEST_FIXED_LENGTH, 8, 4);
    }

    private static byte[] trailingCrc(byte[] in, int fixed, int lengthAt, int lengthWidth) {
        byte[] m = in.clone();
        if (m.length < fixed) {
            return m;
        }
        ByteBuffer b = ByteBuffer.wrap(m);
        long var = lengthWidth == 2 ? Short.toUnsignedInt(b.getShort(lengthAt)) : Integer.toUnsignedLong(b.getInt(lengthAt));
        long end = fixed + var;
        if (end + Wire.CRC_LENGTH <= m.length) {
            b.putInt((int) end, Crc.ofArray(m, 0, (int) end));
        }
        return m;
    }

    /**
     * A packet stream (what follows the hello, and the manifest on channel 0) with every packet's
     * payload header CRC, data CRC (when DATA_CRC is set) and header CRC recomputed.
     *
     * @param in   the stream
     * @param from where the first packet header starts
     * @return a repaired copy
     */
    public static byte[] packets(byte[] in, int from) {
        byte[] m = in.clone();
        ByteBuffer b = ByteBuffer.wrap(m);
        int pos = from;
        while (pos >= 0 && pos + Wire.PACKET_HEADER_LENGTH <= m.length) {
            long hl = Integer.toUnsignedLong(b.getInt(pos + 24));
            long enc = Integer.toUnsignedLong(b.getInt(pos + 32));
            int flags = Short.toUnsignedInt(b.getShort(pos + 6));
            long payloadAt = pos + (long) Wire.PACKET_HEADER_LENGTH;
            if (payloadAt + hl <= m.length) {
                b.putInt(pos + 40, hl == 0 ? 0 : Crc.ofArray(m, (int) payloadAt, (int) hl));
            }
            long dataAt = payloadAt + hl;
            if ((flags & Wire.FLAG_DATA_CRC) != 0 && dataAt + enc <= m.length) {
                b.putInt(pos + 36, Crc.ofArray(m, (int) dataAt, (int) enc));
            }
            b.putInt(pos + 44, Crc.ofArray(m, pos, 44));
            long next = dataAt + enc;
            if (next > m.length) {
                break;
            }
            pos = (int) next;
        }
        return m;
    }
}
