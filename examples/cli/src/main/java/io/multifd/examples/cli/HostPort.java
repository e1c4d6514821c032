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

import java.net.InetSocketAddress;

/**
 * A {@code HOST:PORT} argument: {@code 127.0.0.1:5000}, {@code localhost:5000},
 * {@code [::1]:5000}. Immutable.
 *
 * @param host the host name or address, without brackets
 * @param port the port, 0 to 65535
 */
public record HostPort(String host, int port) {

    /**
     * Parses {@code HOST:PORT}.
     *
     * @param text the argument
     * @return the parsed value (not resolved)
     * @throws IllegalArgumentException with one line saying what is wrong
     */
    public static HostPort parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("'" + text + "' is not HOST:PORT");
        }
        String host;
        String port;
        if (text.startsWith("[")) {
            int close = text.indexOf(']');
            if (close < 0 || close + 1 >= text.length() || text.charAt(close + 1) != ':') {
                throw new IllegalArgumentException("'" + text + "' is not HOST:PORT (IPv6: [::1]:5000)");
            }
            host = text.substring(1, close);
            port = text.substring(close + 2);
        } else {
            int colon = text.lastIndexOf(':');
            if (colon < 0 || text.indexOf(':') != colon) {
                throw new IllegalArgumentException("'" + text + "' is not HOST:PORT (e.g. 127.0.0.1:5000)");
            }
            host = text.substring(0, colon);
            port = text.substring(colon + 1);
        }
        if (host.isEmpty()) {
            throw new IllegalArgumentException("'" + text + "' has no host (e.g. 127.0.0.1:5000, 0.0.0.0:5000)");
        }
        int p;
        try {
            p = Integer.parseInt(port);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "': port '" + port + "' is not a number");
        }
        if (p < 0 || p > 65535) {
            throw new IllegalArgumentException("'" + text + "': port " + p + " is outside 0 to 65535");
        }
        return new HostPort(host, p);
    }

    /**
     * Resolves the host.
     *
     * @return the socket address
     * @throws UsageException if the host name cannot be resolved
     */
    public InetSocketAddress resolve() {
        InetSocketAddress a = new InetSocketAddress(host, port);
        if (a.isUnresolved()) {
            throw new UsageException("cannot resolve host '" + host + "'");
        }
        return a;
    }

    @Override
    public String toString() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
}
