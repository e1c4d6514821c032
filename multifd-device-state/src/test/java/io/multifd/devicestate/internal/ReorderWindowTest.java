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
package io.multifd.devicestate.internal;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/**
 * The reorder window on its own: no socket, no thread. Each row of the table is a sequence of
 * arrivals (a buffer begins, is admitted, its data arrives), the releases expected in that
 * order, and the refusal expected, if any, naming the field, its value and the arrival it
 * happens at ({@code end} for the end-of-stream check).
 */
@Timeout(10)
class ReorderWindowTest {

    private static final int LENGTH = 10;
    private static final int MAX_BUFFERS = 8;
    /** Room for exactly two queued out-of-order buffers of {@link #LENGTH} bytes. */
    private static final long TWO_QUEUED = 2L * (LENGTH + ReorderWindow.ENTRY_OVERHEAD);
    private static final long UNBOUNDED = Long.MAX_VALUE;

    /**
     * Arrivals: {@code index[L][:length]} separated by spaces ({@code L} = flagged last, length
     * {@value #LENGTH} unless given). Releases: indexes in release order. Refusal:
     * {@code field=value@arrival} (arrival counted from 0, or {@code end}), or empty.
     */
    static Stream<Arguments> table() {
        return Stream.of(
                row("in order", UNBOUNDED, "0 1 2L", "0 1 2", ""),
                row("one empty last buffer", UNBOUNDED, "0L:0", "0", ""),
                row("reversed", UNBOUNDED, "2L 1 0", "0 1 2", ""),
                row("interleaved", UNBOUNDED, "1 3 0 2 4L", "0 1 2 3 4", ""),
                row("a gap holds later buffers back", UNBOUNDED, "1 2 3L 0", "0 1 2 3", ""),
                row("a missing first buffer", UNBOUNDED, "1 2L", "", "device-state.index=0@end"),
                row("a missing middle buffer", UNBOUNDED, "0 2L", "0", "device-state.index=1@end"),
                row("no last buffer", UNBOUNDED, "0 1", "0 1", "device-state.last=dev@end"),
                row("duplicate of a waiting buffer", UNBOUNDED, "1 1", "", "device-state.index=1@1"),
                row("duplicate of a released buffer", UNBOUNDED, "0 0", "0", "device-state.index=0@1"),
                row("a buffer after the last", UNBOUNDED, "1L 2", "", "device-state.index=2@1"),
                row("a second last buffer", UNBOUNDED, "1L 0L", "", "device-state.flags=LAST@1"),
                row("last below an index seen", UNBOUNDED, "0 3 1L", "0", "device-state.index=1@2"),
                row("an index beyond the limit", UNBOUNDED, "0 8", "0", "device-state.index=8@1"),
                row("out of order over the cap", TWO_QUEUED, "1 2 3", "",
                        "device-state.queued-bytes=" + 3 * (LENGTH + ReorderWindow.ENTRY_OVERHEAD) + "@2"),
                row("a large out-of-order buffer over the cap", TWO_QUEUED, "2:300", "",
                        "device-state.queued-bytes=" + (300 + ReorderWindow.ENTRY_OVERHEAD) + "@0"),
                row("the cap frees up when the gap fills", TWO_QUEUED, "1 2 0 4 5L 3", "0 1 2 3 4 5", ""),
                row("in-order buffers do not count against the cap", TWO_QUEUED, "0 1 2 3 4 5L", "0 1 2 3 4 5", ""));
    }

    private static Arguments row(String name, long maxOutOfOrder, String arrivals, String releases, String refusal) {
        return arguments(name, maxOutOfOrder, arrivals, releases, refusal);
    }

