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
package io.multifd.examples.diskblock;

import io.multifd.api.MalformedPacketException;
import io.multifd.api.spi.IncomingPacket;
import io.multifd.examples.diskblock.internal.DiskBlockChannelReceiver;
import io.multifd.testing.FakeIncomingPacket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** Every field of a hostile packet header is refused by name, before any target is named. */
@Timeout(10)
class DiskBlockHostilePacketTest {

    private final VirtualDisk disk = new VirtualDisk("vda", 512, 100);
    private final DiskBlockChannelReceiver receiver = new DiskBlockChannelReceiver(disk);
    private final List<ByteBuffer> targets = new ArrayList<>();

    @Test
    void aGoodPacketNamesOneTargetPerBlock() throws Exception {
        receiver.begin(packet(header(1, 0, 2, 5, 99), 1024), targets::add);
        assertThat(targets).hasSize(2);
        assertThat(targets.get(1).position()).isEqualTo(99 * 512);
        assertThat(targets.get(1).remaining()).isEqualTo(512);
    }

    @Test
    void anLbaBeyondTheDisk() {
        assertRefused(packet(header(1, 0, 2, 5, 100), 1024), "disk-block.lba", "100");
    }

    @Test
    void aNegativeLba() {
        assertRefused(packet(header(1, 0, 1, -1), 512), "disk-block.lba", "-1");
    }

    @Test
    void anUnknownVersion() {
        assertRefused(packet(header(2, 0, 1, 0), 512), "disk-block.version", "2");
    }

    @Test
    void aFlag() {
        assertRefused(packet(header(1, 4, 1, 0), 512), "disk-block.flags", "4");
    }

    @Test
    void aCountOverTheCap() {
        long[] lbas = new long[65];
        assertRefused(packet(header(1, 0, 65, lbas), 65 * 512), "disk-block.count", "65");
    }

    @Test
    void aCountThatDisagreesWithTheHeaderLength() {
        assertRefused(packet(header(1, 0, 3, 1, 2), 3 * 512), "disk-block.headerLength", "20");
    }

    @Test
    void aRawLengthThatDisagreesWithTheCount() {
        assertRefused(packet(header(1, 0, 1, 1), 1024), "disk-block.rawLength", "1024");
    }

    @Test
    void aTruncatedHeader() {
        assertRefused(packet(ByteBuffer.allocate(3), 512), "disk-block.headerLength", "3");
    }

    private void assertRefused(IncomingPacket p, String field, String value) {
        MalformedPacketException e = catchThrowableOfType(MalformedPacketException.class,
                () -> receiver.begin(p, targets::add));
        assertThat(e.field()).isEqualTo(field);
        assertThat(e.value()).isEqualTo(value);
        assertThat(targets).as("no target may be named for a refused packet").isEmpty();
    }

    private static ByteBuffer header(int version, int flags, int count, long... lbas) {
        return DiskBlockContractTest.header(version, flags, count, lbas);
    }

    private static IncomingPacket packet(ByteBuffer header, int rawLength) {
        return new FakeIncomingPacket(0).header(header).rawLength(rawLength);
    }
}
