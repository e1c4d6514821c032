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
 * A connection the receiver refused (its hello was malformed or did not match the session: it
 * got HELLO_REFUSE) or dropped (it arrived after the migration had already failed).
 */
@Name(ConnectionRefusedEvent.NAME)
@Label("Connection Refused")
@Category("multifd")
@Description("A connection the receiver refused (HELLO_REFUSE) or dropped")
@StackTrace(false)
public final class ConnectionRefusedEvent extends jdk.jfr.Event {

    /** The event's name. */
    public static final String NAME = "io.multifd.ConnectionRefused";

    /** "refused" or "dropped". */
    @Label("Action")
    public String action;

    /** The transport's description of the connection. */
    @Label("Transport")
    public String transport;

    /** The channel id the hello claimed, or -1 if unknown. */
    @Label("Channel")
    public int channel;

    /** Why. */
    @Label("Reason")
    public String reason;
}
