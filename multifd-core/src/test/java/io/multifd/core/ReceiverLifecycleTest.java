package io.multifd.core;

import io.multifd.api.MigrationFailedException;
import io.multifd.api.MultiFdConfig;
import io.multifd.core.transport.InMemoryTransport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The receiver's life cycle outside a migration: start twice, close before start. */
@Timeout(30)
class ReceiverLifecycleTest {

    @Test
    void startTwiceSaysItWasAlreadyCalled() throws Exception {
        InMemoryTransport t = InMemoryTransport.create();
        try (MultiFdReceiver r = MultiFdReceiver.builder(MultiFdConfig.builder().build(), t.listener()).build()) {
            r.start();
            assertThatThrownBy(r::start).isInstanceOf(IllegalStateException.class)
                    .hasMessage("start() was already called");
        }
    }

    @Test
    void startAfterCloseSaysTheReceiverWasClosed() throws Exception {
        InMemoryTransport t = InMemoryTransport.create();
        MultiFdReceiver r = MultiFdReceiver.builder(MultiFdConfig.builder().build(), t.listener()).build();
        r.close();
        assertThatThrownBy(r::start).isInstanceOf(IllegalStateException.class)
                .hasMessage("the receiver was closed before start()");
        assertThatThrownBy(() -> r.await(Duration.ofSeconds(5))).isInstanceOf(MigrationFailedException.class)
                .hasMessageContaining("closed before start()");
    }
}
