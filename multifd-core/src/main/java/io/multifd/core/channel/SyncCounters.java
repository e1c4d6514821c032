package io.multifd.core.channel;

/**
 * A channel's counters as they stood at the SYNC marker it wrote (sender) or read (receiver)
 * last: what a sync epoch's figures are summed from. Read by the thread that ends the epoch,
 * after every channel passed that SYNC and before any channel can pass the next.
 */
public interface SyncCounters {

    /** @return data packets before the last SYNC */
    long packetsAtSync();

    /** @return raw payload bytes before the last SYNC */
    long rawBytesAtSync();

    /** @return wire bytes up to and including the last SYNC */
    long wireBytesAtSync();
}
