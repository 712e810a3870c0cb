package io.github.rpo4j.losses;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class StableMathTest {

    @Test
    void softplusMatchesDefinitionForModerateArguments() {
        for (double x : new double[] {-5, -0.2, 0, 0.2, 5}) {
            assertEquals(Math.log(1 + Math.exp(x)), StableMath.softplus(x), 1e-14, "x=" + x);
        }
    }

    @Test
    void extremeArgumentsStayFinite() {
        // softplus(1000) = 1000 + log1p(e^-1000) = 1000; softplus(-1000) = log1p(e^-1000) = e^-1000 -> 0.
        assertEquals(1000.0, StableMath.softplus(1000), 0.0);
        assertEquals(0.0, StableMath.softplus(-1000), 0.0);
        assertEquals(-1000.0, StableMath.logSigmoid(-1000), 0.0);
        assertEquals(0.0, StableMath.logSigmoid(1000), 0.0);
        assertEquals(1.0, StableMath.sigmoid(1000), 0.0);
        assertEquals(0.0, StableMath.sigmoid(-1000), 0.0);
        assertEquals(0.5, StableMath.sigmoid(0), 0.0);
    }
}
