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
package io.multifd.testing.contract;

import io.multifd.api.MalformedPacketException;
import io.multifd.api.ProtocolCode;
import io.multifd.api.SetupRefusedException;
import io.multifd.api.spi.DataTargets;
import io.multifd.api.spi.IncomingPacket;
import io.multifd.api.spi.PayloadChannelReceiver;
import io.multifd.api.spi.PayloadEncoder;
import io.multifd.api.spi.PayloadPlugin;
import io.multifd.api.spi.PayloadReceiver;
import io.multifd.api.spi.ReceiveContext;
import io.multifd.api.spi.SendChannelContext;
import io.multifd.testing.BlobRangesPayload;
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

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder.request;

/**
 * The payload contract fails plug-ins that break it: each nested subclass breaks the reference
 * plug-in in one way, is run through the JUnit launcher, and exactly the contract tests about
 * that rule fail.
 */
@Timeout(120)
class ContractCanFailTest {

    private static final String ROUND_TRIP = "roundTripIsByteExact";
    private static final String HOSTILE = "hostilePacketsAreRefusedNamingTheFieldBeforeAnythingIsWritten";
    private static final String SETUP = "hostileSetupRecordsAreRefusedNamingTheField";
    private static final String CAPS = "capsHoldAtTheLimitAndRefuseOneMore";

    @Test
    void theReferencePlugInPassesEveryRule() {
        assertThat(failedMethods(BlobRangesContractTest.class)).isEmpty();
    }

    @Test
    void corruptedDataFailsTheRoundTrip() {
        assertThat(failedMethods(Corrupting.class)).containsExactly(ROUND_TRIP);
    }

    @Test
    void writingBeforeValidatingFailsTheRefusalAndCapRules() {
        assertThat(failedMethods(WritesFirst.class)).contains(HOSTILE, CAPS);
    }

    @Test
    void namingATargetBeforeRefusingFails() {
        assertThat(failedMethods(NamesTargetFirst.class)).containsExactlyInAnyOrder(HOSTILE, CAPS);
    }

    @Test
    void aFieldWithoutThePayloadsNameFails() {
        assertThat(failedMethods(UnprefixedField.class)).containsExactlyInAnyOrder(HOSTILE, CAPS);
    }

    @Test
    void aSetupRefusalThatDoesNotNameTheFieldFails() {
        assertThat(failedMethods(VagueSetupRefusal.class)).containsExactly(SETUP);
    }

    @Test
    void aCapStatedOneTooLowFails() {
        assertThat(failedMethods(WrongCap.class)).containsExactly(CAPS);
    }

    @Test
    void aContractWithoutCasesFails() {
        assertThat(failedMethods(NoCases.class)).containsExactlyInAnyOrder(HOSTILE, SETUP, CAPS);
    }

    /** Runs a contract class; returns the names of the test methods with a failure, sorted. */
    private static List<String> failedMethods(Class<?> testClass) {
        Set<String> failed = Collections.synchronizedSet(new TreeSet<>());
        Launcher launcher = LauncherFactory.create();
        launcher.execute(request().selectors(selectClass(testClass)).build(), new TestExecutionListener() {
            @Override
            public void executionFinished(TestIdentifier id, TestExecutionResult result) {
                if (result.getStatus() != TestExecutionResult.Status.SUCCESSFUL) {
                    for (String m : List.of(ROUND_TRIP, HOSTILE, SETUP, CAPS)) {
                        if (id.getUniqueId().contains(":" + m + "(")) {   // [method:..] or [test-factory:..]
                            failed.add(m);
                        }
                    }
                }
            }
        });
        return new ArrayList<>(failed);
    }

    // ------------------------------------------------------------------ broken plug-ins

    /** Sends a copy of the source with one byte changed. */
    static class Corrupting extends BlobRangesContractTest {
        @Override
        protected PayloadPlugin<BlobRangesPayload.Range> sendingPlugin() {
            ByteBuffer copy = ByteBuffer.allocateDirect(LENGTH).put(source.duplicate()).clear();
            copy.put(LENGTH / 2, (byte) (copy.get(LENGTH / 2) + 1));
            return BlobRangesPayload.sender(copy);
        }
    }

    /** Writes a destination byte before it checks the header. */
    static class WritesFirst extends BlobRangesContractTest {
        @Override
        protected PayloadPlugin<?> receivingPlugin() {
            return new Wrapped(BlobRangesPayload.receiverInto(destination)) {
                @Override
                void before(IncomingPacket packet, DataTargets targets) {
                    destination.put(0, (byte) (destination.get(0) + 1));
                }
            };
        }
    }

