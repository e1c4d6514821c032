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
