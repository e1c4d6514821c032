package io.multifd.api;

/**
 * Counters of one channel, as a snapshot. Immutable.
 *
 * @param channel   the channel id
 * @param packets   data packets sent or received (control packets such as SYNC not included)
 * @param rawBytes  payload data bytes before encoding (what the payloads carried)
 * @param wireBytes every byte written or read on this channel: handshake, headers, data, control
 * @param syncs     SYNC markers sent or received
 */
public record ChannelStats(int channel, long packets, long rawBytes, long wireBytes, long syncs) {
}
