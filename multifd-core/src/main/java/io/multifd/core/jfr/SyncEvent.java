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
package io.multifd.core.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * One sync barrier on one side. Sender: the {@code sync()} call, from the request until every
 * channel wrote its SYNC marker. Receiver: from the first channel reaching the barrier to the
 * last (how long the fastest channel waited for the slowest).
 */
@Name(SyncEvent.NAME)
@Label("Sync")
@Category("multifd")
@Description("One sync barrier: the sender's sync() call, or the receiver's wait for its slowest channel")
@StackTrace(false)
public final class SyncEvent extends jdk.jfr.Event {

    /** The event's name. */
    public static final String NAME = "io.multifd.Sync";

    /** "sender" or "receiver". */
    @Label("Side")
    public String side;

    /** The epoch the barrier ended. */
    @Label("Epoch")
    public long epoch;

    /**
     * Ends this event and commits it if a recording wants it.
     *
     * @param side  "sender" or "receiver"
     * @param epoch the epoch the barrier ended
     */
    public void commit(String side, long epoch) {
        end();
        if (shouldCommit()) {
            this.side = side;
            this.epoch = epoch;
            commit();
        }
    }
}
