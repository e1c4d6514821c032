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
package io.multifd.core.session;

import io.multifd.api.MigrationListener;
import io.multifd.api.MigrationStats;
import io.multifd.api.SessionId;

/**
 * Wraps a user's listener so that its exceptions are logged and ignored: a progress bar must
 * never break a migration. Thread-safe if the wrapped listener is.
 */
public final class SafeListener implements MigrationListener {

    private static final System.Logger LOG = System.getLogger("io.multifd.core.listener");

    private final MigrationListener delegate;

    /**
     * @param delegate the user's listener
     */
    public SafeListener(MigrationListener delegate) {
        this.delegate = delegate == null ? MigrationListener.NONE : delegate;
    }

    private void failed(String event, RuntimeException e) {
        LOG.log(System.Logger.Level.WARNING, "migration listener threw from " + event + "; ignored", e);
    }

    @Override
    public void onConnected(SessionId sessionId, int channels, String codec) {
        try {
            delegate.onConnected(sessionId, channels, codec);
        } catch (RuntimeException e) {
            failed("onConnected", e);
        }
    }

    @Override
    public void onSync(long epoch) {
        try {
            delegate.onSync(epoch);
        } catch (RuntimeException e) {
            failed("onSync", e);
        }
    }

    @Override
    public void onCompleted(MigrationStats stats) {
        try {
            delegate.onCompleted(stats);
        } catch (RuntimeException e) {
            failed("onCompleted", e);
        }
    }

    @Override
    public void onFailed(Throwable cause) {
        try {
            delegate.onFailed(cause);
        } catch (RuntimeException e) {
            failed("onFailed", e);
        }
    }
}
