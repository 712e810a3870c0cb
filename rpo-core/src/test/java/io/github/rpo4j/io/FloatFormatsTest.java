package io.github.rpo4j.io;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FloatFormatsTest {

    private static short half(int bits) {
        return (short) bits;
    }

    @Test
    void halfKnownValuesWiden() {
        assertEquals(1.0f, FloatFormats.halfToFloat(half(0x3C00)));
        assertEquals(-2.5f, FloatFormats.halfToFloat(half(0xC100)));
        assertEquals(65504f, FloatFormats.halfToFloat(half(0x7BFF)));
        assertEquals(0x1p-24f, FloatFormats.halfToFloat(half(0x0001)), "smallest subnormal");
        assertEquals(1023 * 0x1p-24f, FloatFormats.halfToFloat(half(0x03FF)), "largest subnormal");
        assertEquals(0x1p-14f, FloatFormats.halfToFloat(half(0x0400)), "smallest normal");
        assertEquals(Float.floatToRawIntBits(-0.0f), Float.floatToRawIntBits(FloatFormats.halfToFloat(half(0x8000))));
        assertEquals(Float.POSITIVE_INFINITY, FloatFormats.halfToFloat(half(0x7C00)));
        assertEquals(Float.NEGATIVE_INFINITY, FloatFormats.halfToFloat(half(0xFC00)));
        assertTrue(Float.isNaN(FloatFormats.halfToFloat(half(0x7E00))));
    }

    @Test
    void halfKnownValuesNarrow() {
        assertEquals(0x3C00, FloatFormats.floatToHalf(1.0f) & 0xffff);
        assertEquals(0xC100, FloatFormats.floatToHalf(-2.5f) & 0xffff);
        assertEquals(0x7BFF, FloatFormats.floatToHalf(65504f) & 0xffff);
        assertEquals(0x0001, FloatFormats.floatToHalf(0x1p-24f) & 0xffff);
        assertEquals(0x03FF, FloatFormats.floatToHalf(1023 * 0x1p-24f) & 0xffff);
        assertEquals(0x7C00, FloatFormats.floatToHalf(1e6f) & 0xffff, "overflow becomes infinity");
        assertEquals(0x7E00, FloatFormats.floatToHalf(Float.NaN) & 0x7E00, "NaN stays NaN");
        assertEquals(0x7C00, FloatFormats.floatToHalf(Float.NaN) & 0x7C00);
        assertTrue((FloatFormats.floatToHalf(Float.NaN) & 0x03FF) != 0);
    }

    @Test
    void halfRoundsToNearestEven() {
        // 1 + 2^-11 lies exactly between 1.0 (even mantissa) and 1 + 2^-10 (odd): ties go to even.
        assertEquals(0x3C00, FloatFormats.floatToHalf(1f + 0x1p-11f) & 0xffff);
        // 1 + 3 * 2^-11 lies between 1 + 2^-10 (odd) and 1 + 2^-9 (even).
        assertEquals(0x3C02, FloatFormats.floatToHalf(1f + 3 * 0x1p-11f) & 0xffff);
        assertEquals(0x3C01, FloatFormats.floatToHalf(1f + 0x1p-11f + 0x1p-20f) & 0xffff, "above half rounds up");
        assertEquals(0x7BFF, FloatFormats.floatToHalf(65519f) & 0xffff, "just below the rounding boundary");
        assertEquals(0x7C00, FloatFormats.floatToHalf(65520f) & 0xffff, "boundary rounds (to even) to infinity");
        assertEquals(0x0000, FloatFormats.floatToHalf(0x1p-25f) & 0xffff, "half the smallest subnormal ties to zero");
        assertEquals(0x0001, FloatFormats.floatToHalf(0x1.8p-25f) & 0xffff, "above it rounds up");
        assertEquals(0x0400, FloatFormats.floatToHalf(0x1.ffcp-15f) & 0xffff, "subnormal carry becomes normal");
    }

    @Test
    void everyHalfSurvivesWidenThenNarrow() {
        for (int bits = 0; bits < 0x10000; bits++) {
            float widened = FloatFormats.halfToFloat((short) bits);
            if (Float.isNaN(widened)) {
                continue;
            }
            int expected = bits;
            assertEquals(expected, FloatFormats.floatToHalf(widened) & 0xffff, () -> "half bits " + Integer.toHexString(expected));
        }
    }

    @Test
    void bfloat16KnownValues() {
        assertEquals(0x4049, FloatFormats.floatToBfloat16((float) Math.PI) & 0xffff);
        assertEquals(3.140625f, FloatFormats.bfloat16ToFloat(FloatFormats.floatToBfloat16((float) Math.PI)));
        assertEquals(0x3F80, FloatFormats.floatToBfloat16(1.0f) & 0xffff);
        assertEquals(-2.5f, FloatFormats.bfloat16ToFloat((short) 0xC020));
        // 1 + 2^-8 is halfway between 1.0 and 1 + 2^-7: ties to even (1.0); 1 + 3 * 2^-8 rounds up to even.
        assertEquals(0x3F80, FloatFormats.floatToBfloat16(1f + 0x1p-8f) & 0xffff);
        assertEquals(0x3F82, FloatFormats.floatToBfloat16(1f + 3 * 0x1p-8f) & 0xffff);
        assertTrue(Float.isNaN(FloatFormats.bfloat16ToFloat(FloatFormats.floatToBfloat16(Float.intBitsToFloat(0x7f800001)))),
                "a NaN whose payload is only in the dropped bits stays NaN");
        assertEquals(0.0f, FloatFormats.bfloat16ToFloat(FloatFormats.floatToBfloat16(Float.MIN_VALUE)),
                "the smallest float subnormal is below half a bfloat16 ulp");
    }
}
