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

import io.multifd.api.spi.PayloadPlugin;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** The two registrations of the plug-in (module-info provides, META-INF/services) agree. */
@Timeout(10)
class ModuleDescriptorTest {

    @Test
    void providesAndServiceFileListTheSamePlugIn() throws Exception {
        Set<String> services;
        try (InputStream in = DiskBlockPayload.class.getClassLoader()
                .getResourceAsStream("META-INF/services/" + PayloadPlugin.class.getName())) {
            assertThat(in).as("META-INF/services written by @AutoService").isNotNull();
            services = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().map(String::strip)
                    .filter(l -> !l.isEmpty() && !l.startsWith("#")).collect(Collectors.toSet());
        }
        assertThat(services).containsExactly(DiskBlockPayload.class.getName());
        // surefire runs a module with a module-info on the module path
        ModuleDescriptor d = DiskBlockPayload.class.getModule().getDescriptor();
        assertThat(d).as("tests run on the module path").isNotNull();
        assertThat(d.provides()).hasSize(1);
        ModuleDescriptor.Provides p = d.provides().iterator().next();
        assertThat(p.service()).isEqualTo(PayloadPlugin.class.getName());
        assertThat(p.providers()).isEqualTo(List.copyOf(services));
        assertThat(d.exports()).extracting(ModuleDescriptor.Exports::source)
                .containsExactly(DiskBlockPayload.class.getPackageName());
    }

    @Test
    void theWireIdIsInTheUsersRange() {
        assertThat(new DiskBlockPayload().id()).isGreaterThan(255).isLessThanOrEqualTo(PayloadPlugin.MAX_ID);
    }
}
