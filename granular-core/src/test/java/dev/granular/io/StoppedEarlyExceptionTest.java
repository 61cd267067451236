package dev.granular.io;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** A stop names configuration fields as the core calls them; a front end shows its own names for them. */
class StoppedEarlyExceptionTest {
    @Test
    void theMessageNamesTheFieldAndACallerItsOwnName() {
        StoppedEarlyException e = new StoppedEarlyException("the ${maxCost} budget of $5.00 was reached after 12 replies");
        assertThat(e.getMessage()).isEqualTo("the maxCost budget of $5.00 was reached after 12 replies");
        assertThat(e.message(f -> f.equals("maxCost") ? "--max-cost" : null))
                .isEqualTo("the --max-cost budget of $5.00 was reached after 12 replies");
        assertThat(new StoppedEarlyException("3 rows failed: {\"error\": \"$x\"}").message(f -> "--" + f))
                .isEqualTo("3 rows failed: {\"error\": \"$x\"}");   // braces and dollars that name no field are text
    }
}
