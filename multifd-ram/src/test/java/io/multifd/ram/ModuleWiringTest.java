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
package io.multifd.ram;

import io.multifd.api.spi.PayloadPlugin;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** module-info's {@code provides} and META-INF/services list the same providers; ServiceLoader finds them. */
@Timeout(30)
class ModuleWiringTest {

    @Test
    void serviceFileAndModuleDescriptorAgree() throws IOException {
        Set<String> services;
        try (InputStream in = RamPayload.class.getResourceAsStream("/META-INF/services/" + PayloadPlugin.class.getName())) {
            assertThat(in).as("META-INF/services entry written by @AutoService").isNotNull();
            services = Arrays.stream(new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n"))
                    .map(String::trim).filter(s -> !s.isEmpty() && !s.startsWith("#")).collect(Collectors.toSet());
        }
        assertThat(services).containsExactly(RamPayload.class.getName());
        Module m = RamPayload.class.getModule();
        if (m.isNamed()) {
            ModuleDescriptor d = m.getDescriptor();
            Set<String> provided = d.provides().stream()
                    .filter(p -> p.service().equals(PayloadPlugin.class.getName()))
                    .flatMap(p -> p.providers().stream()).collect(Collectors.toSet());
            assertThat(provided).isEqualTo(services);
            assertThat(d.exports()).extracting(ModuleDescriptor.Exports::source)
                    .containsExactlyInAnyOrder("io.multifd.ram", "io.multifd.ram.snapshot"); // internal stays hidden
        }
    }

    @Test
    void serviceLoaderFindsTheDefaultInstance() {
        // the tests run inside the module, which (as a provider) declares no `uses`; the core does
        getClass().getModule().addUses(PayloadPlugin.class);
        List<PayloadPlugin<?>> found = ServiceLoader.load(PayloadPlugin.class).stream()
                .<PayloadPlugin<?>>map(ServiceLoader.Provider::get).filter(p -> p instanceof RamPayload).toList();
        assertThat(found).hasSize(1);
        assertThat(found.get(0).id()).isEqualTo(1);
        assertThat(found.get(0).name()).isEqualTo("ram");
        assertThat(((RamPayload) found.get(0)).batchBytes()).isEqualTo(512 << 10);
    }
}
