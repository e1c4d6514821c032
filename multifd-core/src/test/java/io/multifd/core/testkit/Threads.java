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
package io.multifd.core.testkit;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/** Checks that no library thread outlives its migration. */
public final class Threads {

    private Threads() {
    }

    /** Names of live threads whose name starts with {@code multifd-}. */
    public static List<String> live() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(Thread::isAlive)
                .map(Thread::getName)
                .filter(n -> n.startsWith("multifd-"))
                .sorted()
                .collect(Collectors.toList());
    }

    /**
     * Waits up to {@code seconds} for every {@code multifd-*} thread to end (threads end
     * asynchronously a moment after the call that ended them returned).
     *
     * @param seconds the bound
     * @return the names still alive (empty when all ended)
     */
    public static List<String> awaitNone(int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (true) {
            List<String> l = live();
            if (l.isEmpty() || System.nanoTime() > deadline) {
                return l;
            }
            for (Thread t : Thread.getAllStackTraces().keySet()) {
                if (t.getName().startsWith("multifd-")) {
                    t.join(50);
                }
            }
        }
    }
}
