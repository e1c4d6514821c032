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
