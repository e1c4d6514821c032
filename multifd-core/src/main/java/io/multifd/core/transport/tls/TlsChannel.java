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

import io.multifd.api.ChannelTimeoutException;
import io.multifd.api.spi.ConnectionDroppedException;
import io.multifd.api.spi.TransportChannel;
import io.multifd.core.channel.PeerClose;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.locks.ReentrantLock;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * A {@link TransportChannel} that runs TLS ({@link SSLEngine}) over another, blocking transport
 * channel (TCP or Unix domain).
 *
 * <p>The handshake runs once, on the first of {@link #handshake()}, a read or a write, bounded by
 * the handshake timeout: when it passes, the underlying channel is closed and the call fails
 * with a {@link ChannelTimeoutException}. Once it succeeded the peer's certificate is checked by
 * the transport (allowed names, same identity as the session's first channel).
 *
 * <p>Threads: one reader and one writer at a time, concurrently (each direction has its own
 * lock and buffers; the engine serialises only its short encrypt and decrypt steps). A reader
 * that must answer a post-handshake message (a TLS 1.3 KeyUpdate) takes the write lock for it.
 * {@link #close()} may be called from any thread and makes blocked calls return: it closes the
 * underlying channel without a close_notify. {@link #shutdownOutput()} ends the outbound direction
 * cleanly (close_notify, then the socket's output is shut); the peer then reads end of stream.
 *
 * <p>Buffers: callers own the buffers they pass; the channel keeps its own encrypted-data
 * buffers and copies plaintext only when a record holds more than the caller's buffers can take.
 */
public final class TlsChannel implements TransportChannel {

    private static final System.Logger LOG = System.getLogger(TlsChannel.class.getName());
    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);
    /** Encrypted records gathered before one write to the socket, and read with one read. */
    private static final int RECORDS_PER_WRITE = 4;

    private final TransportChannel inner;
    private final SSLEngine engine;
    private final String description;
    private final Duration handshakeTimeout;
    private final PeerCheck peerCheck;

    private final ReentrantLock handshakeLock = new ReentrantLock();
    private final ReentrantLock readLock = new ReentrantLock();
    private final ReentrantLock writeLock = new ReentrantLock();

    // read side, guarded by readLock (or handshakeLock before the handshake ended)
    private ByteBuffer netIn;   // encrypted, in read mode (position..limit unread)
    private ByteBuffer appIn;   // decrypted bytes the caller's buffers could not take, in read mode
    private boolean inboundDone;
    private boolean heardFromPeer; // any byte read from the peer yet
    // write side, guarded by writeLock (or handshakeLock before the handshake ended)
    private ByteBuffer netOut;  // encrypted, in write mode

    private volatile boolean handshaken;
    private volatile IOException handshakeFailure;
    private volatile boolean timedOut;
    private volatile boolean closed;
    private volatile X509Certificate peer;

    TlsChannel(TransportChannel inner, SSLEngine engine, Duration handshakeTimeout, PeerCheck peerCheck) {
        this.inner = inner;
        this.engine = engine;
        this.description = "tls " + inner.description();
        this.handshakeTimeout = handshakeTimeout;
        this.peerCheck = peerCheck;
        SSLSession s = engine.getSession();
        this.netIn = ByteBuffer.allocateDirect(s.getPacketBufferSize() * RECORDS_PER_WRITE).flip();
        this.appIn = ByteBuffer.allocate(s.getApplicationBufferSize()).flip();
        this.netOut = ByteBuffer.allocateDirect(s.getPacketBufferSize() * RECORDS_PER_WRITE);
    }

    /**
     * Runs the handshake if it has not run yet, and checks the peer. Any thread; a second caller
     * waits for the first (bounded by the handshake timeout).
     *
     * @throws IOException naming the peer and the reason if the handshake fails, was refused or
     *                     did not finish within the handshake timeout (a {@link ChannelTimeoutException});
     *                     a {@link ConnectionDroppedException} on the connecting side if the peer
     *                     closed before sending a byte
     */
    public void handshake() throws IOException {
        if (handshaken) {
            return;
        }
        handshakeLock.lock();
        try {
            if (handshaken) {
                return;
            }
            if (handshakeFailure != null) {
                throw new SSLException(handshakeFailure.getMessage(), handshakeFailure);
            }
            if (closed) {
                throw new ClosedChannelException();
            }
            ScheduledFuture<?> timer = HandshakeTimer.schedule(this::handshakeTimedOut, handshakeTimeout);
            try {
                engine.beginHandshake();
                runHandshake();
                X509Certificate p = peerCertificate(engine.getSession());
                peerCheck.check(this, p);
                peer = p;
                handshaken = true;
                LOG.log(System.Logger.Level.DEBUG, () -> "TLS with " + inner.description() + ": "
                        + engine.getSession().getProtocol() + " " + engine.getSession().getCipherSuite() + ", peer "
                        + Certificates.describe(p));
            } catch (IOException | RuntimeException e) {
                IOException f = failure(e);
                if (!timedOut && TlsFailures.localRefusal(e)) {
                    // before the alert goes out: whatever the refused peer does next to this
                    // session's other channels, their failures can then name this reason
                    peerCheck.refused(f.getMessage());
                } else if (peerCheck.firstRefusal() != null && f instanceof SSLHandshakeException) {
                    f = new SSLHandshakeException(f.getMessage() + "; another channel of this session refused the peer: "
                            + peerCheck.firstRefusal());
                }
                handshakeFailure = f;
                if (e instanceof SSLException && !timedOut && !closed && sendPendingAlert()
                        && !engine.getUseClientMode()) {
                    // only the accepting side lingers: a connecting side that refused the peer
                    // reports at once (before the refused peer cuts this session's other channels)
                    lingerForAlert();
                }
                closeQuietly();
                throw f;
            } finally {
                timer.cancel(false);
            }
        } finally {
            handshakeLock.unlock();
        }
    }

    private void handshakeTimedOut() {
        if (!handshaken) {
            timedOut = true;
            closeQuietly();
        }
    }

    private static X509Certificate peerCertificate(SSLSession s) throws SSLPeerUnverifiedException {
        Certificate[] certs = s.getPeerCertificates();
        if (certs.length == 0 || !(certs[0] instanceof X509Certificate x)) {
            throw new SSLPeerUnverifiedException("the peer presented no X.509 certificate");
        }
        return x;
    }

    /** Turns whatever ended the handshake into one exception naming the peer and the reason. */
    private IOException failure(Throwable e) {
        String prefix = "TLS handshake with " + inner.description();
        if (timedOut) {
            return new ChannelTimeoutException(prefix + " did not complete within " + handshakeTimeout.toMillis()
                    + " ms", e);
        }
        if (e instanceof ClosedChannelException && closed) {
            ClosedChannelException c = new ClosedChannelException();
            c.initCause(e);
            return c;
        }
        if (engine.getUseClientMode() && !heardFromPeer && PeerClose.closedByPeer(e)) {
            return new ConnectionDroppedException(prefix + ": the receiver closed the connection before answering"
                    + " (its pending connections full, or not a TLS receiver?)");
        }
        return new SSLHandshakeException(prefix + " failed: " + TlsFailures.reason(e));
    }

    /** The blocking handshake loop, on the handshaking thread. */
    private void runHandshake() throws IOException {
        HandshakeStatus hs = engine.getHandshakeStatus();
        while (hs != HandshakeStatus.FINISHED && hs != HandshakeStatus.NOT_HANDSHAKING) {
            switch (hs) {
                case NEED_TASK -> runTasks();
                case NEED_WRAP -> {
                    SSLEngineResult r = engine.wrap(EMPTY, netOut);
                    if (r.getStatus() == SSLEngineResult.Status.BUFFER_OVERFLOW) {
                        flushOut();
                        netOut = TlsBuffers.grow(netOut, engine.getSession().getPacketBufferSize());
                    }
                    flushOut();
                    if (r.getStatus() == SSLEngineResult.Status.CLOSED) {
                        throw new EOFException("the TLS session was closed during the handshake");
                    }
                }
                case NEED_UNWRAP, NEED_UNWRAP_AGAIN -> {
                    SSLEngineResult r;
                    appIn.compact();
                    try {
                        r = engine.unwrap(netIn, appIn);
                    } finally {
                        appIn.flip();
                    }
                    switch (r.getStatus()) {
                        case BUFFER_UNDERFLOW -> {
                            if (fill() < 0) {
                                throw new EOFException("the peer closed the connection during the TLS handshake "
                                        + "(a plaintext receiver, or one that refused our certificate?)");
                            }
                        }
                        case BUFFER_OVERFLOW ->
                                appIn = TlsBuffers.growRead(appIn, engine.getSession().getApplicationBufferSize());
                        case CLOSED -> throw new EOFException("the peer closed the TLS session during the handshake");
                        default -> {
                        }
                    }
                }
                default -> throw new IllegalStateException("unexpected handshake status " + hs);
            }
            hs = engine.getHandshakeStatus();
        }
        flushOut();
    }

    /**
     * After a refusal, lets the peer read the alert: closing a socket with unread input (the
     * peer may already have sent data after its half of the handshake) resets the connection,
     * and a reset can destroy the alert before the peer reads it. So the output is shut and the
     * input drained until the peer closes, at most 1 MiB, within the handshake timeout that
     * is still armed.
     */
    private void lingerForAlert() {
        try {
            inner.shutdownOutput();
            ByteBuffer sink = ByteBuffer.allocate(8192);
            long drained = 0;
            int n;
            while (drained < (1 << 20) && (n = inner.read(sink.clear())) >= 0) {
                drained += n;
            }
        } catch (IOException | RuntimeException ignored) {
            // the peer reset or the timer closed the channel: either way we are done
        }
    }

    /**
     * After a local failure, sends the alert the engine prepared so the peer learns why (best
     * effort).
     *
     * @return true if an alert was sent
     */
    private boolean sendPendingAlert() {
        boolean sent = false;
        try {
            for (int i = 0; i < 4 && engine.getHandshakeStatus() == HandshakeStatus.NEED_WRAP; i++) {
                SSLEngineResult r = engine.wrap(EMPTY, netOut);
                flushOut();
                if (r.bytesProduced() == 0) {
                    break;
                }
                sent = true;
            }
        } catch (IOException | RuntimeException ignored) {
            // the original failure is what matters
        }
        return sent;
    }

    private void runTasks() {
        Runnable task;
        while ((task = engine.getDelegatedTask()) != null) {
            task.run();
        }
    }

    /** Reads more encrypted bytes into {@link #netIn}; returns what the underlying read returned. */
    private int fill() throws IOException {
        netIn.compact();
        try {
            if (!netIn.hasRemaining()) {
                netIn.flip();
                netIn = TlsBuffers.growRead(netIn, engine.getSession().getPacketBufferSize());
                netIn.compact();
            }
            int n = inner.read(netIn);
            heardFromPeer |= n > 0;
            return n;
        } finally {
            netIn.flip();
        }
    }

    /** Writes all of {@link #netOut} to the underlying channel and clears it. */
    private void flushOut() throws IOException {
        netOut.flip();
        try {
            while (netOut.hasRemaining()) {
                inner.write(netOut);
            }
        } finally {
            netOut.compact();
        }
    }

    private IOException onIo(IOException e) {
        if (e instanceof SSLException && !(e.getMessage() != null && e.getMessage().startsWith("TLS "))) {
            String message = "TLS on " + inner.description() + " failed: " + TlsFailures.reason(e);
            if (TlsFailures.refusedByPeer(e)) {
                // the receiver refused our certificate or names after our half of a TLS 1.3 handshake
                SSLHandshakeException refused = new SSLHandshakeException(message);
                refused.initCause(e);
                return refused;
            }
            return new SSLException(message, e);
        }
        return e;
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        return (int) read(new ByteBuffer[] {dst}, 0, 1);
    }

    @Override
    public long read(ByteBuffer[] dsts) throws IOException {
        return read(dsts, 0, dsts.length);
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
        handshake();
        readLock.lock();
        try {
            return doRead(dsts, offset, length);
        } catch (IOException e) {
            throw onIo(e);
        } finally {
            readLock.unlock();
        }
    }

    private long doRead(ByteBuffer[] dsts, int offset, int length) throws IOException {
        long room = TlsBuffers.remaining(dsts, offset, length);
        if (room == 0) {
            return 0;
        }
        if (appIn.hasRemaining()) {
            return drainAppIn(dsts, offset, length);
        }
        if (inboundDone) {
            return -1;
        }
        ByteBuffer[] targets = new ByteBuffer[length + 1];
        System.arraycopy(dsts, offset, targets, 0, length);
        while (true) {
            if (netIn.hasRemaining()) {
                appIn.clear();
                targets[length] = appIn;
                SSLEngineResult r;
                try {
                    r = engine.unwrap(netIn, targets, 0, length + 1);
                } finally {
                    appIn.flip();
                }
                afterUnwrap(r.getHandshakeStatus());
                long delivered = r.bytesProduced() - appIn.remaining();
                switch (r.getStatus()) {
                    case OK -> {
                        if (r.bytesProduced() > 0) {
                            return delivered > 0 ? delivered : drainAppIn(dsts, offset, length);
                        }
                        continue; // a handshake message or an empty record
                    }
                    case CLOSED -> {
                        inboundDone = true;
                        return r.bytesProduced() > 0 ? delivered : -1;
                    }
                    case BUFFER_OVERFLOW -> {
                        appIn = TlsBuffers.growRead(appIn, engine.getSession().getApplicationBufferSize());
                        continue;
                    }
                    case BUFFER_UNDERFLOW -> {
                        // fall through to read more
                    }
                    default -> throw new IllegalStateException("unexpected unwrap status " + r.getStatus());
                }
            }
            if (fill() < 0) {
                // end of stream without close_notify: the multifd framing above notices a cut stream
                inboundDone = true;
                return -1;
            }
        }
    }

    /** Handles what a post-handshake message asks for, on the reading thread. */
    private void afterUnwrap(HandshakeStatus hs) throws IOException {
        if (hs == HandshakeStatus.NEED_TASK) {
            runTasks();
            hs = engine.getHandshakeStatus();
        }
        if (hs == HandshakeStatus.NEED_WRAP) {
            writeLock.lock();
            try {
                for (int i = 0; i < 8 && engine.getHandshakeStatus() == HandshakeStatus.NEED_WRAP; i++) {
                    SSLEngineResult r = engine.wrap(EMPTY, netOut);
                    flushOut();
                    if (r.bytesProduced() == 0) {
                        break;
                    }
                }
            } finally {
                writeLock.unlock();
            }
        }
    }

    private long drainAppIn(ByteBuffer[] dsts, int offset, int length) {
        long n = 0;
        for (int i = offset; i < offset + length && appIn.hasRemaining(); i++) {
            ByteBuffer d = dsts[i];
            int k = Math.min(d.remaining(), appIn.remaining());
            if (k > 0) {
                int lim = appIn.limit();
                appIn.limit(appIn.position() + k);
                d.put(appIn);
                appIn.limit(lim);
                n += k;
            }
        }
        return n;
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        return (int) write(new ByteBuffer[] {src}, 0, 1);
    }

    @Override
    public long write(ByteBuffer[] srcs) throws IOException {
        return write(srcs, 0, srcs.length);
    }

    /**
     * Encrypts and writes all of {@code srcs}: records of up to 16 KiB gathered from the buffers,
     * a few records per write to the underlying channel. Blocks until everything is written.
     */
    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        handshake();
        writeLock.lock();
        try {
            return doWrite(srcs, offset, length);
        } catch (IOException e) {
            throw onIo(e);
        } finally {
            writeLock.unlock();
        }
    }

    private long doWrite(ByteBuffer[] srcs, int offset, int length) throws IOException {
        long total = TlsBuffers.remaining(srcs, offset, length);
        long consumed = 0;
        int packet = engine.getSession().getPacketBufferSize();
        while (consumed < total) {
            if (netOut.remaining() < packet) {
                flushOut();
                if (netOut.remaining() < packet) {
                    netOut = TlsBuffers.grow(netOut, packet * RECORDS_PER_WRITE);
                }
            }
            SSLEngineResult r = engine.wrap(srcs, offset, length, netOut);
            consumed += r.bytesConsumed();
            switch (r.getStatus()) {
                case OK -> {
                    if (r.getHandshakeStatus() == HandshakeStatus.NEED_TASK) {
                        runTasks();
                    }
                    if (r.bytesConsumed() == 0 && r.bytesProduced() == 0) {
                        throw new SSLException("the peer started a renegotiation, which this transport does not support");
                    }
                }
                case BUFFER_OVERFLOW -> {
                    flushOut();
                    netOut = TlsBuffers.grow(netOut, engine.getSession().getPacketBufferSize() * RECORDS_PER_WRITE);
                }
                case CLOSED -> throw new ClosedChannelException();
                default -> throw new IllegalStateException("unexpected wrap status " + r.getStatus());
            }
        }
        flushOut();
        return consumed;
    }

    /**
     * Sends close_notify and shuts the underlying output (the peer reads end of stream; reads
     * here go on). Before the handshake finished only the underlying output is shut.
     */
    @Override
    public void shutdownOutput() throws IOException {
        if (handshaken && !closed) {
            writeLock.lock();
            try {
                engine.closeOutbound();
                for (int i = 0; i < 8 && !engine.isOutboundDone(); i++) {
                    SSLEngineResult r = engine.wrap(EMPTY, netOut);
                    flushOut();
                    if (r.bytesProduced() == 0) {
                        break;
                    }
                }
            } catch (IOException e) {
                throw onIo(e);
            } finally {
                writeLock.unlock();
            }
        }
        inner.shutdownOutput();
    }

    /**
     * The receiver admitted this connection into its session: the session's identity check
     * (every channel presents the certificate of the first one admitted). The admitting thread.
     */
    @Override
    public void admitted() throws IOException {
        peerCheck.admitted(this, peerCertificate());
    }

    /** The negotiated session (protocol, cipher suite, peer), after the handshake. */
    public SSLSession session() {
        if (!handshaken) {
            throw new IllegalStateException("the TLS handshake with " + inner.description() + " has not completed");
        }
        return engine.getSession();
    }

    /** The peer's certificate, after the handshake. */
    public X509Certificate peerCertificate() {
        if (!handshaken) {
            throw new IllegalStateException("the TLS handshake with " + inner.description() + " has not completed");
        }
        return peer;
    }

    @Override
    public boolean isOpen() {
        return !closed && inner.isOpen();
    }

    /** Closes the underlying channel at once (no close_notify); blocked calls return. Any thread. */
    @Override
    public void close() throws IOException {
        closed = true;
        inner.close();
    }

    private void closeQuietly() {
        try {
            close();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "closing " + description + ": " + e);
        }
    }

    @Override
    public String description() {
        return description;
    }

    @Override
    public String toString() {
        return description;
    }
}
