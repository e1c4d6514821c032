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

import io.multifd.api.MultiFdConfig;
import io.multifd.api.spi.TransportListener;
import io.multifd.core.PluginRegistry;
import io.multifd.core.inspect.StreamInspector;
import io.multifd.core.transport.CaptureListener;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * {@code multifd inspect PATH...}: decodes recorded channel streams (the files
 * {@code recv --capture DIR} writes, or a directory of them): the hello, the manifest, every
 * packet header with its payload header's fields, SYNC, EOS, COMMIT, ABORT. A damaged stream
 * stops at the first bad field, named as the receiver names it (channel, offset, field, value).
 * With {@code --json}, one object per message and one summary object per file.
 *
 * <p>Exit status: 0 every stream is complete (ends with EOS and COMMIT); 5 a stream is damaged or
 * ends early; 1 a file cannot be read; 2 a wrong command line.
 */
@Command(name = "inspect", sortOptions = false, mixinStandardHelpOptions = true,
        description = {"Decodes recorded channel streams (recv --capture DIR): hello, manifest, packets, SYNC, "
                + "EOS, COMMIT, ABORT.",
                "A damaged stream stops at the first bad field, named as the receiver names it. PATH is a file or "
                        + "a directory (its *.bin files, in name order).", ""},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {"0:every stream is complete", "1:a file cannot be read", "2:the command line is wrong (PATH missing, say)",
                "5:a stream is damaged or ends before its COMMIT"})
public final class InspectCommand extends BaseCommand {

    @Parameters(arity = "1..*", paramLabel = "PATH", description = "Files or capture directories.")
    List<Path> paths;

    /** Made by picocli. */
    public InspectCommand() {
    }

    /**
     * For {@code recv --capture DIR}: wraps {@code listener} so that each connection's inbound bytes
     * are written to {@code DIR/channel-K.bin} as they arrive; returns it unchanged without a DIR.
     *
     * @param listener the receiver's listener (above TLS, so that the files hold plain text)
     * @param dir      the capture directory, or null
     * @return the listener to give the receiver
     * @throws IOException if the directory cannot be created
     */
    static TransportListener capture(TransportListener listener, Path dir) throws IOException {
        return dir == null ? listener : CaptureListener.wrap(listener, dir);
    }

    @Override
    protected int run() throws Exception {
        List<Path> files = new ArrayList<>();
        for (Path p : paths) {
            if (Files.isDirectory(p)) {
                List<Path> found;
                try (Stream<Path> s = Files.list(p)) {
                    found = s.filter(f -> f.getFileName().toString().endsWith(".bin")).sorted().toList();
                }
                for (Path f : found) { // a FIFO would block the read forever, a directory fail it
                    if (!Files.isRegularFile(f, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                        throw new UsageException("'" + f + "' is not a regular file (a capture is one): refused");
                    }
                    files.add(f);
                }
            } else if (Files.isRegularFile(p)) {
                files.add(p);
            } else if (Files.exists(p)) {
                throw new UsageException("'" + p + "' is not a regular file (a capture is one): refused");
            } else {
                throw new UsageException("no such file or directory: " + p);
            }
        }
        if (files.isEmpty()) {
            throw new UsageException("no *.bin files in " + paths);
        }
        StreamInspector inspector = new StreamInspector(PluginRegistry.discover(), MultiFdConfig.builder().build());
        PrintWriter out = out();
        boolean json = common.json();
        int status = ExitStatus.OK;
        for (Path f : files) {
            StreamInspector.Summary s;
            try (InputStream in = new BufferedInputStream(Files.newInputStream(f), 1 << 16)) {
                if (!json) {
                    out.println(f + ":");
                }
                s = inspector.inspect(in, m -> out.println(json ? json(f, m) : text(m)));
            } catch (IOException e) {
                throw new IOException("cannot read " + f + ": " + e.getMessage(), e);
            }
            if (json) {
                out.println(new Json().put("event", "summary").put("file", f.toString()).put("bytes", s.bytes())
                        .put("packets", s.packets()).put("complete", s.complete()).put("stop", s.stop()));
            } else {
                out.println("  " + s.bytes() + " bytes, " + s.packets() + " data packets, "
                        + (s.complete() ? "complete" : "stopped: " + s.stop()));
            }
            if (!s.complete()) {
                status = ExitStatus.DAMAGED;
            }
            out.flush();
        }
        return status;
    }

    /**
     * One message as a flat object: a payload header's fields become {@code header.NAME}, a list of
     * numbers a comma-separated string, a list of records an array of objects.
     */
    private static Json json(Path file, StreamInspector.Message m) {
        Json j = new Json().put("event", "message").put("file", file.toString()).put("kind", m.kind())
                .put("offset", m.offset());
        m.fields().forEach((k, v) -> put(j, k, v));
        return j;
    }

    private static void put(Json j, String key, Object v) {
        if (v instanceof Map<?, ?> map) {
            map.forEach((k, x) -> put(j, key + "." + k, x));
        } else if (v instanceof List<?> list && !list.isEmpty() && list.get(0) instanceof Map<?, ?>) {
            List<Json> objects = new ArrayList<>();
            for (Object o : list) {
                Json r = new Json();
                ((Map<?, ?>) o).forEach((k, x) -> put(r, String.valueOf(k), x));
                objects.add(r);
            }
            j.put(key, objects);
        } else if (v instanceof List<?> list) {
            j.put(key, String.join(",", list.stream().map(String::valueOf).toList()));
        } else if (v == null || v instanceof String || v instanceof Number || v instanceof Boolean) {
            j.put(key, v);
        } else {
            j.put(key, v.toString());
        }
    }

    private static String text(StreamInspector.Message m) {
        StringBuilder sb = new StringBuilder("  @").append(m.offset()).append(' ').append(m.kind());
        m.fields().forEach((k, v) -> {
            if (v instanceof Map<?, ?> map && !map.isEmpty()) {
                sb.append(' ').append(k).append("={");
                StringBuilder inner = new StringBuilder();
                map.forEach((ik, iv) -> inner.append(inner.length() == 0 ? "" : " ").append(ik).append('=').append(iv));
                sb.append(inner).append('}');
            } else if (!(v instanceof Map<?, ?>)) {
                sb.append(' ').append(k).append('=').append(v);
            }
        });
        return sb.toString();
    }
}
