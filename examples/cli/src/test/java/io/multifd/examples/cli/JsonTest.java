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

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(10)
class JsonTest {

    @Test
    void writesOneFlatObjectOnOneLineInOrder() {
        Json j = new Json().put("status", "completed").put("seconds", 1.23456789).put("ram_bytes", 1L << 30)
                .put("ratio", 0.0).put("ok", true).put("sha256", null).put("rounds", 3);
        assertThat(j.toString()).isEqualTo("{\"status\":\"completed\",\"seconds\":1.2346,\"ram_bytes\":1073741824,"
                + "\"ratio\":0,\"ok\":true,\"sha256\":null,\"rounds\":3}");
    }

    @Test
    void escapesStringsAndNeverWritesNaN() {
        Json j = new Json().put("error", "a \"quoted\"\\path\nline\t\u0001").put("rate", Double.NaN)
                .put("big", 1e20);
        assertThat(j.toString()).isEqualTo("{\"error\":\"a \\\"quoted\\\"\\\\path\\nline\\t\\u0001\",\"rate\":null,"
                + "\"big\":100000000000000000000}");
    }

    @Test
    void parsesWhatItWrites() {
        Json j = new Json().put("status", "failed").put("error", "x\"y\\z\n").put("seconds", 0.5)
                .put("wire_bytes", 123456789012L).put("converged", false).put("sha256", null);
        Json back = Json.parse(j.toString());
        assertThat(back.fields()).containsExactlyEntriesOf(new Json().put("status", "failed").put("error", "x\"y\\z\n")
                .put("seconds", 0.5).put("wire_bytes", 123456789012L).put("converged", false).put("sha256", null)
                .fields());
        assertThat(back.getLong("wire_bytes")).isEqualTo(123456789012L);
        assertThat(back.getDouble("seconds")).isEqualTo(0.5);
        assertThat(back.getLong("missing")).isEqualTo(-1);
    }

    @Test
    void writesAndParsesArraysOfObjects() {
        Json j = new Json().put("role", "send")
                .put("channels", java.util.List.of(new Json().put("channel", 0).put("wire_bytes", 10),
                        new Json().put("channel", 1).put("wire_bytes", 20)))
                .put("rounds", java.util.List.of()).put("status", "completed");
        String text = j.toString();
        assertThat(text).isEqualTo("{\"role\":\"send\",\"channels\":[{\"channel\":0,\"wire_bytes\":10},"
                + "{\"channel\":1,\"wire_bytes\":20}],\"rounds\":[],\"status\":\"completed\"}");
        Json back = Json.parse(" " + text.replace(",", " , ") + " ");
        assertThat(back.toString()).isEqualTo(text);
        assertThat(back.getList("channels")).extracting(c -> c.getLong("wire_bytes")).containsExactly(10L, 20L);
        assertThat(back.getList("rounds")).isEmpty();
        assertThat(back.getList("status")).as("not an array").isEmpty();
    }

    @Test
    void refusesWhatItDoesNotWrite() {
        assertThatThrownBy(() -> Json.parse("{\"a\":[1]}")).hasMessageContaining("expected '{' at position 6");
        assertThat(Json.parse("{\"a\":{\"b\":1}}").getObject("a").getLong("b")).as("nested objects").isEqualTo(1);
        assertThat(new Json().put("a", new Json().put("b", 2)).toString()).isEqualTo("{\"a\":{\"b\":2}}");
        assertThatThrownBy(() -> Json.parse("{\"a\":[{}")).hasMessageContaining("unexpected end");
        assertThatThrownBy(() -> Json.parse("{\"a\":1} x")).hasMessageContaining("text after the object");
        assertThatThrownBy(() -> Json.parse("{\"a\":1")).hasMessageContaining("unexpected end");
        assertThatThrownBy(() -> new Json().put("list", java.util.List.of("x")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("array element");
        assertThatThrownBy(() -> new Json().put("map", java.util.Map.of())).isInstanceOf(IllegalArgumentException.class);
    }
}
