package io.multifd.devicestate;

import java.nio.ByteBuffer;
import java.util.concurrent.Semaphore;

/** A hashing loader that takes a permit before each buffer: a loader as slow as the test wants. */
class GatedLoader extends HashingLoader {

    final Semaphore permits = new Semaphore(0);
    volatile Runnable onLoad;

    @Override
    public void load(ByteBuffer buffer) throws Exception {
        permits.acquire();   // interruptible: abort interrupts the load thread
        Runnable r = onLoad;
        if (r != null) {
            r.run();
        }
        super.load(buffer);
    }
}
