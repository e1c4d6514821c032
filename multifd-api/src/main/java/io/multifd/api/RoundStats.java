package io.multifd.api;

import java.time.Duration;

/**
 * What one round of an iterative transfer moved, reported to {@link MigrationListener}. The RAM
 * pre-copy driver sends one per round: round 1 is everything, later rounds what was dirtied
 * meanwhile. Immutable.
 *
 * @param round       1-based round number
 * @param items       items sent in this round (RAM: pages, zero pages included)
 * @param elidedItems of these, items sent as metadata only (RAM: zero pages)
 * @param rawBytes    data bytes before encoding
 * @param wireBytes   bytes written on all channels during the round
 * @param elapsed     duration of the round, its sync included
 * @param remaining   items still to send after the round (RAM: dirty pages left)
 * @param last        true for the final round (the source was paused for it)
 */
public record RoundStats(int round, long items, long elidedItems, long rawBytes, long wireBytes,
                         Duration elapsed, long remaining, boolean last) {

    /** Raw bytes per second of this round; 0 if no time elapsed. */
    public double rawBytesPerSecond() {
        double s = elapsed.toNanos() / 1e9;
        return s <= 0 ? 0 : rawBytes / s;
    }
}
