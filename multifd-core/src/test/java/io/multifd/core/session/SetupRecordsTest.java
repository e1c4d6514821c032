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
package io.multifd.core.session;

import io.multifd.api.MultiFdConfig;
import io.multifd.api.spi.PayloadPlugin;
import io.multifd.core.wire.Manifest;
import io.multifd.testing.BlobPayload;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Declaring ends at the freeze; a refused freeze leaves the records open; the answer after it needs no lock. */
class SetupRecordsTest {

    private final SetupRecords records = new SetupRecords(new PayloadPlugin<?>[]{new BlobPayload(), new BlobPayload()});

    @Test
    void declaredRecordsGoIntoTheManifestAndNothingAfterTheFreeze() {
        records.declare(1, new byte[]{7, 8}, "blob", "new");
        assertThat(records.isDeclared(0)).isFalse();
        assertThat(records.isDeclared(1)).isTrue();
        Manifest m = records.freeze(MultiFdConfig.defaults());
        assertThat(m.records()).hasSize(1);
        assertThat(records.isDeclared(1)).isTrue();
        assertThatThrownBy(() -> records.declare(0, new byte[1], "blob", "connecting"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("is declared too late: declare every payload before connect()")
                .hasMessageEndingWith("the sender is connecting");
        assertThat(records.isDeclared(0)).isFalse();
    }

    @Test
    void aPayloadIsDeclaredOnce() {
        records.declare(0, new byte[1], "blob", "new");
        assertThatThrownBy(() -> records.declare(0, new byte[1], "blob", "new"))
                .isInstanceOf(IllegalStateException.class).hasMessage("payload 'blob' was already declared");
    }

    @Test
    void recordsOverTheManifestCapAreRefusedAndNothingIsFrozen() {
        MultiFdConfig config = MultiFdConfig.builder().maxManifestLength(1024).build();
        records.declare(0, new byte[4096], "blob", "new");
        assertThatThrownBy(() -> records.freeze(config)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("exceed maxManifestLength 1024");
        records.declare(1, new byte[1], "blob", "new"); // still open: the refused freeze changed nothing
        assertThat(records.isDeclared(1)).isTrue();
    }
}
