package dev.granular.tokenize;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Close waits for the calls in flight, frees once, and refuses later calls. */
class NativeCallsTest {

    @Test
    void closeWaitsForACallInFlightThenFreesOnceAndRefusesLaterCalls() throws Exception {
        NativeCalls calls = new NativeCalls("tokenizer t");
        AtomicInteger frees = new AtomicInteger();
        calls.enter(); // a call in flight on this thread
        Thread closer = Thread.ofPlatform().start(() -> calls.close(frees::incrementAndGet));
        while (!calls.closeWaiting()) {
            Thread.onSpinWait();
        }
        assertThat(frees).as("not freed while a call is in flight").hasValue(0);
        calls.exit();
        closer.join();
        assertThat(frees).hasValue(1);
        assertThatThrownBy(calls::enter).isInstanceOf(IllegalStateException.class)
                .hasMessage("tokenizer t is closed: it was used after close()");
        calls.close(frees::incrementAndGet);
        assertThat(frees).as("freed once").hasValue(1);
    }

    @Test
    void callsRunInParallel() throws Exception {
        NativeCalls calls = new NativeCalls("tokenizer t");
        calls.enter();
        Thread other = Thread.ofPlatform().start(() -> {
            calls.enter(); // does not wait for this thread's call
            calls.exit();
        });
        other.join();
        calls.exit();
    }
}
