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

import io.multifd.api.DataChecksum;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

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

    /**
     * A file or directory path. An empty value is refused here, naming the option: as a path it
     * would mean the current directory, and each command would then report that directory
     * instead of the empty argument.
     */
    public static final class FilePath implements ITypeConverter<java.nio.file.Path> {
        /** Made by picocli. */
        public FilePath() {
        }

        @Override
        public java.nio.file.Path convert(String value) {
            if (value.isEmpty()) {
                throw new TypeConversionException("an empty path");
            }
            try {
                return java.nio.file.Path.of(value);
            } catch (java.nio.file.InvalidPathException e) {
                throw new TypeConversionException("not a valid path: " + e.getReason());
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

    /** {@code off}, {@code encoded} or {@code all} (any case): a {@link DataChecksum}. */
    public static final class Checksum implements ITypeConverter<DataChecksum> {
        /** Made by picocli. */
        public Checksum() {
        }

        @Override
        public DataChecksum convert(String value) {
            for (DataChecksum c : DataChecksum.values()) {
                if (c.name().equalsIgnoreCase(value.strip())) {
                    return c;
                }
            }
            throw new TypeConversionException("'" + value + "' is not one of " + Arrays.stream(DataChecksum.values())
                    .map(c -> c.name().toLowerCase(Locale.ROOT)).collect(Collectors.joining(", ")));
        }
    }
}
