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

import io.multifd.api.MultiFdConfig;
import io.multifd.api.spi.ReceiveContext;
import io.multifd.core.session.FailureLatch;
import io.multifd.core.session.ManifestApplication;
import io.multifd.core.session.PayloadCounters;
import io.multifd.core.session.ReceiverEnd;
import io.multifd.core.session.SessionTerms;
import io.multifd.core.session.SyncBarrier;

/**
 * What every receiving channel of one session shares, fixed when the first hello was accepted
 * and published once. Immutable (the parts themselves are thread-safe).
 *
 * @param config        the receiver's configuration
 * @param terms         the session terms
 * @param manifest      the payload plug-ins and their receivers
 * @param counters      the per-payload counters, indexed like the plug-ins
 * @param barrier       the sync barrier
 * @param end           the receiver's half of the end exchange
 * @param latch         the migration's first error
 * @param failures      fails the migration
 * @param pluginContext what the plug-ins learn when their receivers open
 * @param graceNanos    how long a failed channel may still drain
 */
public record ReceiverParts(MultiFdConfig config, SessionTerms terms, ManifestApplication manifest,
                            PayloadCounters[] counters, SyncBarrier barrier, ReceiverEnd end, FailureLatch latch,
                            FailureFanOut failures, ReceiveContext pluginContext, long graceNanos) {
}
