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
