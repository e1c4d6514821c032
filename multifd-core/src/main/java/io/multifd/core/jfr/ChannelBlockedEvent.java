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
import jdk.jfr.Threshold;

/**
 * One transport read or write call that blocked longer than the event's threshold (20 ms unless
 * the recording sets another). On the sender a blocked write means the network or the receiver
 * did not keep up; on the receiver a blocked read usually means the sender had nothing to send.
 */
@Name(ChannelBlockedEvent.NAME)
@Label("Channel Blocked")
@Category("multifd")
@Description("A channel's transport read or write that blocked longer than the threshold")
@Threshold("20 ms")
@StackTrace(false)
public final class ChannelBlockedEvent extends jdk.jfr.Event {

    /** The event's name. */
    public static final String NAME = "io.multifd.ChannelBlocked";

    /** "sender" or "receiver". */
    @Label("Side")
    public String side;

    /** The channel id, or -1 before the receiver read the hello. */
    @Label("Channel")
    public int channel;

    /** "write" or "read". */
    @Label("Direction")
    public String direction;

    /** What was being written or read, such as "packet". */
    @Label("Operation")
    public String operation;

    /** Bytes the call moved (0 if it failed). */
    @Label("Bytes")
    @DataAmount
    public long bytes;

    /** The transport's description. */
    @Label("Transport")
    public String transport;
}
