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
package io.multifd.examples.cli;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The cancellation of a run, without signals (the integration tests send real ones). */
class CancellationTest {

    @Test
    void cancelRunsEachRegisteredActionOnceInOrder() {
        Cancellation c = new Cancellation();
        List<String> ran = new ArrayList<>();
        c.onCancel(() -> ran.add("a"));
        Cancellation.Registration b = c.onCancel(() -> ran.add("b"));
        c.onCancel(() -> {
            throw new IllegalStateException("ignored, and the next action still runs");
        });
        c.onCancel(() -> ran.add("d"));
        b.close();
        assertThat(c.cancelled()).isFalse();
        c.cancel("test");
        c.cancel("again");
        assertThat(ran).containsExactly("a", "d");
        assertThat(c.cancelled()).isTrue();
        assertThat(c.reason()).isEqualTo("test");
    }

    @Test
    void anActionRegisteredAfterTheCancellationRunsAtOnce() {
        Cancellation c = new Cancellation();
        c.cancel("early");
        List<String> ran = new ArrayList<>();
        c.onCancel(() -> ran.add("late")).close();
        assertThat(ran).containsExactly("late");
    }

    @Test
    void aCancelledRunExits6WhateverTheFailureItCaused() {
        Cancellation c = new Cancellation();
        IOException closed = new java.nio.channels.ClosedChannelException();
        assertThat(c.statusOf(closed)).isEqualTo(ExitStatus.CONNECTION);
        c.cancel("test");
        assertThat(c.statusOf(closed)).isEqualTo(ExitStatus.CANCELLED);
    }
}