    /** Names a target before it checks the header. */
    static class NamesTargetFirst extends BlobRangesContractTest {
        @Override
        protected PayloadPlugin<?> receivingPlugin() {
            return new Wrapped(BlobRangesPayload.receiverInto(destination)) {
                private boolean named;

                @Override
                void before(IncomingPacket packet, DataTargets targets) {
                    named = true;
                }

                @Override
                void after(IncomingPacket packet, DataTargets targets, IOException refusal) throws IOException {
                    if (refusal != null && named) {
                        targets.add(ByteBuffer.allocate(1));
                    }
                }
            };
        }
    }

    /** Refuses with a field that lacks the payload's name. */
    static class UnprefixedField extends BlobRangesContractTest {
        @Override
        protected PayloadPlugin<?> receivingPlugin() {
            return new Wrapped(BlobRangesPayload.receiverInto(destination)) {
                @Override
                void after(IncomingPacket packet, DataTargets targets, IOException refusal) throws IOException {
                    if (refusal instanceof MalformedPacketException m) {
                        String bare = m.field().substring(m.field().indexOf('.') + 1);
                        throw new MalformedPacketException(ProtocolCode.MALFORMED, m.channel(), m.streamOffset(), bare,
                                m.value(), "renamed");
                    }
                }
            };
        }

        @Override
        protected List<HostilePacket> hostilePackets() {
            return super.hostilePackets().stream().map(h -> new HostilePacket(h.description(), h.header(),
                    h.rawLength(), h.field().substring(h.field().indexOf('.') + 1))).toList();
        }

        @Override
        protected List<PacketCap> packetCaps() {
            return super.packetCaps().stream().map(c -> new PacketCap(c.field().substring(c.field().indexOf('.') + 1),
                    c.limit(), c.packetWith())).toList();
        }
    }

    /** Refuses setup records without naming the field. */
    static class VagueSetupRefusal extends BlobRangesContractTest {
        @Override
        protected PayloadPlugin<?> receivingPlugin() {
            return new Wrapped(BlobRangesPayload.receiverInto(destination)) {
                @Override
                public PayloadReceiver openReceiver(ReceiveContext context, ByteBuffer setupRecord)
                        throws SetupRefusedException {
                    try {
                        return super.openReceiver(context, setupRecord);
                    } catch (SetupRefusedException e) {
                        throw new SetupRefusedException("bad setup record");
                    }
                }
            };
        }
    }

    /** States the cap one lower than the plug-in enforces it. */
    static class WrongCap extends BlobRangesContractTest {
        @Override
        protected List<PacketCap> packetCaps() {
            return super.packetCaps().stream().map(c -> new PacketCap(c.field(), c.limit() - 1, c.packetWith()))
                    .toList();
        }
    }

    /** Gives no hostile input and no cap at all. */
    static class NoCases extends BlobRangesContractTest {
        @Override
        protected List<HostilePacket> hostilePackets() {
            return List.of();
        }

        @Override
        protected List<HostileSetupRecord> hostileSetupRecords() {
            return List.of();
        }

        @Override
        protected List<PacketCap> packetCaps() {
            return List.of();
        }
    }

    /** Delegates to a plug-in, with points to break its channel receivers' {@code begin}. */
    private static class Wrapped implements PayloadPlugin<BlobRangesPayload.Range> {
        private final BlobRangesPayload delegate;

        Wrapped(BlobRangesPayload delegate) {
            this.delegate = delegate;
        }

        void before(IncomingPacket packet, DataTargets targets) {
        }

        void after(IncomingPacket packet, DataTargets targets, IOException refusal) throws IOException {
        }

        @Override
        public int id() {
            return delegate.id();
        }

        @Override
        public String name() {
            return delegate.name();
        }

        @Override
        public BlobRangesPayload.Range newBody() {
            return delegate.newBody();
        }

        @Override
        public void resetBody(BlobRangesPayload.Range body) {
            delegate.resetBody(body);
        }

        @Override
        public PayloadEncoder<BlobRangesPayload.Range> newEncoder(SendChannelContext context) {
            return delegate.newEncoder(context);
        }

        @Override
        public PayloadReceiver openReceiver(ReceiveContext context, ByteBuffer setupRecord) throws SetupRefusedException {
            PayloadReceiver r = delegate.openReceiver(context, setupRecord);
            return channelId -> {
                PayloadChannelReceiver c = r.openChannel(channelId);
                return new PayloadChannelReceiver() {
                    @Override
                    public void begin(IncomingPacket packet, DataTargets targets) throws IOException {
                        before(packet, targets);
                        try {
                            c.begin(packet, targets);
                        } catch (IOException e) {
                            after(packet, targets, e);
                            throw e;
                        }
                        after(packet, targets, null);
                    }

                    @Override
                    public void end(IncomingPacket packet) throws IOException {
                        c.end(packet);
                    }
                };
            };
        }
    }
}
