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

import io.multifd.api.MigrationStats;
import io.multifd.api.MultiFdConfig;
import io.multifd.api.SendData;
import io.multifd.api.spi.PayloadPlugin;
import io.multifd.api.spi.Codec;
import io.multifd.core.MultiFdReceiver;
import io.multifd.core.MultiFdSender;
import io.multifd.core.PluginRegistry;
import io.multifd.core.transport.InMemoryTransport;
import io.multifd.testing.logging.CapturedLogs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.lang.module.ModuleDescriptor;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Surefire runs this class twice: on the module path (this module is named, its tests patched in)
 * and on the class path (everything unnamed). Both runs must find the provider through
 * {@link java.util.ServiceLoader} via the core's registry, and must migrate with it.
 */
@Timeout(60)
class DiscoveryTest {

    private static final String EXPECT = System.getProperty("multifd.expect.path", "module");

    @Test
    void runsOnThePathThisExecutionIsFor() {
        Module m = EchoPayload.class.getModule();
        if (EXPECT.equals("module")) {
            assertThat(m.isNamed()).as("on the module path").isTrue();
            assertThat(m.getName()).isEqualTo("io.multifd.testprovider");
            assertThat(PluginRegistry.class.getModule().getName()).isEqualTo("io.multifd.core");
        } else {
            assertThat(m.isNamed()).as("on the class path").isFalse();
        }
    }

    @Test
    void theRegistryFindsThePayloadAndTheCodec() {
        PluginRegistry r = PluginRegistry.discover();
        assertThat(r.payload("echo")).get().isInstanceOf(EchoPayload.class);
        assertThat(r.payload(900)).get().isInstanceOf(EchoPayload.class);
        assertThat(r.codec("rle")).get().isInstanceOf(RunLengthCodec.class);
        assertThat(r.codec("none")).isPresent();
    }

    @Test
    void moduleInfoProvidesAndServiceFilesListTheSameClasses() throws IOException {
        ModuleDescriptor d = EchoPayload.class.getModule().getDescriptor();
        if (d == null) { // class path: read this module's compiled descriptor from where its classes are
            java.nio.file.Path classes = java.nio.file.Path.of(
                    java.net.URI.create(EchoPayload.class.getProtectionDomain().getCodeSource().getLocation().toString()));
            try (InputStream in = java.nio.file.Files.newInputStream(classes.resolve("module-info.class"))) {
                d = ModuleDescriptor.read(in);
            }
        }
        assertThat(d.name()).isEqualTo("io.multifd.testprovider");
        Map<String, Set<String>> provides = d.provides().stream().collect(Collectors.toMap(
                ModuleDescriptor.Provides::service, p -> new TreeSet<>(p.providers())));
        for (Class<?> service : List.of(PayloadPlugin.class, Codec.class)) {
            Set<String> listed = new TreeSet<>();
            try (InputStream in = EchoPayload.class.getClassLoader().getResourceAsStream("META-INF/services/" + service.getName())) {
                assertThat(in).as("META-INF/services for " + service.getName()).isNotNull();
                new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)).lines()
                        .map(String::trim).filter(l -> !l.isEmpty() && !l.startsWith("#")).forEach(listed::add);
            }
            assertThat(listed).as(service.getSimpleName()).isEqualTo(provides.get(service.getName()));
        }
    }

    @Test
    void aMigrationUsesTheDiscoveredPayloadAndCodec(CapturedLogs logs) throws Exception {
        InMemoryTransport t = InMemoryTransport.create();
        MultiFdConfig config = MultiFdConfig.builder().channels(1).codec("rle").build();
        MessageDigest sent = MessageDigest.getInstance("SHA-256");
        try (MultiFdReceiver receiver = MultiFdReceiver.builder(config, t.listener()).build().start();
             MultiFdSender sender = MultiFdSender.builder(config, t.connector()).build()) {
            EchoPayload echo = sender.payload(EchoPayload.class).orElseThrow();
            sender.declare(echo, ByteBuffer.allocate(0));
            sender.connect();
            SendData slot = sender.newSlot();
            for (int i = 0; i < 50; i++) {
                ByteBuffer body = slot.fill(echo);
                for (int k = 0; k < 4000; k++) {
                    body.put((byte) (i % 3 == 0 ? k * 31 : k / 100)); // some packets compress, some go raw
                }
                sent.update(body.duplicate().flip());
                slot = sender.send(slot);
            }
            MigrationStats s = sender.finish();
            receiver.await();
            assertThat(EchoPayload.lastDigest).isEqualTo(sent.digest());
            assertThat(s.codec()).isEqualTo("rle");
            assertThat(s.wireBytes()).as("the codec shrank the runs").isLessThan(s.rawBytes());
        }
        // the log capture is found on the module path and on the class path alike; a clean run warns of nothing
        logs.assertNoneAtOrAbove(System.Logger.Level.WARNING);
    }
}
