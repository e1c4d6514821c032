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
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * One sync epoch (a round of the engine) on one side: from the end of the previous epoch (or the
 * start) to the sync that ends it, with the epoch's exact figures. One per epoch and side.
 */
@Name(RoundEvent.NAME)
@Label("Round")
@Category("multifd")
@Description("One sync epoch: the packets between two sync barriers, with its figures")
@StackTrace(false)
public final class RoundEvent extends jdk.jfr.Event {

    /** The event's name. */
    public static final String NAME = "io.multifd.Round";

    /** "sender" or "receiver". */
    @Label("Side")
    public String side;

    /** The session id. */
    @Label("Session")
    public String session;

    /** The epoch number, from 0. */
    @Label("Epoch")
    public long epoch;

    /** Data packets in the epoch. */
    @Label("Packets")
    public long packets;

    /** Payload bytes before encoding. */
    @Label("Raw Bytes")
    @DataAmount
    public long rawBytes;

    /** Bytes on the wire. */
    @Label("Wire Bytes")
    @DataAmount
    public long wireBytes;
}
