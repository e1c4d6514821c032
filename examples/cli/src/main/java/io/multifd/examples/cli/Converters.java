package io.multifd.examples.cli;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * picocli converters for the argument types of the command line. Stateless; made by picocli.
 */
public final class Converters {

    private Converters() {
    }

    /** {@code 512M}, {@code 1G}, {@code 4096}, {@code 4K}: see {@link Sizes#parse(String)}. */
    public static final class Size implements ITypeConverter<Long> {
        /** Made by picocli. */
        public Size() {
        }

        @Override
        public Long convert(String value) {
            try {
                return Sizes.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    /** {@code HOST:PORT}: see {@link HostPort#parse(String)}. */
    public static final class Address implements ITypeConverter<HostPort> {
        /** Made by picocli. */
        public Address() {
        }

        @Override
        public HostPort convert(String value) {
            try {
                return HostPort.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }
}
