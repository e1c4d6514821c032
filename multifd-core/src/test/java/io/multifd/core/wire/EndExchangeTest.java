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
package io.multifd.core.wire;

import io.multifd.api.MalformedPacketException;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EndExchangeTest {

    @Test
    void theEosBodyCarriesTheCountsTheReceiverChecks() throws MalformedPacketException {
        ByteBuffer body = EndExchange.eosBody(ByteBuffer.allocate(64), 7, 4096);
        assertThat(body.remaining()).isEqualTo(Wire.EOS_LENGTH);
        EndExchange.checkEos(body, 2, 100, 7, 4096);
        assertThatThrownBy(() -> EndExchange.checkEos(body, 2, 100, 6, 4096))
                .isInstanceOf(MalformedPacketException.class).hasMessageContaining("eos.packets");
        assertThatThrownBy(() -> EndExchange.checkEos(body, 2, 100, 7, 4095))
                .isInstanceOf(MalformedPacketException.class).hasMessageContaining("eos.bytes");
    }

    @Test
    void completedCountsMustMatchWhatWasSent() throws MalformedPacketException {
        Reply completed = Reply.completed(7, 4096);
        EndExchange.checkCompleted(completed, 1, 7, 4096);
        assertThatThrownBy(() -> EndExchange.checkCompleted(completed, 1, 8, 4096))
                .isInstanceOf(MalformedPacketException.class).hasMessageContaining("completed.counts");
    }

    @Test
    void onlyABareCommitFollowsEos() {
        assertThat(EndExchange.isCommit(0, Wire.FLAG_COMMIT, 0)).isTrue();
        assertThat(EndExchange.isCommit(0, Wire.FLAG_COMMIT, 1)).isFalse();
        assertThat(EndExchange.isCommit(0, Wire.FLAG_ABORT, 0)).isFalse();
        assertThat(EndExchange.isCommit(1000, Wire.FLAG_COMMIT, 0)).isFalse();
        assertThat(EndExchange.commitWait(Duration.ofSeconds(10))).isEqualTo(Duration.ofSeconds(10).plus(EndExchange.COMMIT_MARGIN));
    }
}
