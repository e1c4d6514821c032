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
package io.multifd.ram.snapshot;

import java.time.Duration;

/**
 * What a save or a restore did. Immutable.
 *
 * @param ramBytes  the length of the blocks saved or restored
 * @param pages     pages with data written (a save: every write, so a page saved in two rounds
 *                  counts twice) or read (a restore: the pages present in the file)
 * @param zeroPages zero pages: not written (a save) or not in the file (a restore)
 * @param bytes     bytes written to the file (a save, header and bitmaps included) or read from it
 *                  (a restore, page data only)
 * @param endOffset the first byte after the snapshot in its file
 * @param elapsed   the time from the start of the save or restore to its end
 */
public record SnapshotStats(long ramBytes, long pages, long zeroPages, long bytes, long endOffset, Duration elapsed) {
}
