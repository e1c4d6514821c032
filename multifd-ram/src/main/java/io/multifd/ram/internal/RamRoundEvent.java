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
package io.multifd.ram.internal;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * One round of the RAM saver, from its start to its sync, with the figures of its
 * {@code RoundStats}. The engine's {@code io.multifd.Round} event covers the same sync epoch
 * (RAM round n is epoch n - 1) in packets and bytes; this one adds pages and the dirty pages
 * left. Recorded by the thread that runs the round.
 */
@Name(RamRoundEvent.NAME)
@Label("RAM Round")
@Category({"multifd", "ram"})
@Description("One pre-copy round of the RAM saver: pages sent, zero pages, dirty pages left")
@StackTrace(false)
public final class RamRoundEvent extends jdk.jfr.Event {

    /** The event's name. */
    public static final String NAME = "io.multifd.ram.Round";

    /** The session id. */
    @Label("Session")
    public String session;

    /** The round number, from 1. */
    @Label("Round")
    public int round;

    /** Pages sent, zero pages included. */
    @Label("Pages")
    public long pages;

    /** Of these, pages sent as metadata only. */
    @Label("Zero Pages")
    public long zeroPages;

    /** Page data bytes before encoding. */
    @Label("Raw Bytes")
    @DataAmount
    public long rawBytes;

    /** Bytes written on all channels during the round. */
    @Label("Wire Bytes")
    @DataAmount
    public long wireBytes;

    /** Dirty pages left after the round. */
    @Label("Remaining Pages")
    public long remaining;

    /** True for the final round. */
    @Label("Last")
    public boolean last;
}
