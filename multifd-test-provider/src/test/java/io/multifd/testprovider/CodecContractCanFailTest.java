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
package io.multifd.testprovider;

import io.multifd.api.CodecOptions;
import io.multifd.api.spi.Codec;
import io.multifd.api.spi.CodecContext;
import io.multifd.api.spi.CodecDecoder;
import io.multifd.api.spi.CodecEncoder;
import io.multifd.api.spi.IncomingPacket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder.request;

/**
 * The codec contract ({@code AbstractCodecContractTest}) fails codecs that break it: each nested
 * subclass runs the contract on the run-length codec broken in one way, through the JUnit
 * launcher, and the contract tests about that rule fail while the intact codec passes them all.
 */
@Timeout(120)
class CodecContractCanFailTest {

    /** One way to break the run-length codec. */
    enum Break {
        /** Flips a bit of the last byte it decoded. */
        CORRUPTS,
        /** Asks for a stream reset with every packet. */
        RESETS,
        /** Allocates 8 KiB per packet. */
        ALLOCATES,
        /** Leaves the first input buffer's position at its limit. */
        MOVES_POSITION,
        /** Decodes into writable copies of read-only targets instead of refusing them. */
        TAKES_READ_ONLY,
        /** Keeps working after close(). */
        IGNORES_CLOSE
    }

    @Test
    void theIntactCodecPassesEveryRule() {
        assertThat(failedMethods(RunLengthCodecContractTest.class)).isEmpty();
    }

    @Test
    void corruptedOutputFailsTheRoundTrips() {
        assertThat(failedMethods(Corrupts.class)).contains("roundTripsMixedPages", "roundTripsAtEveryLevel",
                "crossChecksWithTheLibraryDirectly", "smallAndOddSizedPacketsRoundTrip");
    }

    @Test
    void aStreamResetPerPacketFails() {
        assertThat(failedMethods(Resets.class)).contains("streamResetNeedsNothingAndChangesNothing",
                "roundTripsMixedPages");
    }

    @Test
    void allocatingPerPacketFailsOnlyTheAllocationRule() {
        assertThat(failedMethods(Allocates.class)).containsExactly("steadyStateAllocatesNothingPerPacket");
    }

    @Test
    void movingTheInputsPositionFails() {
        assertThat(failedMethods(MovesPosition.class)).contains("encodeReadsOnlyPositionToLimitAndRestoresBoth");
    }

    @Test
    void takingAReadOnlyTargetFailsOnlyTheCallerBugRule() {
        assertThat(failedMethods(TakesReadOnly.class)).containsExactly("targetsThatDoNotHoldTheRawLengthAreACallerBug");
    }

    @Test
    void workingAfterCloseFailsOnlyTheCloseRule() {
        assertThat(failedMethods(IgnoresClose.class)).containsExactly("closeIsIdempotentAndUseAfterCloseFails");
    }

    private static final Pattern METHOD = Pattern.compile("(?:method|test-template):([A-Za-z0-9_]+)\\(");

    /** Runs a contract class; returns the names of the test methods with a failure, sorted. */
    private static List<String> failedMethods(Class<?> testClass) {
        Set<String> failed = Collections.synchronizedSet(new TreeSet<>());
        Launcher launcher = LauncherFactory.create();
        launcher.execute(request().selectors(selectClass(testClass)).build(), new TestExecutionListener() {
            @Override
            public void executionFinished(TestIdentifier id, TestExecutionResult result) {
                Matcher m = METHOD.matcher(id.getUniqueId());
                if (result.getStatus() != TestExecutionResult.Status.SUCCESSFUL && m.find()) {
                    failed.add(m.group(1));
                }
            }
        });
        return new ArrayList<>(failed);
    }

    // ------------------------------------------------------------------ the broken codecs

    static class Corrupts extends RunLengthCodecContractTest {
        @Override
        protected Codec codec() {
            return new Broken(Break.CORRUPTS);
        }
    }

    static class Resets extends RunLengthCodecContractTest {
        @Override
        protected Codec codec() {
            return new Broken(Break.RESETS);
        }
    }

    static class Allocates extends RunLengthCodecContractTest {
        @Override
        protected Codec codec() {
            return new Broken(Break.ALLOCATES);
        }
    }

    static class MovesPosition extends RunLengthCodecContractTest {
        @Override
        protected Codec codec() {
            return new Broken(Break.MOVES_POSITION);
        }
    }

    static class TakesReadOnly extends RunLengthCodecContractTest {
        @Override
        protected Codec codec() {
            return new Broken(Break.TAKES_READ_ONLY);
        }
    }

    static class IgnoresClose extends RunLengthCodecContractTest {
        @Override
        protected Codec codec() {
            return new Broken(Break.IGNORES_CLOSE);
        }
    }

    /** The run-length codec with one rule broken; everything else delegated. */
    private static final class Broken implements Codec {
        /** Where the allocating codec puts its garbage, so the JIT cannot remove the allocation. */
        static volatile Object escaped;

        private final Break how;
        private final RunLengthCodec rle = new RunLengthCodec();

        Broken(Break how) {
            this.how = how;
        }

        @Override
        public int id() {
            return rle.id();
        }

        @Override
        public String name() {
            return rle.name();
        }

        @Override
        public void validate(CodecOptions options) {
            rle.validate(options);
        }

        @Override
        public CodecEncoder newEncoder(CodecOptions options, CodecContext context) {
            CodecEncoder e = rle.newEncoder(options, context);
            return new CodecEncoder() {
                @Override
                public boolean encode(ByteBuffer[] data, int offset, int count, int rawLength, EncodeSink sink)
                        throws IOException {
                    if (how == Break.ALLOCATES) {
                        escaped = new byte[8192];
                    }
                    EncodeSink s = how == Break.RESETS ? (b, reset) -> sink.encoded(b, true) : sink;
                    boolean encoded = e.encode(data, offset, count, rawLength, s);
                    if (how == Break.MOVES_POSITION && count > 0) {
                        data[offset].position(data[offset].limit());
                    }
                    return encoded;
                }

                @Override
                public void close() {
                    if (how != Break.IGNORES_CLOSE) {
                        e.close();
                    }
                }
            };
        }

        @Override
        public CodecDecoder newDecoder(CodecOptions options, CodecContext context) {
            CodecDecoder d = rle.newDecoder(options, context);
            return new CodecDecoder() {
                @Override
                public ByteBuffer inputBuffer(int encodedLength) {
                    return d.inputBuffer(encodedLength);
                }

                @Override
                public void decode(ByteBuffer input, ByteBuffer[] targets, int offset, int count, int rawLength,
                                   boolean streamReset, IncomingPacket packet) throws IOException {
                    ByteBuffer[] t = targets;
                    for (int i = 0; how == Break.TAKES_READ_ONLY && i < t.length; i++) {
                        if (t[i].isReadOnly()) {
                            t = t == targets ? targets.clone() : t; // copies only then: no allocation otherwise
                            t[i] = ByteBuffer.allocate(t[i].remaining());
                        }
                    }
                    d.decode(input, t, offset, count, rawLength, streamReset, packet);
                    if (how == Break.CORRUPTS) {
                        ByteBuffer last = t[offset + count - 1];
                        last.put(last.position() - 1, (byte) (last.get(last.position() - 1) ^ 1));
                    }
                }

                @Override
                public void close() {
                    if (how != Break.IGNORES_CLOSE) {
                        d.close();
                    }
                }
            };
        }
    }
}
