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
package io.multifd.core;

import io.multifd.api.PluginUnavailableException;
import io.multifd.api.spi.PayloadPlugin;
import io.multifd.api.spi.Codec;
import io.multifd.core.codec.NoneCodec;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.regex.Pattern;

/**
 * The payload plug-ins and codecs one sender or receiver can use: those
 * {@link ServiceLoader} finds on the class path and module path, plus instances handed to it
 * directly. Immutable and thread-safe once built.
 *
 * <p>Rules: every plug-in has a wire id and a name, each unique. Two providers with the same id
 * or name are refused with an error naming both classes. An instance handed to
 * {@link Builder#add(PayloadPlugin)} replaces a discovered provider <em>of the same class</em>
 * (this is how a product passes a configured plug-in, such as a RAM payload that knows its
 * destination blocks); any other clash is an error. The identity codec {@code none} is always
 * present.
 *
 * <p>Discovery goes through this class because {@code ServiceLoader} only serves modules that
 * declare {@code uses}, and {@code io.multifd.core} declares both services. Tests whose
 * providers live in test sources (which the module path does not see) hand them in directly.
 */
public final class PluginRegistry {

    private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9_-]{0,31}");

    private final List<PayloadPlugin<?>> payloads;
    private final List<Codec> codecs;

    private PluginRegistry(List<PayloadPlugin<?>> payloads, List<Codec> codecs) {
        this.payloads = List.copyOf(payloads);
        this.codecs = List.copyOf(codecs);
    }

    /**
     * Returns a registry of every provider found with {@link ServiceLoader} (and {@code none}).
     *
     * @return the registry
     * @throws IllegalStateException if a provider cannot be loaded, or two clash (naming both)
     */
    public static PluginRegistry discover() {
        return builder().discover().build();
    }

    /**
     * The registry a sender or receiver uses: {@code base} (or what discovery finds), with the
     * configured instances given to its builder on top (each replacing a base entry of its class).
     */
    static PluginRegistry compose(PluginRegistry base, List<PayloadPlugin<?>> payloads, List<Codec> codecs) {
        Builder b = builder().addAll(base != null ? base : discover());
        payloads.forEach(b::add);
        codecs.forEach(b::add);
        return b.build();
    }

    /** Returns an empty builder (with only {@code none}). */
    public static Builder builder() {
        return new Builder();
    }

    /** Payload plug-ins, ordered by wire id. */
    public List<PayloadPlugin<?>> payloads() {
        return payloads;
    }

    /** Codecs, ordered by wire id. */
    public List<Codec> codecs() {
        return codecs;
    }

    /**
     * @param id a payload wire id
     * @return the plug-in with that id
     */
    public Optional<PayloadPlugin<?>> payload(int id) {
        return payloads.stream().filter(p -> p.id() == id).findFirst();
    }

    /**
     * @param name a payload name
     * @return the plug-in with that name
     */
    public Optional<PayloadPlugin<?>> payload(String name) {
        return payloads.stream().filter(p -> p.name().equals(name)).findFirst();
    }

    /**
     * @param type a plug-in class
     * @param <P>  its type
     * @return the registered instance of that class (or of a subclass)
     */
    public <P extends PayloadPlugin<?>> Optional<P> payload(Class<P> type) {
        return payloads.stream().filter(type::isInstance).map(type::cast).findFirst();
    }

    /**
     * @param id a codec wire id
     * @return the codec with that id
     */
    public Optional<Codec> codec(int id) {
        return codecs.stream().filter(h -> h.id() == id).findFirst();
    }

    /**
     * @param name a codec name
     * @return the codec with that name
     */
    public Optional<Codec> codec(String name) {
        return codecs.stream().filter(h -> h.name().equals(name)).findFirst();
    }

    /**
     * Returns the codec with that name, checked to be available here.
     *
     * @param name the codec name
     * @return the codec
     * @throws PluginUnavailableException if there is none (naming the ones present) or its native
     *                                    library failed to load (with the cause)
     */
    public Codec requireCodec(String name) throws PluginUnavailableException {
        Codec h = codec(name).orElseThrow(() -> new PluginUnavailableException(
                "codec '" + name + "' is not available: no codec of that name on the class path"
                        + " or module path (present: " + codecNames() + ")", null));
        h.checkAvailable();
        return h;
    }

    /** Names of the codecs present, comma-separated, for messages. */
    public String codecNames() {
        return String.join(", ", codecs.stream().map(Codec::name).toList());
    }

    /** Names of the payload plug-ins present, comma-separated, for messages. */
    public String payloadNames() {
        return String.join(", ", payloads.stream().map(p -> p.name() + " (" + p.id() + ")").toList());
    }

    @Override
    public String toString() {
        return "PluginRegistry[payloads=" + payloadNames() + "; codecs=" + codecNames() + "]";
    }

    /**
     * Collects providers. Not thread-safe.
     */
    public static final class Builder {
        private final List<Entry<PayloadPlugin<?>>> payloads = new ArrayList<>();
        private final List<Entry<Codec>> codecs = new ArrayList<>();

        private Builder() {
            codecs.add(new Entry<>(new NoneCodec(), false));
        }

        /**
         * Adds every provider {@link ServiceLoader} finds.
         *
         * @return this builder
         * @throws IllegalStateException    if a provider cannot be instantiated
         * @throws IllegalArgumentException if a provider's id or name is invalid or clashes with
         *                                  another class's
         */
        public Builder discover() {
            for (PayloadPlugin<?> p : load(PayloadPlugin.class)) {
                addEntry(payloads, new Entry<>(p, false), this::payloadId, PayloadPlugin::name, "payload plug-in");
            }
            for (Codec h : load(Codec.class)) {
                addEntry(codecs, new Entry<>(h, false), Builder::codecId, Codec::name, "codec");
            }
            return this;
        }

        /**
         * Adds every provider of another registry as a base: like discovered providers, each may
         * be replaced by an instance of the same class given to {@link #add(PayloadPlugin)}.
         *
         * @param base the registry to start from
         * @return this builder
         */
        public Builder addAll(PluginRegistry base) {
            for (PayloadPlugin<?> p : base.payloads()) {
                addEntry(payloads, new Entry<>(p, false), this::payloadId, PayloadPlugin::name, "payload plug-in");
            }
            for (Codec h : base.codecs()) {
                addEntry(codecs, new Entry<>(h, false), Builder::codecId, Codec::name, "codec");
            }
            return this;
        }

        /**
         * Adds a payload plug-in instance; it replaces a discovered provider of the same class.
         *
         * @param plugin the instance
         * @return this builder
         * @throws IllegalArgumentException if its id or name is invalid or clashes with another class
         */
        public Builder add(PayloadPlugin<?> plugin) {
            Objects.requireNonNull(plugin, "plugin");
            addEntry(payloads, new Entry<>(plugin, true), this::payloadId, PayloadPlugin::name, "payload plug-in");
            return this;
        }

        /**
         * Adds a codec instance; it replaces a discovered provider of the same class.
         *
         * @param codec the instance
         * @return this builder
         * @throws IllegalArgumentException if its id or name is invalid or clashes with another class
         */
        public Builder add(Codec codec) {
            Objects.requireNonNull(codec, "codec");
            addEntry(codecs, new Entry<>(codec, true), Builder::codecId, Codec::name, "codec");
            return this;
        }

        /** Returns the immutable registry. */
        public PluginRegistry build() {
            List<PayloadPlugin<?>> p = new ArrayList<>(payloads.stream().map(e -> e.value).toList());
            p.sort(Comparator.comparingInt(PayloadPlugin::id));
            List<Codec> h = new ArrayList<>(codecs.stream().map(e -> e.value).toList());
            h.sort(Comparator.comparingInt(Codec::id));
            return new PluginRegistry(p, h);
        }

        /**
         * The plug-in's wire id, checked: every way in (discovered, from another registry, added)
         * goes through here, since an id outside the 16-bit field would be cut on the wire and
         * deliver into whichever plug-in has the id that is left.
         */
        private int payloadId(PayloadPlugin<?> p) {
            int id = p.id();
            if (id < PayloadPlugin.MIN_ID || id > PayloadPlugin.MAX_ID) {
                throw new IllegalArgumentException("payload plug-in " + p.getClass().getName() + " has wire id "
                        + id + ", outside " + PayloadPlugin.MIN_ID + ".." + PayloadPlugin.MAX_ID);
            }
            return id;
        }

        /** The codec's wire id, checked (see {@link #payloadId}). */
        private static int codecId(Codec c) {
            int id = c.id();
            if (id < 0 || id > Codec.MAX_ID) {
                throw new IllegalArgumentException("codec " + c.getClass().getName() + " has wire id " + id
                        + ", outside 0.." + Codec.MAX_ID);
            }
            return id;
        }

        private static <T> List<T> load(Class<T> service) {
            List<T> out = new ArrayList<>();
            try {
                for (ServiceLoader.Provider<T> provider : ServiceLoader.load(service).stream().toList()) {
                    try {
                        out.add(provider.get());
                    } catch (ServiceConfigurationError | RuntimeException | LinkageError e) {
                        throw new IllegalStateException("cannot load " + service.getSimpleName() + " provider "
                                + provider.type().getName() + ": " + e.getMessage(), e);
                    }
                }
            } catch (ServiceConfigurationError e) {
                throw new IllegalStateException("cannot list " + service.getSimpleName() + " providers: " + e.getMessage(), e);
            }
            return out;
        }

        private static <T> void addEntry(List<Entry<T>> list, Entry<T> entry,
                                         java.util.function.ToIntFunction<T> idOf,
                                         java.util.function.Function<T, String> nameOf, String what) {
            T v = entry.value;
            String name = nameOf.apply(v);
            if (name == null || !NAME.matcher(name).matches()) {
                throw new IllegalArgumentException(what + " " + v.getClass().getName() + " has an invalid name '"
                        + name + "' (must match " + NAME.pattern() + ")");
            }
            int id = idOf.applyAsInt(v); // throws for an id out of range
            for (int i = 0; i < list.size(); i++) {
                Entry<T> old = list.get(i);
                T o = old.value;
                boolean sameId = idOf.applyAsInt(o) == id;
                boolean sameName = nameOf.apply(o).equals(name);
                if (!sameId && !sameName) {
                    continue;
                }
                if (o == v) {
                    return;
                }
                if (o.getClass() == v.getClass() && sameId && sameName) {
                    if (!entry.explicit) {
                        return; // discovered again (class path and module path): keep what we have
                    }
                    if (!old.explicit) {
                        list.set(i, entry); // a configured instance replaces the discovered one
                        return;
                    }
                }
                if (o.getClass() == v.getClass()) {
                    throw new IllegalArgumentException("two instances of " + what + " " + v.getClass().getName() + " (id "
                            + idOf.applyAsInt(v) + ", name '" + name + "') were registered; register one");
                }
                throw new IllegalArgumentException(what + "s clash: " + o.getClass().getName() + " (id "
                        + idOf.applyAsInt(o) + ", name '" + nameOf.apply(o) + "') and " + v.getClass().getName()
                        + " (id " + idOf.applyAsInt(v) + ", name '" + name + "')" + (sameId ? " have the same wire id" : " have the same name"));
            }
            list.add(entry);
        }

        private record Entry<T>(T value, boolean explicit) {
        }
    }
}
