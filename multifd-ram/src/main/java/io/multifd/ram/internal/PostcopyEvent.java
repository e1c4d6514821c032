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
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

/**
 * One post-copy on the source, as the {@code PostCopy} driver ran it: from the writers' pause to
 * the end of the post-copy stream (or, for a resumed post-copy, of this session's stream), with
 * the downtime and the page figures of its result. Recorded by the thread that runs the driver;
 * not recorded for a post-copy that pauses (the resumed one is).
 */
@Name(PostcopyEvent.NAME)
@Label("Post-copy")
@Category({"multifd", "ram"})
@Description("A post-copy on the source: downtime, pages missing at the switch-over, requests served")
@StackTrace(false)
public final class PostcopyEvent extends jdk.jfr.Event {

    /** The event's name. */
    public static final String NAME = "io.multifd.ram.Postcopy";

    /** The session id. */
    @Label("Session")
    public String session;

    /** True for a post-copy resumed over a new session after a break. */
    @Label("Resumed")
    public boolean resumed;

    /** From the writers' pause until the destination reported its release. */
    @Label("Downtime")
    @Timespan(Timespan.NANOSECONDS)
    public long downtime;

    /** Pages the destination lacked at the switch-over. */
    @Label("Missing Pages")
    public long missingPages;

    /** Request messages the destination sent (this session). */
    @Label("Requests")
    public long requests;

    /** Pages sent because they were requested, ahead of the background stream. */
    @Label("Requested Pages")
    public long requestedPages;
}
