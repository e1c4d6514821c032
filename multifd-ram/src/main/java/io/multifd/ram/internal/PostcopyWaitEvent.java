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

/**
 * A {@code require} call on the destination that had to wait: from the call until every page of
 * its range was present (the request latency a running guest would see). Recorded by the
 * application thread that called it, only when the pages arrived (a wait that times out or fails
 * throws instead); calls that found their pages present record nothing.
 */
@Name(PostcopyWaitEvent.NAME)
@Label("Post-copy Wait")
@Category({"multifd", "ram"})
@Description("A require call on the destination that waited for missing pages")
@StackTrace(false)
public final class PostcopyWaitEvent extends jdk.jfr.Event {

    /** The event's name. */
    public static final String NAME = "io.multifd.ram.PostcopyWait";

    /** The block's name. */
    @Label("Block")
    public String block;

    /** The first page of the range. */
    @Label("First Page")
    public long firstPage;

    /** The pages of the range. */
    @Label("Pages")
    public long pages;
}
