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

import io.multifd.api.spi.ReturnPath;

/**
 * The RAM payload's return-path messages (receiver to sender, protocol appendix A.4): their kinds
 * and sizes, shared by the destination that writes them ({@link PostcopyState}) and the source
 * that checks and reads them. Each message starts with a 4-byte fixed part: kind, reserved 0,
 * and a u16 (entries of a request, the block of a bitmap part, 0 otherwise).
 */
public final class RamReturnMessages {

    /** Return message kind: a page request (entries of block index, page count, first page). */
    public static final int KIND_REQUEST = 1;
    /** Return message kind: the release marker was applied. */
    public static final int KIND_RELEASED = 2;
    /** Return message kind: post-copy pages applied so far (u64 after the fixed part); paces the sender. */
    public static final int KIND_APPLIED = 3;
    /** Return message kind: part of the destination's missing-page bitmap, after a resume marker. */
    public static final int KIND_BITMAP = 4;
    /** Return message kind: the whole bitmap was sent (u64: the pages missing). */
    public static final int KIND_BITMAP_DONE = 5;
    /** Bytes of a bitmap message before its words: kind, reserved, u16 block, u32 words, u64 first word. */
    public static final int BITMAP_FIXED = 16;
    /** Words per bitmap message. */
    public static final int BITMAP_WORDS = (ReturnPath.MAX_MESSAGE_LENGTH - BITMAP_FIXED) / 8;
    /** Post-copy pages between two {@link #KIND_APPLIED} messages. */
    public static final int APPLIED_EVERY = 64;
    /** Bytes of a return message before its entries. */
    public static final int MESSAGE_FIXED = 4;
    /** Bytes of one request entry: u16 block, u16 reserved, u32 pages, u64 first page. */
    public static final int ENTRY = 16;
    /** Entries per request message. */
    public static final int MAX_ENTRIES = (ReturnPath.MAX_MESSAGE_LENGTH - MESSAGE_FIXED) / ENTRY;

    private RamReturnMessages() {
    }
}
