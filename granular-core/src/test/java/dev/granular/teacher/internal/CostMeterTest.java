package dev.granular.teacher.internal;

import dev.granular.teacher.ModelSpec;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class CostMeterTest {
    static final PriceTable PRICES = PriceTable.of(Map.of("m", new Price(1.0, 4.0)), "test");
    static final ModelSpec M = ModelSpec.parse("openai:m", null);
    static final ModelSpec LOCAL = ModelSpec.parse("openai:qwen@http://localhost:8000/v1", null);

    @Test
    void recordsTokensAndMoneyAndCachedHitsSeparately() {
        CostMeter meter = new CostMeter(PRICES);
        meter.record(M, new Usage(1_000_000, 250_000), false);
        meter.record(M, new Usage(500_000, 0), true);
        assertThat(meter.spentUsd()).isCloseTo(2.0, within(1e-9));
        Map<String, Object> json = meter.toJson();
        assertThat(json).containsEntry("requests", 2L).containsEntry("cached", 1L)
                .containsEntry("prompt_tokens", 1_000_000L).containsEntry("completion_tokens", 250_000L)
                .containsEntry("cached_prompt_tokens", 500_000L).containsEntry("budget_usd", null)
                .containsEntry("prices_as_of", "test");
        assertThat((double) json.get("usd")).isCloseTo(2.0, within(1e-9));
        assertThat((double) json.get("saved_usd")).isCloseTo(0.5, within(1e-9));
        @SuppressWarnings("unchecked")
        Map<String, Object> perModel = (Map<String, Object>) ((Map<String, Object>) json.get("models")).get("openai:m");
        assertThat(perModel).containsEntry("priced", true).containsEntry("requests", 2L);
    }

    @Test
    void summaryIsOneReadableLine() {
        CostMeter meter = new CostMeter(PriceTable.of(Map.of("m", new Price(1.0, 4.0)), "t"));
        for (int i = 0; i < 1300; i++) {
            meter.attempted(M);
        }
        for (int i = 0; i < 1234; i++) {
            meter.record(M, new Usage(1000, 280), i < 56);
        }
        assertThat(meter.summary())
                .isEqualTo("1,300 requests sent, 1,178 billable, 56 cached, 1.2M prompt + 330K completion tokens, $2.50");
        assertThat(CostFormat.tokens(999)).isEqualTo("999");
        assertThat(CostFormat.tokens(345_000)).isEqualTo("345K");
        assertThat(CostFormat.tokens(999_999)).isEqualTo("1.0M");
        assertThat(CostFormat.usd(0.0012)).isEqualTo("$0.0012");
        assertThat(CostFormat.usd(1234.5)).isEqualTo("$1,234.50");
    }

    @Test
    void unpricedModelsCostNothingAreNeverRefusedAndAreFlagged() {
        CostMeter meter = new CostMeter(PRICES, 0.0);
        Optional<CostMeter.Reservation> r = meter.reserve(LOCAL, 1_000_000, 1_000_000);
        assertThat(r).isPresent();
        meter.settle(r.get(), new Usage(1_000_000, 1_000_000));
        assertThat(meter.spentUsd()).isZero();
        assertThat(meter.reserve(M, 1, 1)).isEmpty();
        @SuppressWarnings("unchecked")
        Map<String, Object> local = (Map<String, Object>) ((Map<String, Object>) meter.toJson().get("models"))
                .get("openai:qwen@http://localhost:8000/v1");
        assertThat(local).containsEntry("priced", false).containsEntry("prompt_tokens", 1_000_000L);
        assertThat(meter.summary()).endsWith("$0.00 (unpriced: openai:qwen@http://localhost:8000/v1)");
    }

    @Test
    void settleReplacesTheWorstCaseWithTheActualCost() {
        CostMeter meter = new CostMeter(PRICES, 10.0);
        CostMeter.Reservation r = meter.reserve(M, 1_000_000, 1_000_000).orElseThrow();
        assertThat(r.usd()).isCloseTo(5.0, within(1e-9));
        assertThat(meter.reservedUsd()).isCloseTo(5.0, within(1e-9));
        assertThat(meter.reserve(M, 1_000_000, 1_250_001)).as("5 + 6.000004 > 10").isEmpty();
        meter.settle(r, new Usage(800_000, 100_000));
        assertThat(meter.reservedUsd()).isZero();
        assertThat(meter.spentUsd()).isCloseTo(1.2, within(1e-9));
        assertThat(meter.reserve(M, 1_000_000, 1_950_001)).as("1.2 + 8.800004 > 10").isEmpty();
        CostMeter.Reservation r2 = meter.reserve(M, 1_000_000, 1_950_000).orElseThrow();
        meter.release(r2);
        assertThat(meter.reservedUsd()).isZero();
        assertThat(meter.spentUsd()).isCloseTo(1.2, within(1e-9));
        assertThat(meter.toJson()).containsEntry("requests", 1L).containsEntry("budget_usd", 10.0);
        assertThatThrownBy(() -> meter.settle(r, Usage.ZERO)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> meter.release(r2)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void reservationsNeverTakeSpentPlusReservedPastTheBudgetUnder64Threads() throws Exception {
        double budget = 3.0;
        CostMeter meter = new CostMeter(PRICES, budget);
        AtomicLong granted = new AtomicLong();
        AtomicLong refused = new AtomicLong();
        CountDownLatch start = new CountDownLatch(1);
        try (ExecutorService ex = Executors.newFixedThreadPool(64)) {
            List<Future<?>> fs = new ArrayList<>();
            for (int t = 0; t < 64; t++) {
                fs.add(ex.submit(() -> {
                    start.await();
                    ThreadLocalRandom rnd = ThreadLocalRandom.current();
                    for (int k = 0; k < 500; k++) {
                        int prompt = rnd.nextInt(1, 20_000);
                        int completion = rnd.nextInt(1, 5_000);
                        Optional<CostMeter.Reservation> r = meter.reserve(M, prompt, completion);
                        assertThat(meter.spentUsd() + meter.reservedUsd()).isLessThanOrEqualTo(budget + 1e-9);
                        if (r.isEmpty()) {
                            refused.incrementAndGet();
                            continue;
                        }
                        granted.incrementAndGet();
                        if (rnd.nextInt(10) == 0) {
                            meter.release(r.get());
                        } else {
                            meter.settle(r.get(), new Usage(rnd.nextInt(0, prompt + 1), rnd.nextInt(0, completion + 1)));
                        }
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : fs) {
                f.get(60, TimeUnit.SECONDS);
            }
        }
        assertThat(granted.get()).isPositive();
        assertThat(refused.get()).isPositive();
        assertThat(meter.reservedUsd()).isZero();
        assertThat(meter.spentUsd()).isLessThanOrEqualTo(budget);
        assertThat(meter.spentUsd()).isGreaterThan(budget * 0.9);
    }

    @Test
    void budgetMustBeAFiniteAmount() {
        assertThatThrownBy(() -> new CostMeter(PRICES, -1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new CostMeter(PRICES, Double.POSITIVE_INFINITY)).isInstanceOf(IllegalArgumentException.class);
        assertThat(new CostMeter(PRICES).budgetUsd()).isEmpty();
    }
}
