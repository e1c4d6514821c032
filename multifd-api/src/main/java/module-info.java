/**
 * The public face of multifd-java: what users and plug-in authors program against.
 *
 * <p>{@code io.multifd.api} holds the generic slot {@link io.multifd.api.SendData}, the
 * configuration, the exception family, statistics and the event listener.
 * {@code io.multifd.api.spi} holds the three service provider interfaces: payload plug-ins
 * ({@link io.multifd.api.spi.PayloadPlugin}), codecs
 * ({@link io.multifd.api.spi.Codec}), and transports
 * ({@link io.multifd.api.spi.TransportConnector}, {@link io.multifd.api.spi.TransportListener}).
 *
 * <p>This module has no dependencies. It declares no {@code uses}: the registry that loads
 * providers lives in {@code io.multifd.core}, which declares them.
 */
module io.multifd.api {
    exports io.multifd.api;
    exports io.multifd.api.spi;
}
