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
 * One migration on one side, from the start (the sender's connect, the receiver's first accepted
 * channel) to its end (completed, failed or closed). Committed once, by whichever thread ends the
 * migration; the figures are the final statistics.
 */
@Name(MigrationEvent.NAME)
@Label("Migration")
@Category("multifd")
@Description("One multifd migration on one side, start to end, with its final figures")
@StackTrace(false)
public final class MigrationEvent extends jdk.jfr.Event {

    /** The event's name. */
    public static final String NAME = "io.multifd.Migration";

    /** "sender" or "receiver". */
    @Label("Side")
    public String side;

    /** The session id. */
    @Label("Session")
    public String session;

    /** The channel count. */
    @Label("Channels")
    public int channels;

    /** The codec's name. */
    @Label("Codec")
    public String codec;

    /** Data packets over all channels. */
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

    /** Sync epochs completed. */
    @Label("Syncs")
    public long syncs;

    /** "completed" or "failed". */
    @Label("Outcome")
    public String outcome;

    /** The first error's message, or null when completed. */
    @Label("Failure")
    public String failure;
}
