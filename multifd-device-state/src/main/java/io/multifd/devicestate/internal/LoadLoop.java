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
package io.multifd.devicestate.internal;

import io.multifd.devicestate.DeviceStateLoader;

import java.nio.ByteBuffer;

/**
 * The body of a device's load thread: takes the device's buffers in index order from its
 * {@link Source}, feeds each to the loader, and completes the loader after the last one. It holds
 * no lock and no shared state: the source does the waiting and the bookkeeping.
 */
final class LoadLoop implements Runnable {

    /** Where the loop takes its buffers and reports what happened; implemented by {@link Device}. */
    interface Source {
        /**
         * Waits until the next buffer in index order has arrived.
         *
         * @return the buffer, or {@code null} if the migration was aborted
         * @throws InterruptedException if the thread was interrupted (abort)
         */
        ReorderWindow.Entry take() throws InterruptedException;

        /**
         * The loader consumed a buffer {@link #take()} returned.
         *
         * @param e the buffer
         */
        void loaded(ReorderWindow.Entry e);

        /** The loader completed after the last buffer. */
        void completed();

        /**
         * The loader (or the wait) threw; the loop ends.
         *
         * @param t     what was thrown
         * @param index the buffer being loaded, or -1 if the loader failed to complete
         */
        void failed(Throwable t, int index);
    }

    private final DeviceStateLoader loader;
    private final Source source;

    LoadLoop(DeviceStateLoader loader, Source source) {
        this.loader = loader;
        this.source = source;
    }

    @Override
    public void run() {
        int index = -1;
        try {
            while (true) {
                ReorderWindow.Entry e = source.take();
                if (e == null) {
                    return;
                }
                index = e.index;
                if (e.length > 0) {
                    loader.load(ByteBuffer.wrap(e.data));
                }
                source.loaded(e);
                if (e.last) {
                    break;
                }
            }
            index = -1;
            loader.complete();
            source.completed();
        } catch (Throwable t) {
            source.failed(t, index);
        }
    }
}
