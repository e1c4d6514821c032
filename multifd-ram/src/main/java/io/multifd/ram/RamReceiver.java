package io.multifd.ram;

import io.multifd.api.spi.PayloadChannelReceiver;
import io.multifd.api.spi.PayloadReceiver;
import io.multifd.ram.internal.BlockTable;
import io.multifd.ram.internal.PageBitmap;

import java.util.List;

/**
 * The RAM payload's receiving side for one session: the destination blocks, their per-packet page
 * caps and the name table. Immutable after construction, so every channel thread shares it; each
 * channel gets its own {@link RamChannelReceiver}.
 */
final class RamReceiver implements PayloadReceiver {

    final RamSetupRecord record;
    final RamBlock[] blocks;
    final int[] pagesPerPacket;
    final int maxPagesPerPacket;
    final BlockTable table;
    /** Per block, the pages this session wrote; null entries if the blocks did not start zeroed. */
    final PageBitmap[] written;

    RamReceiver(RamSetupRecord record, List<RamBlock> blocks, boolean startZeroed) {
        this.record = record;
        this.blocks = blocks.toArray(new RamBlock[0]);
        this.pagesPerPacket = new int[this.blocks.length];
        byte[][] names = new byte[this.blocks.length][];
        int max = 1;
        for (int i = 0; i < this.blocks.length; i++) {
            pagesPerPacket[i] = record.pagesPerPacket(this.blocks[i].pageSize());
            max = Math.max(max, pagesPerPacket[i]);
            names[i] = this.blocks[i].nameBytes();
        }
        this.maxPagesPerPacket = max;
        this.table = new BlockTable(names);
        this.written = new PageBitmap[this.blocks.length];
        if (startZeroed) {
            for (int i = 0; i < this.blocks.length; i++) {
                written[i] = new PageBitmap(this.blocks[i].pageCount());
            }
        }
    }

    @Override
    public PayloadChannelReceiver openChannel(int channelId) {
        return new RamChannelReceiver(this);
    }

    @Override
    public String toString() {
        return "RamReceiver[" + blocks.length + " blocks, batch " + record.batchBytes() + "]";
    }
}
