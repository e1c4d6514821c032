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

import io.multifd.core.channel.ReceiveChannel.Phase;
import org.junit.jupiter.api.Test;

import java.util.EnumSet;
import java.util.List;

import static io.multifd.core.channel.ReceiveChannel.Phase.ACCEPTED;
import static io.multifd.core.channel.ReceiveChannel.Phase.AT_SYNC;
import static io.multifd.core.channel.ReceiveChannel.Phase.CLOSED;
import static io.multifd.core.channel.ReceiveChannel.Phase.COMMITTED;
import static io.multifd.core.channel.ReceiveChannel.Phase.COMMITTING;
import static io.multifd.core.channel.ReceiveChannel.Phase.DRAINING;
import static io.multifd.core.channel.ReceiveChannel.Phase.ENDED;
import static io.multifd.core.channel.ReceiveChannel.Phase.SETUP;
import static io.multifd.core.channel.ReceiveChannel.Phase.STREAMING;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The receiving channel's phases allow exactly the moves of the diagram in its documentation
 * (and in the protocol description's "Receiver channel states").
 */
class ReceiveChannelPhaseTest {

    private record Move(Phase from, Phase to) {
    }

    private static final List<Move> DIAGRAM = List.of(
            new Move(ACCEPTED, SETUP),
            new Move(SETUP, STREAMING),
            new Move(STREAMING, AT_SYNC),
            new Move(AT_SYNC, STREAMING),
            new Move(STREAMING, ENDED),
            new Move(ENDED, COMMITTING),
            new Move(COMMITTING, COMMITTED),
            new Move(COMMITTED, CLOSED),
            new Move(DRAINING, CLOSED));

    @Test
    void exactlyTheMovesOfTheDiagram() {
        for (Phase from : Phase.values()) {
            for (Phase to : Phase.values()) {
                boolean drawn = DIAGRAM.contains(new Move(from, to))
                        // every phase before DRAINING may fail into it
                        || to == DRAINING && from.ordinal() < DRAINING.ordinal();
                assertThat(from.canGoTo(to)).as("%s -> %s", from, to).isEqualTo(drawn);
            }
        }
    }

    @Test
    void theSuccessfulPathVisitsEveryPhaseButDrainingInOrder() {
        List<Phase> path = List.of(ACCEPTED, SETUP, STREAMING, AT_SYNC, STREAMING, ENDED, COMMITTING, COMMITTED, CLOSED);
        for (int i = 1; i < path.size(); i++) {
            assertThat(path.get(i - 1).canGoTo(path.get(i))).as("%s -> %s", path.get(i - 1), path.get(i)).isTrue();
        }
        assertThat(EnumSet.copyOf(path)).isEqualTo(EnumSet.complementOf(EnumSet.of(DRAINING)));
        assertThat(CLOSED.canGoTo(CLOSED)).isFalse();
    }
}
