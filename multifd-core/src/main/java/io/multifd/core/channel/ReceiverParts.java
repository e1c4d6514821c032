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
