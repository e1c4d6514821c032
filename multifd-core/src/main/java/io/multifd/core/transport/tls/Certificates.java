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
package io.multifd.core.transport.tls;

import java.net.InetAddress;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

/** Names and fingerprints of certificates, for identity checks and messages. Stateless. */
final class Certificates {

    private Certificates() {
    }

    /** The subject as RFC 2253 text, such as {@code CN=receiver}. */
    static String subject(X509Certificate c) {
        return c.getSubjectX500Principal().getName();
    }

    /** The SHA-256 fingerprint as colon-separated upper-case hex. */
    static String fingerprint(X509Certificate c) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(c.getEncoded());
            return HexFormat.ofDelimiter(":").withUpperCase().formatHex(d);
        } catch (NoSuchAlgorithmException | CertificateEncodingException e) {
            return "(no fingerprint: " + e.getMessage() + ")";
        }
    }

    /** {@code CN=x (SHA-256 AB:CD:...)}: how messages name a certificate. */
    static String describe(X509Certificate c) {
        return subject(c) + " (SHA-256 " + fingerprint(c) + ")";
    }

    /**
     * The names a certificate claims: its DNS and IP subject alternative names, then the common
     * names of its subject, lower-cased, without duplicates.
     */
    static Set<String> names(X509Certificate c) {
        Set<String> names = new LinkedHashSet<>();
        try {
            Collection<List<?>> alt = c.getSubjectAlternativeNames();
            if (alt != null) {
                for (List<?> entry : alt) {
                    int type = (Integer) entry.get(0);
                    if ((type == 2 || type == 7) && entry.get(1) instanceof String s) { // dNSName, iPAddress
                        names.add(normalise(s));
                    }
                }
            }
        } catch (CertificateParsingException e) {
            // an unparsable extension names nothing
        }
        try {
            for (Rdn rdn : new LdapName(subject(c)).getRdns()) {
                if (rdn.getType().equalsIgnoreCase("CN")) {
                    names.add(normalise(String.valueOf(rdn.getValue())));
                }
            }
        } catch (InvalidNameException e) {
            // a subject the JDK printed is always parsable; nothing to add otherwise
        }
        return names;
    }

    /** Lower case; an IP literal in its canonical form (so {@code ::1} equals {@code 0:0:0:0:0:0:0:1}). */
    static String normalise(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        if (!n.isEmpty() && (Character.digit(n.charAt(0), 16) >= 0 || n.charAt(0) == ':' || n.charAt(0) == '[')
                && n.matches("\\[?[0-9a-f:.]+]?")) {
            try {
                String literal = n.startsWith("[") ? n.substring(1, n.length() - 1) : n;
                if (literal.indexOf(':') >= 0 || literal.matches("[0-9.]+")) {
                    return InetAddress.getByName(literal).getHostAddress();
                }
            } catch (java.net.UnknownHostException | IndexOutOfBoundsException e) {
                return n;
            }
        }
        return n;
    }

    /** The names of {@code c}, as a list for messages. */
    static List<String> nameList(X509Certificate c) {
        return new ArrayList<>(names(c));
    }
}
