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
package io.multifd.compress;

import io.multifd.api.spi.Codec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.lang.module.ModuleDescriptor;
import java.lang.reflect.Modifier;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.Enumeration;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The three codecs are found by {@link ServiceLoader} on the module path (through
 * {@code provides}) and on the class path (through {@code META-INF/services}); both lists name
 * the same classes. Surefire runs this class both ways (see the module's pom).
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ServiceRegistrationTest {

    private static final Set<String> EXPECTED = Set.of(ZstdCodec.class.getName(), Lz4Codec.class.getName(),
            ZlibCodec.class.getName());

    @Test
    void serviceLoaderFindsTheThreeCodecsWithTheirWireIds() {
        // the registry in core declares 'uses'; tests patched into this module declare it here
        getClass().getModule().addUses(Codec.class);
        Map<String, Codec> byName = new TreeMap<>();
        for (Codec h : ServiceLoader.load(Codec.class, getClass().getClassLoader())) {
            if (h.getClass().getPackageName().equals("io.multifd.compress")) {
                assertThat(byName.put(h.name(), h)).as("duplicate name %s", h.name()).isNull();
            }
        }
        assertThat(byName).containsOnlyKeys("zstd", "lz4", "zlib");
        assertThat(byName.get("zstd").id()).isEqualTo(1);
        assertThat(byName.get("lz4").id()).isEqualTo(2);
        assertThat(byName.get("zlib").id()).isEqualTo(3);
        for (Codec h : byName.values()) {
            assertThat(Modifier.isFinal(h.getClass().getModifiers())).as("%s is final", h).isTrue();
            assertThat(h.id()).isBetween(1, 255); // ids below 256 are reserved for shipped codecs
        }
    }

    @Test
    void servicesFileAndModuleDescriptorListTheSameProviders() throws IOException {
        Set<String> fromFile = servicesFile();
        assertThat(fromFile).as("META-INF/services (written by @AutoService)").isEqualTo(EXPECTED);
        Module module = ZstdCodec.class.getModule();
        if (module.isNamed()) {
            ModuleDescriptor d = module.getDescriptor();
            Set<String> provided = new TreeSet<>();
            d.provides().stream().filter(p -> p.service().equals(Codec.class.getName()))
                    .forEach(p -> provided.addAll(p.providers()));
            assertThat(provided).as("module-info provides").isEqualTo(EXPECTED);
            assertThat(d.exports()).extracting(ModuleDescriptor.Exports::source)
                    .containsExactly("io.multifd.compress");
        }
    }

    private Set<String> servicesFile() throws IOException {
        Set<String> names = new TreeSet<>();
        Enumeration<URL> urls = ZstdCodec.class.getClassLoader()
                .getResources("META-INF/services/" + Codec.class.getName());
        while (urls.hasMoreElements()) {
            URL url = urls.nextElement();
            if (!url.toString().contains("multifd-compress")) {
                continue; // another module's providers (core's 'none')
            }
            try (InputStream in = url.openStream();
                 BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                r.lines().map(String::trim).filter(l -> !l.isEmpty() && !l.startsWith("#")).forEach(names::add);
            }
        }
        return names;
    }
}
