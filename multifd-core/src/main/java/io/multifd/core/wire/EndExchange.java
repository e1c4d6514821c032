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

import java.nio.ByteBuffer;
import java.time.Duration;

/**
 * The end of a migration on one channel, as both sides see it (see "The end of a migration" in
 * the protocol description):
 * <ol>
 *   <li>the sender writes SYNC markers until the last round is closed;</li>
 *   <li>the sender writes EOS carrying the channel's data packet and raw byte counts; the
 *       receiver {@linkplain #checkEos checks} them against what it read;</li>
 *   <li>once every channel reached EOS and every plug-in finished, the receiver replies COMPLETED
 *       with its own counts; the sender {@linkplain #checkCompleted checks} them against what it
 *       wrote. This is the commit point;</li>
 *   <li>the sender writes COMMIT and shuts its output; the receiver accepts only a COMMIT after
 *       EOS ({@link #isCommit}) and waits for it at most {@link #commitWait}.</li>
 * </ol>
 * Stateless; any thread.
 */
public final class EndExchange {

    /**
     * Extra time the receiver gives the sender's COMMIT beyond the finish timeout. It makes the
     * receiver's wait longer than the sender's wait for COMPLETED, which started earlier: when a
     * COMPLETED is lost, the sender's timeout fires first and its ABORT names the cause.
     */
    public static final Duration COMMIT_MARGIN = Duration.ofSeconds(2);

    private EndExchange() {
    }

    /**
     * Writes the EOS payload header ({@link Wire#EOS_LENGTH} bytes) into {@code into} from its
     * start and flips it.
     *
     * @param into     a buffer of at least {@link Wire#EOS_LENGTH} bytes, owned by the caller
     * @param packets  data packets written on the channel
     * @param rawBytes raw data bytes written on the channel
     * @return {@code into}, ready to be written
     */
    public static ByteBuffer eosBody(ByteBuffer into, long packets, long rawBytes) {
        into.clear();
        into.putLong(packets).putLong(rawBytes).flip();
        return into;
    }

    /**
     * Receiver side: checks the counts of an EOS payload header against what the channel read.
     *
     * @param body         the EOS payload header, read from index 0 (absolute reads)
     * @param channel      the channel id
     * @param streamOffset the EOS packet's offset in the inbound stream, or -1
     * @param packets      data packets this channel received
     * @param rawBytes     raw data bytes this channel received
     * @throws MalformedPacketException naming {@code eos.packets} or {@code eos.bytes} on a mismatch
     */
    public static void checkEos(ByteBuffer body, int channel, long streamOffset, long packets, long rawBytes)
            throws MalformedPacketException {
        long sentPackets = body.getLong(0);
        long sentBytes = body.getLong(8);
        if (sentPackets != packets) {
            throw new MalformedPacketException(ProtocolCode.MALFORMED, channel, streamOffset, "eos.packets", sentPackets,
                    "this channel received " + packets + " data packets");
        }
        if (sentBytes != rawBytes) {
            throw new MalformedPacketException(ProtocolCode.MALFORMED, channel, streamOffset, "eos.bytes", sentBytes,
                    "this channel received " + rawBytes + " data bytes");
        }
    }

    /**
     * Sender side: checks the receiver's COMPLETED counts against what the channel wrote.
     *
     * @param completed the COMPLETED reply
     * @param channel   the channel id
     * @param packets   data packets written on the channel
     * @param rawBytes  raw data bytes written on the channel
     * @throws MalformedPacketException naming {@code completed.counts} on a mismatch
     */
    public static void checkCompleted(Reply completed, int channel, long packets, long rawBytes)
            throws MalformedPacketException {
        if (completed.valueA() != packets || completed.valueB() != rawBytes) {
            throw new MalformedPacketException(ProtocolCode.MALFORMED, channel, -1, "completed.counts",
                    completed.valueA() + " packets / " + completed.valueB() + " bytes",
                    "the sender sent " + packets + " packets / " + rawBytes + " bytes on this channel");
        }
    }

    /**
     * Receiver side: whether a packet header is a well-formed COMMIT, the only packet allowed
     * after EOS.
     *
     * @param typeId       the packet's type id
     * @param flags        its flags
     * @param headerLength its payload header length
     * @return true for a COMMIT control packet without a payload header
     */
    public static boolean isCommit(int typeId, int flags, long headerLength) {
        return typeId == 0 && flags == Wire.FLAG_COMMIT && headerLength == 0;
    }

    /**
     * Receiver side: how long to wait for COMMIT after COMPLETED was written.
     *
     * @param finishTimeout the configured finish timeout
     * @return {@code finishTimeout} plus {@link #COMMIT_MARGIN}
     */
    public static Duration commitWait(Duration finishTimeout) {
        return finishTimeout.plus(COMMIT_MARGIN);
    }
}
