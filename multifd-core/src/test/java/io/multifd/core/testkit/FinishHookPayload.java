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
package io.multifd.core.testkit;

import io.multifd.api.SetupRefusedException;
import io.multifd.api.spi.PayloadChannelReceiver;
import io.multifd.api.spi.PayloadReceiver;
import io.multifd.api.spi.ReceiveContext;
import io.multifd.testing.BlobPayload;
import io.multifd.testing.BlobSink;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * The blob payload whose receiving side's {@code finish} and {@code abort} run the test's hooks
 * (a slow finish, one that never returns, one that records its abort); everything else is the
 * blob payload's. The hooks run on the receiver's coordinating thread ({@code finish}) and on the
 * failing thread ({@code abort}). Register a plain instance (no hooks) on the sender.
 */
public class FinishHookPayload extends BlobPayload {

    /** The receiving side's finish. */
    @FunctionalInterface
    public interface Finish {
        /**
         * @param timeout the finish timeout
         * @throws IOException to fail the migration
         */
        void finish(Duration timeout) throws IOException;
    }

    private final Finish finish;
    private final Consumer<Throwable> abort;

    /** The sending side: no hooks. */
    public FinishHookPayload() {
        this.finish = timeout -> { };
        this.abort = cause -> { };
    }

    /**
     * The receiving side.
     *
     * @param sink   where blobs go
     * @param finish runs as the receiver's finish
     * @param abort  runs when the receiver is aborted, before the blob receiver's own abort
     */
    public FinishHookPayload(BlobSink sink, Finish finish, Consumer<Throwable> abort) {
        super(sink);
        this.finish = finish;
        this.abort = abort;
    }

    @Override
    public PayloadReceiver openReceiver(ReceiveContext context, ByteBuffer setupRecord) throws SetupRefusedException {
        PayloadReceiver real = super.openReceiver(context, setupRecord);
        return new PayloadReceiver() {
            @Override
            public PayloadChannelReceiver openChannel(int channelId) throws IOException {
                return real.openChannel(channelId);
            }

            @Override
            public void finish(Duration timeout) throws IOException {
                finish.finish(timeout);
            }

            @Override
            public void abort(Throwable cause) {
                abort.accept(cause);
                real.abort(cause);
            }
        };
    }
}
