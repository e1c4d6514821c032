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
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(10)
class HostPortTest {

    @Test
    void parsesHostsAndPorts() {
        assertThat(HostPort.parse("127.0.0.1:5000")).isEqualTo(new HostPort("127.0.0.1", 5000));
        assertThat(HostPort.parse("localhost:0")).isEqualTo(new HostPort("localhost", 0));
        assertThat(HostPort.parse("[::1]:65535")).isEqualTo(new HostPort("::1", 65535));
        assertThat(HostPort.parse("[::1]:7").toString()).isEqualTo("[::1]:7");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "5000", ":5000", "host:", "host:x", "host:65536", "host:-1", "::1:5", "[::1]5"})
    void refusesMalformedAddressesInOneLine(String text) {
        assertThatThrownBy(() -> HostPort.parse(text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageNotContaining("\n");
    }

    @Test
    void anUnresolvableHostIsAUsageError() {
        assertThatThrownBy(() -> new HostPort("no-such-host.invalid", 1).resolve())
                .isInstanceOf(UsageException.class)
                .hasMessage("cannot resolve host 'no-such-host.invalid'");
    }
}
