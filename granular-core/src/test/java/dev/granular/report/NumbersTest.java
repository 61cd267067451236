package dev.granular.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.granular.in2.Mix;
import dev.granular.io.BadInputException;
import org.junit.jupiter.api.Test;

class NumbersTest {
    @Test
    void readsAsAPersonWritesIt() {
        assertThat(Numbers.human(0.63 + 0.17 + 0.1)).isEqualTo("0.9");
        assertThat(Numbers.human(0.1)).isEqualTo("0.1");
        assertThat(Numbers.human(1_000_000)).isEqualTo("1,000,000");
        assertThat(Numbers.human(12431.3)).isEqualTo("12,430");
        assertThat(Numbers.human(1.5e7)).isEqualTo("15,000,000");
        assertThat(Numbers.human(0.000123)).isEqualTo("0.0001");
        assertThat(Numbers.human(-2.5)).isEqualTo("-2.5");
    }

    @Test
    void dollarsHaveCents() {
        assertThat(Numbers.usd(5)).isEqualTo("$5.00");
        assertThat(Numbers.usd(1234.5)).isEqualTo("$1,234.50");
    }

    @Test
    void mixErrorsShowTheSumAsWritten() {
        assertThatThrownBy(() -> Mix.parse("single=0.63,multi=0.17,short=0.1"))
                .isInstanceOf(BadInputException.class)
                .hasMessageEndingWith("they sum to 0.9");
    }
}
