package io.multifd.compress;

import io.multifd.api.spi.CodecContext;

/** A channel description for tests. */
record TestContext(int channelId, int channelCount, int maxDataLength) implements CodecContext {

    static TestContext of(int maxDataLength) {
        return new TestContext(0, 1, maxDataLength);
    }
}
