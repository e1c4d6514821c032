/**
 * Test only: a provider module with one payload plug-in and one codec, used to prove
 * that {@code io.multifd.core}'s registry finds plug-ins with {@link java.util.ServiceLoader} on the
 * module path (through {@code provides}) and on the class path (through {@code META-INF/services}).
 */
module io.multifd.testprovider {
    requires io.multifd.api;
    // Not needed by the providers themselves: it makes surefire put core on the module path too, so
    // that the module-path run exercises core's `uses` declarations as a named module.
    requires io.multifd.core;
    requires static com.google.auto.service;

    provides io.multifd.api.spi.PayloadPlugin with io.multifd.testprovider.EchoPayload;
    provides io.multifd.api.spi.Codec with io.multifd.testprovider.RunLengthCodec;
}
