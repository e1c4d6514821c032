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

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/**
 * Runs a test's side task on a thread of its own. {@code CompletableFuture.supplyAsync} without an
 * executor uses the common pool, which on a 2-CPU machine has one worker (and on newer JDKs no
 * thread-per-task fallback): two tasks that must run at the same time then run one after the
 * other, and a task that never returns blocks every later one in the JVM.
 */
public final class Async {

    private static final Executor THREAD_PER_TASK = r -> {
        Thread t = new Thread(r, "test-async");
        t.setDaemon(true);
        t.start();
    };

    private Async() {
    }

    /**
     * @param task the task
     * @param <T>  its result
     * @return its future, the task running on a new daemon thread
     */
    public static <T> CompletableFuture<T> supply(Supplier<T> task) {
        return CompletableFuture.supplyAsync(task, THREAD_PER_TASK);
    }

    /**
     * @param task the task
     * @return its future, the task running on a new daemon thread
     */
    public static CompletableFuture<Void> run(Runnable task) {
        return CompletableFuture.runAsync(task, THREAD_PER_TASK);
    }
}
