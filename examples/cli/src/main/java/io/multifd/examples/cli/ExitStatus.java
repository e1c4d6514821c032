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

import io.multifd.api.HandshakeRefusedException;
import io.multifd.api.MigrationFailedException;
import io.multifd.api.MultiFdException;
import io.multifd.api.ProtocolCode;

import java.io.EOFException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.channels.ClosedChannelException;
import java.security.cert.CertificateException;
import java.util.LinkedHashMap;
import java.util.Map;

import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLPeerUnverifiedException;

/**
 * The exit statuses of every {@code multifd} command, and the one place where a failure is turned
 * into one of them ({@link #of(Throwable)}). The same numbers for every command, so that a script
 * can act on them:
 *
 * <table>
 *   <caption>Exit statuses</caption>
 *   <tr><th>status</th><th>meaning</th><th>typical causes</th></tr>
 *   <tr><td>{@value #OK}</td><td>completed</td><td></td></tr>
 *   <tr><td>{@value #FAILED}</td><td>failed for another reason</td><td>port in use, disk full, the peer
 *       aborted, a device loader failed</td></tr>
 *   <tr><td>{@value #USAGE}</td><td>the command line is wrong</td><td>unknown option, bad value, missing
 *       image, unknown codec</td></tr>
 *   <tr><td>{@value #CONNECTION}</td><td>could not connect, or the connection was lost or timed out</td>
 *       <td>nobody listening, no sender within {@code --timeout}, reset, {@code --io-timeout}</td></tr>
 *   <tr><td>{@value #REFUSED}</td><td>refused by the peer, by TLS authentication or by a
 *       limit</td><td>codec not allowed, too many channels, image over {@code --max-size}, version or
 *       session mismatch, a TLS peer not trusted or not allowed</td></tr>
 *   <tr><td>{@value #DAMAGED}</td><td>damaged or malformed stream or file</td><td>bad magic, bad CRC,
 *       a length over its cap, a packet that breaks the protocol, a TLS record that fails its
 *       integrity check (changed on the way)</td></tr>
 *   <tr><td>{@value #CANCELLED}</td><td>cancelled by SIGINT (Ctrl-C) or SIGTERM</td><td>see
 *       {@link Cancellation}</td></tr>
 * </table>
 *
 * <p>Stateless; every method may be called from any thread.
 */
public final class ExitStatus {

    /** Completed. */
    public static final int OK = 0;
    /** Failed for a reason none of the other statuses names. */
    public static final int FAILED = 1;
    /** The command line is wrong (bad option or value, missing file, unknown codec). */
    public static final int USAGE = 2;
    /** Could not connect, or the connection was lost or timed out. */
    public static final int CONNECTION = 3;
    /** Refused by the peer, by authentication, or by a limit. */
    public static final int REFUSED = 4;
    /** A damaged or malformed stream or file. */
    public static final int DAMAGED = 5;
    /** Cancelled by SIGINT or SIGTERM before the command completed. */
    public static final int CANCELLED = 6;

    /** The {@code --help} text of each status, in order: {@code "0:completed"}... */
    private static final String[] HELP = {
            OK + ":completed",
            FAILED + ":failed for another reason (port in use, disk full, the peer aborted...)",
            USAGE + ":the command line is wrong (bad option or value, missing file, unknown codec)",
            CONNECTION + ":could not connect, or the connection was lost or timed out",
            REFUSED + ":refused by the peer, by TLS authentication or by a limit (codec not allowed, too many channels, too large...)",
            DAMAGED + ":damaged or malformed stream or file (bad magic, bad CRC, broken packet...)",
            CANCELLED + ":cancelled by SIGINT (Ctrl-C) or SIGTERM; partial output removed",
    };

    private ExitStatus() {
    }

