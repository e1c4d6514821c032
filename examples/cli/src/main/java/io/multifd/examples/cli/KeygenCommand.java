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

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.HexFormat;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * {@code multifd keygen --cert FILE --key FILE [--name NAME]}: makes a TLS identity without a CA:
 * an EC P-256 key pair and a self-signed certificate for NAME, written as PEM (the key as
 * unencrypted PKCS#8, mode 0600), and prints the certificate's SHA-256 fingerprint. Give the
 * certificate to the peer as its {@code --tls-trust} file (which pins this identity).
 */
@Command(name = "keygen", sortOptions = false, mixinStandardHelpOptions = true,
        description = {"Makes a TLS identity: a self-signed certificate and its private key (EC P-256).",
                "Give the certificate to the other end as its --tls-trust file; keep the key secret."},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {"0:written", "1:the files could not be written", "2:the command line is wrong"})
public final class KeygenCommand extends BaseCommand {

    private static final Pattern IP = Pattern.compile("[0-9.]+|[0-9a-fA-F:]*:[0-9a-fA-F:.]*");
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._:-]{1,253}");

    @Option(names = "--cert", required = true, paramLabel = "FILE", description = "Where to write the certificate (PEM).")
    Path cert;

    @Option(names = "--key", required = true, paramLabel = "FILE",
            description = "Where to write the private key (PKCS#8 PEM, created with mode 0600).")
    Path key;

    @Option(names = "--name", paramLabel = "NAME",
            description = "The identity's name (common name and DNS or IP subject alternative name; "
                    + "default: this host's name).")
    String name;

    /** The longest validity: about 75 years, far inside what X.509 dates can carry. */
    static final int MAX_DAYS = 27_500;

    @Option(names = "--days", paramLabel = "N", defaultValue = "3650",
            description = "Validity in days (default: ${DEFAULT-VALUE}).")
    int days;

    /** Made by picocli. */
    public KeygenCommand() {
    }

    @Override
    protected int run() throws Exception {
        String n = name != null ? name : hostName();
        if (!NAME.matcher(n).matches()) {
            throw new UsageException("--name '" + n + "': use letters, digits, '.', '-', '_' or an IP address");
        }
        if (days < 1 || days > MAX_DAYS) { // X.509 dates end in 9999: a later expiry cannot be encoded or read
            throw new UsageException("--days must be 1 to " + MAX_DAYS + " (until about the year 2100): " + days);
        }
        for (Path p : new Path[] {cert, key}) {
            if (Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
                throw new UsageException("'" + p + "' exists; remove it first (keygen never overwrites)");
            }
        }
        if (cert.toAbsolutePath().normalize().equals(key.toAbsolutePath().normalize())) {
            throw new UsageException("--cert and --key must be different files");
        }
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"), new SecureRandom());
        KeyPair pair = g.generateKeyPair();
        byte[] der = selfSigned(pair, n, days);
        String fingerprint = HexFormat.ofDelimiter(":").withUpperCase()
                .formatHex(MessageDigest.getInstance("SHA-256").digest(der));

        write(key, pem("PRIVATE KEY", pair.getPrivate().getEncoded()), true);
        try {
            write(cert, pem("CERTIFICATE", der), false);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(key);
            throw e;
        }
        if (common.json()) {
            out().println(new Json().put("status", "completed").put("exit_code", ExitStatus.OK).put("name", n).put("cert", cert.toString())
                    .put("key", key.toString()).put("fingerprint", fingerprint).put("days", days));
        } else {
            out().println("SHA-256 fingerprint " + fingerprint);
            if (!common.quiet()) {
                err().println("wrote " + cert + " (certificate for '" + n + "', " + days + " days) and " + key
                        + " (private key, mode 0600)");
            }
        }
        return MultifdCommand.EXIT_OK;
    }

    private static String hostName() {
        try {
            String h = InetAddress.getLocalHost().getHostName();
            return h == null || h.isBlank() ? "multifd" : h;
        } catch (IOException e) {
            return "multifd";
        }
    }

    static byte[] selfSigned(KeyPair pair, String name, int days) throws Exception {
        X500Name subject = new X500Name("CN=" + name.replace(",", "\\,").replace("+", "\\+"));
        Instant now = Instant.now();
        BigInteger serial = new BigInteger(127, new SecureRandom()).add(BigInteger.ONE);
        JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(subject, serial,
                Date.from(now.minus(Duration.ofMinutes(5))), Date.from(now.plus(Duration.ofDays(days))), subject,
                pair.getPublic());
        GeneralName alt = IP.matcher(name).matches() ? new GeneralName(GeneralName.iPAddress, name)
                : new GeneralName(GeneralName.dNSName, name);
        b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(alt));
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
        ContentSigner signer = new JcaContentSignerBuilder("SHA256withECDSA").build(pair.getPrivate());
        X509CertificateHolder holder = b.build(signer);
        return holder.getEncoded();
    }

    /** Creates {@code file} exclusively (never through a symlink), mode 0600 for a secret, and writes {@code text}. */
    private static void write(Path file, String text, boolean secret) throws IOException {
        Set<StandardOpenOption> opts = Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        boolean posix = file.toAbsolutePath().getFileSystem().supportedFileAttributeViews().contains("posix");
        try (SeekableByteChannel ch = posix
                ? Files.newByteChannel(file, opts, PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString(secret ? "rw-------" : "rw-r--r--")))
                : Files.newByteChannel(file, opts)) {
            ch.write(java.nio.ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII)));
        } catch (FileAlreadyExistsException e) {
            throw new UsageException("'" + file + "' exists; remove it first (keygen never overwrites)");
        }
        if (posix && secret) {
            // the umask may have narrowed it further, never widened: make it exactly 0600
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        }
    }

    private static String pem(String label, byte[] der) {
        return "-----BEGIN " + label + "-----\n"
                + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + label + "-----\n";
    }
}
