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

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The one JSON object a command prints with {@code --json}: an object of strings, numbers,
 * booleans, nulls and arrays of such objects (the per-channel and per-round figures), in
 * insertion order, on one line. Hand-written on purpose (a dozen fields do not need a JSON
 * library in the fat jar). Also parses such an object back ({@link #parse}), for the demo, which
 * reads what its two child processes printed. Not thread-safe.
 */
public final class Json {

    private final Map<String, Object> fields = new LinkedHashMap<>();

    /**
     * Sets a field (a later value replaces an earlier one, keeping its place).
     *
     * @param name  the field name
     * @param value a String, Number, Boolean, null, a nested {@link Json} object, or a List of
     *              {@link Json} objects (copied)
     * @return this object
     */
    public Json put(String name, Object value) {
        if (value instanceof List<?> list) {
            List<Json> copy = new ArrayList<>(list.size());
            for (Object o : list) {
                if (!(o instanceof Json j)) {
                    throw new IllegalArgumentException("unsupported JSON array element for '" + name + "': "
                            + (o == null ? "null" : o.getClass()));
                }
                copy.add(j);
            }
            fields.put(name, List.copyOf(copy));
            return this;
        }
        if (value != null && !(value instanceof String || value instanceof Number || value instanceof Boolean
                || value instanceof Json)) {
            throw new IllegalArgumentException("unsupported JSON value for '" + name + "': " + value.getClass());
        }
        fields.put(name, value);
        return this;
    }

    /**
     * Returns an array field.
     *
     * @param name the field
     * @return its objects, or an empty list if absent or not an array
     */
    @SuppressWarnings("unchecked")
    public List<Json> getList(String name) {
        return fields.get(name) instanceof List<?> l ? (List<Json>) l : List.of();
    }

    /**
     * Returns a nested object field.
     *
     * @param name the field
     * @return the object, or null if absent or not an object
     */
    public Json getObject(String name) {
        return fields.get(name) instanceof Json j ? j : null;
    }

    /** The fields, in order; the map is this object's own. */
    public Map<String, Object> fields() {
        return fields;
    }

    /**
     * Returns a field's value.
     *
     * @param name the field
     * @return its value, or null if absent or null
     */
    public Object get(String name) {
        return fields.get(name);
    }

    /**
     * Returns a numeric field as a long.
     *
     * @param name the field
     * @return its value, or -1 if absent or not a number
     */
    public long getLong(String name) {
        return fields.get(name) instanceof Number n ? n.longValue() : -1;
    }

    /**
     * Returns a numeric field as a double.
     *
     * @param name the field
     * @return its value, or NaN if absent or not a number
     */
    public double getDouble(String name) {
        return fields.get(name) instanceof Number n ? n.doubleValue() : Double.NaN;
    }

    /**
     * Returns a field as a string.
     *
     * @param name the field
     * @return its value as text, or null if absent or null
     */
    public String getString(String name) {
        Object v = fields.get(name);
        return v == null ? null : v.toString();
    }

    /** The object on one line, e.g. {@code {"status":"completed","seconds":1.234}}. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        write(sb);
        return sb.toString();
    }

    private void write(StringBuilder sb) {
        sb.append('{');
        boolean first = true;
        for (Map.Entry<String, Object> e : fields.entrySet()) {
            if (!first) {
                sb.append(',');
            }
            first = false;
            quote(sb, e.getKey());
            sb.append(':');
            Object v = e.getValue();
            if (v == null) {
                sb.append("null");
            } else if (v instanceof List<?> list) {
                sb.append('[');
                for (int i = 0; i < list.size(); i++) {
                    if (i > 0) {
                        sb.append(',');
                    }
                    ((Json) list.get(i)).write(sb);
                }
                sb.append(']');
            } else if (v instanceof Json j) {
                j.write(sb);
            } else if (v instanceof String s) {
                quote(sb, s);
            } else if (v instanceof Double || v instanceof Float) {
                double d = ((Number) v).doubleValue();
                // 4 decimals are plenty for seconds and rates; never exponent notation
                sb.append(Double.isFinite(d) ? new BigDecimal(d).setScale(4, RoundingMode.HALF_UP).stripTrailingZeros()
                        .toPlainString() : "null");
            } else {
                sb.append(v);
            }
        }
        sb.append('}');
    }

    private static void quote(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }

    /**
     * Parses one JSON object as {@link #toString()} writes it: values may be nested objects and
     * arrays of objects. Integers become {@link Long}, other numbers
     * {@link Double}.
     *
     * @param text the text
     * @return the object
     * @throws IllegalArgumentException naming the position of the first thing that is not understood
     */
    public static Json parse(String text) {
        return new Parser(text).object();
    }

    private static final class Parser {
        private final String s;
        private int i;

        Parser(String s) {
            this.s = s;
        }

        Json object() {
            return end(nested());
        }

        /** One object, leaving the position after its closing brace. */
        private Json nested() {
            Json out = new Json();
            ws();
            expect('{');
            ws();
            if (peek() == '}') {
                i++;
                return out;
            }
            while (true) {
                ws();
                String name = string();
                ws();
                expect(':');
                ws();
                out.fields.put(name, value());
                ws();
                char c = next();
                if (c == '}') {
                    return out;
                }
                if (c != ',') {
                    throw error("expected ',' or '}'");
                }
            }
        }

        private List<Json> array() {
            expect('[');
            List<Json> out = new ArrayList<>();
            ws();
            if (peek() == ']') {
                i++;
                return out;
            }
            while (true) {
                out.add(nested());
                ws();
                char c = next();
                if (c == ']') {
                    return out;
                }
                if (c != ',') {
                    throw error("expected ',' or ']'");
                }
            }
        }

        private Json end(Json out) {
            ws();
            if (i != s.length()) {
                throw error("text after the object");
            }
            return out;
        }

        private Object value() {
            char c = peek();
            if (c == '"') {
                return string();
            }
            if (c == '[') {
                return List.copyOf(array());
            }
            if (c == '{') {
                return nested();
            }
            if (s.startsWith("true", i)) {
                i += 4;
                return Boolean.TRUE;
            }
            if (s.startsWith("false", i)) {
                i += 5;
                return Boolean.FALSE;
            }
            if (s.startsWith("null", i)) {
                i += 4;
                return null;
            }
            int start = i;
            while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) {
                i++;
            }
            String num = s.substring(start, i);
            if (num.isEmpty()) {
                throw error("expected a value");
            }
            try {
                return num.matches("-?\\d+") ? (Object) Long.parseLong(num) : (Object) Double.parseDouble(num);
            } catch (NumberFormatException e) {
                throw error("bad number '" + num + "'");
            }
        }

        private String string() {
            expect('"');
            StringBuilder sb = new StringBuilder();
            while (true) {
                char c = next();
                if (c == '"') {
                    return sb.toString();
                }
                if (c != '\\') {
                    sb.append(c);
                    continue;
                }
                char e = next();
                switch (e) {
                    case 'n' -> sb.append('\n');
                    case 'r' -> sb.append('\r');
                    case 't' -> sb.append('\t');
                    case 'b' -> sb.append('\b');
                    case 'f' -> sb.append('\f');
                    case 'u' -> {
                        if (i + 4 > s.length()) {
                            throw error("truncated \\u escape");
                        }
                        sb.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                        i += 4;
                    }
                    default -> sb.append(e);
                }
            }
        }

        private void ws() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
        }

        private char peek() {
            if (i >= s.length()) {
                throw error("unexpected end");
            }
            return s.charAt(i);
        }

        private char next() {
            char c = peek();
            i++;
            return c;
        }

        private void expect(char c) {
            if (next() != c) {
                i--;
                throw error("expected '" + c + "'");
            }
        }

        private IllegalArgumentException error(String what) {
            return new IllegalArgumentException("JSON: " + what + " at position " + i);
        }
    }
}