    /**
     * The exit-status list of a command's {@code --help}: every status above, the command's own
     * wording where its {@code exitCodeList} annotation has one for that status (for instance what
     * "completed" means for it).
     *
     * @param own the command's own entries, keyed by status as text (may be empty)
     * @return a new map, in status order
     */
    public static Map<String, String> help(Map<String, String> own) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String line : HELP) {
            int colon = line.indexOf(':');
            String key = line.substring(0, colon);
            String mine = null;
            for (Map.Entry<String, String> e : own.entrySet()) {
                if (e.getKey().strip().equals(key)) {
                    mine = e.getValue();
                }
            }
            out.put(key, mine != null ? mine : line.substring(colon + 1));
        }
        return out;
    }

    /**
     * The exit status a failure stands for. Walks the chain of causes from the outside in: the
     * first exception that says what kind of failure it was decides; one that does not (a generic
     * {@link ProtocolCode#FAILED}, a wrapper) passes the question to its cause.
     *
     * @param failure what a command threw
     * @return one of the statuses above ({@link #CANCELLED} is decided by {@link Cancellation}, not here)
     */
    public static int of(Throwable failure) {
        int depth = 0;
        for (Throwable t = failure; t != null && depth < 32; t = t.getCause(), depth++) {
            int status = direct(t);
            if (status >= 0) {
                return status;
            }
        }
        return FAILED;
    }

    /** The status {@code t} itself stands for, or -1 if only its cause can tell. */
    private static int direct(Throwable t) {
        if (t instanceof UsageException || t instanceof picocli.CommandLine.ParameterException) {
            return USAGE;
        }
        if (t instanceof CommandFailedException c) {
            return c.status();
        }
        if (t instanceof MigrationFailedException && t.getCause() != null) {
            return -1; // its code is its cause's: the cause says more (a refusal, for instance)
        }
        if (t instanceof HandshakeRefusedException) {
            return REFUSED; // whatever field the receiver named, the receiver said no
        }
        if (t instanceof MultiFdException m) {
            return of(m.code());
        }
        if (t instanceof SSLHandshakeException || t instanceof SSLPeerUnverifiedException
                || t instanceof CertificateException) {
            return REFUSED; // TLS: the peer's identity was not accepted, or ours was not
        }
        if (t instanceof SSLException) {
            return DAMAGED; // a TLS record that fails its integrity check or does not parse (tampering)
        }
        if (t instanceof BindException) {
            return FAILED; // cannot listen: the address is taken, not a lost connection
        }
        if (t instanceof ConnectException || t instanceof NoRouteToHostException
                || t instanceof SocketTimeoutException || t instanceof EOFException
                || t instanceof ClosedChannelException || t instanceof SocketException) {
            return CONNECTION;
        }
        if (t instanceof UncheckedIOException || t instanceof InterruptedIOException) {
            return -1; // a wrapper; an interrupt that was a cancellation is decided by Cancellation
        }
        return t.getCause() == null ? FAILED : -1;
    }

    /**
     * The status a protocol code stands for, or -1 for codes that do not say what kind of failure
     * it was ({@link ProtocolCode#FAILED}, {@link ProtocolCode#UNKNOWN}, {@link ProtocolCode#OK}).
     *
     * @param code the code of a {@link MultiFdException}, local or reported by the peer
     * @return the exit status, or -1
     */
    static int of(ProtocolCode code) {
        return switch (code) {
            case TIMEOUT, TRANSPORT -> CONNECTION;
            case UNSUPPORTED_VERSION, SESSION_MISMATCH, CHANNEL_ID_OUT_OF_RANGE, DUPLICATE_CHANNEL, CHANNEL_COUNT,
                    UNKNOWN_CODEC, CODEC_PARAMETERS, FEATURES, PACKET_LENGTH, SETUP_REFUSED, UNKNOWN_PAYLOAD -> REFUSED;
            case BAD_MAGIC, BAD_CRC, MALFORMED, LENGTH -> DAMAGED;
            case ABORTED, PLUGIN_FAILED -> FAILED;
            case OK, FAILED, UNKNOWN -> -1;
        };
    }

    /**
     * The status a failed command passes on from a child {@code multifd} process that exited with
     * {@code childStatus}: that status if it is one of the failure statuses above, else
     * {@link #FAILED} (a child killed by a signal, or one that exited 0 without a result).
     *
     * @param childStatus the child's exit status
     * @return a failure status, never {@link #OK}
     */
    public static int failure(int childStatus) {
        return childStatus > OK && childStatus <= CANCELLED ? childStatus : FAILED;
    }

    /**
     * The word the {@code --json} result's {@code "status"} field carries for an exit status:
     * {@code completed}, {@code cancelled}, or {@code failed}.
     *
     * @param status an exit status
     * @return the word
     */
    public static String word(int status) {
        return switch (status) {
            case OK -> "completed";
            case CANCELLED -> "cancelled";
            default -> "failed";
        };
    }
}