    @ParameterizedTest(name = "{0}: {2}")
    @MethodSource("table")
    void arrivalsReleaseInOrderOrAreRefusedByField(String name, long maxOutOfOrder, String arrivals,
                                                   String releases, String refusal) {
        ReorderWindow w = new ReorderWindow("dev", MAX_BUFFERS, maxOutOfOrder, UNBOUNDED);
        List<Integer> released = new ArrayList<>();
        String refused = "";
        String[] tokens = arrivals.split(" ");
        for (int k = 0; k < tokens.length && refused.isEmpty(); k++) {
            String t = tokens[k];
            int colon = t.indexOf(':');
            int length = colon < 0 ? LENGTH : Integer.parseInt(t.substring(colon + 1));
            String head = colon < 0 ? t : t.substring(0, colon);
            boolean last = head.endsWith("L");
            long index = Long.parseLong(last ? head.substring(0, head.length() - 1) : head);
            ReorderWindow.Entry e;
            try {
                e = w.begin(index, last, length);
            } catch (ReorderWindow.Refusal r) {
                refused = r.field() + "=" + r.value() + "@" + k;
                break;
            }
            if (e.pending) {
                assertThat(w.backlogAllows(e)).as("no backlog cap in this table").isTrue();
                w.admit(e);
            }
            e.data = new byte[length];
            Arrays.fill(e.data, (byte) index);
            w.received(e);
            for (ReorderWindow.Entry n = w.next(); n != null; n = w.next()) {
                byte[] expected = new byte[n.length];
                Arrays.fill(expected, (byte) n.index);
                assertThat(n.data).as("data of buffer %d", n.index).isEqualTo(expected);
                released.add(n.index);
                w.release(n);
            }
        }
        if (refused.isEmpty()) {
            try {
                w.checkComplete();
            } catch (ReorderWindow.Refusal r) {
                refused = r.field() + "=" + r.value() + "@end";
            }
        }
        assertThat(released).as("releases").containsExactlyElementsOf(indexes(releases));
        assertThat(refused).as("refusal").isEqualTo(refusal);
        if (refusal.isEmpty()) {
            assertThat(w.size()).as("buffers held").isZero();
            assertThat(w.outOfOrderBytes()).as("out-of-order bytes").isZero();
            assertThat(w.inOrderBytes()).as("in-order bytes").isZero();
        }
    }

    private static List<Integer> indexes(String s) {
        return s.isEmpty() ? List.of() : Arrays.stream(s.split(" ")).map(Integer::valueOf).toList();
    }

    @Test
    void queuedBytesMoveToTheBacklogWhenTheGapFills() throws Exception {
        ReorderWindow w = new ReorderWindow("dev", MAX_BUFFERS, UNBOUNDED, UNBOUNDED);
        ReorderWindow.Entry one = w.begin(1, false, 10);
        assertThat(one.pending).isFalse();
        assertThat(w.outOfOrderBytes()).isEqualTo(10 + ReorderWindow.ENTRY_OVERHEAD);
        assertThat(w.inOrderBytes()).isZero();
        ReorderWindow.Entry zero = w.begin(0, false, 5);
        assertThat(zero.pending).isTrue();
        assertThat(one.inOrder).isTrue();
        assertThat(w.outOfOrderBytes()).isZero();
        assertThat(w.inOrderBytes()).as("buffer 1, promoted; buffer 0 not admitted yet").isEqualTo(10);
        w.admit(zero);
        assertThat(w.inOrderBytes()).isEqualTo(15);
        assertThatThrownBy(() -> w.admit(zero)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void theBacklogCapHoldsBackAllButTheNextBuffer() throws Exception {
        ReorderWindow w = new ReorderWindow("dev", MAX_BUFFERS, UNBOUNDED, 25);
        ReorderWindow.Entry b0 = w.begin(0, false, 10);
        assertThat(w.backlogAllows(b0)).isTrue();
        w.admit(b0);
        ReorderWindow.Entry b1 = w.begin(1, false, 10);
        assertThat(w.backlogAllows(b1)).as("20 bytes fit 25").isTrue();
        w.admit(b1);
        ReorderWindow.Entry b2 = w.begin(2, false, 10);
        assertThat(w.backlogAllows(b2)).as("30 bytes do not fit 25").isFalse();
        b0.data = new byte[10];
        assertThat(w.received(b0)).as("buffer 0 is the next to release").isTrue();
        assertThat(w.next()).isSameAs(b0);
        w.release(b0);
        assertThat(w.nextIndex()).isEqualTo(1);
        assertThat(w.backlogAllows(b2)).as("20 bytes fit 25 again").isTrue();

        ReorderWindow big = new ReorderWindow("dev", MAX_BUFFERS, UNBOUNDED, 5);
        ReorderWindow.Entry first = big.begin(0, false, 100);
        assertThat(big.backlogAllows(first)).as("the next buffer never waits, whatever its size").isTrue();
        big.admit(first);
        ReorderWindow.Entry second = big.begin(1, false, 100);
        assertThat(big.backlogAllows(second)).isFalse();
    }

    @Test
    void misuseIsAnErrorNotASilentReorder() throws Exception {
        ReorderWindow w = new ReorderWindow("dev", MAX_BUFFERS, UNBOUNDED, UNBOUNDED);
        ReorderWindow.Entry b1 = w.begin(1, false, 1);
        assertThat(w.received(b1)).as("buffer 1 is not the next to release").isFalse();
        assertThatThrownBy(() -> w.received(b1)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("received twice");
        assertThat(w.next()).as("buffer 0 has not arrived").isNull();
        assertThatThrownBy(() -> w.release(b1)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("out of order");
        ReorderWindow.Entry b0 = w.begin(0, false, 1);
        assertThatThrownBy(() -> w.received(b0)).as("not admitted").isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("pending");
    }
}
