package io.multifd.compress;

import io.multifd.api.spi.HookContext;

/** A channel description for tests. */
record TestContext(int channelId, int channelCount, int maxDataLength) implements HookContext {

    static TestContext of(int maxDataLength) {
        return new TestContext(0, 1, maxDataLength);
    }
}
