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
package io.multifd.devicestate;

import io.multifd.api.spi.PayloadPlugin;
import io.multifd.core.PluginRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The two ways the plug-in is declared agree: {@code provides} in module-info and the
 * {@code META-INF/services} file written by {@code @AutoService}; and only the public package is
 * exported.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ModuleDescriptorTest {

    static Path classes() throws URISyntaxException {
        Path p = Path.of(DeviceStatePayload.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        assertThat(Files.exists(p.resolve("module-info.class"))).as("compiled module-info in " + p).isTrue();
        return p;
    }

    static ModuleDescriptor descriptor() throws URISyntaxException {
        return ModuleFinder.of(classes()).findAll().iterator().next().descriptor();
    }

    @Test
    void providesAndServiceFileListTheSamePlugins() throws Exception {
        ModuleDescriptor d = descriptor();
        assertThat(d.name()).isEqualTo("io.multifd.devicestate");
        Set<String> provided = d.provides().stream().filter(p -> p.service().equals(PayloadPlugin.class.getName()))
                .flatMap(p -> p.providers().stream()).collect(Collectors.toSet());
        Path services = classes().resolve("META-INF/services/" + PayloadPlugin.class.getName());
        List<String> listed;
        try (InputStream in = Files.newInputStream(services)) {
            listed = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().map(String::trim)
                    .filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
        }
        assertThat(provided).containsExactly(DeviceStatePayload.class.getName());
        assertThat(listed).containsExactlyInAnyOrderElementsOf(provided);
        assertThat(d.provides()).hasSize(1);
    }

    @Test
    void exportsOnlyThePublicPackageAndRequiresOnlyTheApi() throws Exception {
        ModuleDescriptor d = descriptor();
        assertThat(d.exports()).extracting(ModuleDescriptor.Exports::source).containsExactly("io.multifd.devicestate");
        assertThat(d.exports()).allSatisfy(e -> assertThat(e.isQualified()).isFalse());
        assertThat(d.requires()).extracting(ModuleDescriptor.Requires::name)
                .containsExactlyInAnyOrder("java.base", "io.multifd.api", "com.google.auto.service");
        assertThat(d.requires()).filteredOn(r -> r.name().equals("com.google.auto.service"))
                .allSatisfy(r -> assertThat(r.modifiers()).contains(ModuleDescriptor.Requires.Modifier.STATIC));
    }

    @Test
    void theProviderHasThePromisedIdAndNameAndIsDiscovered() {
        DeviceStatePayload p = new DeviceStatePayload();
        assertThat(p.id()).isEqualTo(2);
        assertThat(p.name()).isEqualTo("device-state");
        // discovery as the engine does it (ServiceLoader in io.multifd.core)
        PluginRegistry registry = PluginRegistry.discover();
        assertThat(registry.payload(2)).get().isInstanceOf(DeviceStatePayload.class);
        assertThat(registry.payload("device-state")).get().isInstanceOf(DeviceStatePayload.class);
    }
}
