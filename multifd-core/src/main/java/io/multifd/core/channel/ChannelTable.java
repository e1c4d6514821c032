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
package io.multifd.core.channel;

import io.multifd.core.session.FailureLatch;
import io.multifd.core.session.SessionTerms;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The receiver's connections: those whose hello is still being read ("pending") and the accepted
 * channels, by id, with the session terms that sized the table. The accept loop fills it; the
 * failure fan-out, the shutdown and the statistics read snapshots. Thread-safe.
 */
public final class ChannelTable {

    private final ReentrantLock lock = new ReentrantLock();
    // guarded by lock
    private ReceiveChannel[] channels = new ReceiveChannel[0];
    private final List<ChannelIo> pending = new ArrayList<>();
    private volatile SessionTerms terms;

    /** Makes an empty table. */
    public ChannelTable() {
    }

    /**
     * Records a new connection, unless the migration failed (then the caller closes it).
     *
     * @param io    the connection, before its hello is read
     * @param latch the migration's first error, checked under the table's lock so that a failure
     *              either sees this connection or is seen here
     * @return false if the migration already failed
     */
    public boolean addPending(ChannelIo io, FailureLatch latch) {
        lock.lock();
        try {
            if (latch.failed()) {
                return false;
            }
            pending.add(io);
            return true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Forgets a pending connection that was dropped (closing it is the caller's).
     *
     * @param io the connection
     */
    public void removePending(ChannelIo io) {
        lock.lock();
        try {
            pending.remove(io);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Publishes the session terms once, from the first accepted hello, and sizes the table.
     *
     * @param sessionTerms the terms
     */
    public void open(SessionTerms sessionTerms) {
        lock.lock();
        try {
            if (terms != null) {
                throw new IllegalStateException("the session terms are fixed once");
            }
            channels = new ReceiveChannel[sessionTerms.channelCount()];
            terms = sessionTerms;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Records an accepted channel (its connection is no longer pending).
     *
     * @param channel the channel, its id not taken yet
     */
    public void add(ReceiveChannel channel) {
        lock.lock();
        try {
            channels[channel.id()] = channel;
            pending.remove(channel.io());
        } finally {
            lock.unlock();
        }
    }

    /** The session terms, or null before the first accepted hello. */
    public SessionTerms terms() {
        return terms;
    }

    /** A snapshot of the accepted channels, by id (null where none yet). */
    public ReceiveChannel[] channels() {
        lock.lock();
        try {
            return channels.clone();
        } finally {
            lock.unlock();
        }
    }

    /** A snapshot of the pending connections. */
    public List<ChannelIo> pending() {
        lock.lock();
        try {
            return new ArrayList<>(pending);
        } finally {
            lock.unlock();
        }
    }
}
