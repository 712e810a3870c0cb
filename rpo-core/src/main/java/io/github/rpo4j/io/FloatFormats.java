package io.github.rpo4j.io;

/**
 * Bit-level conversions between {@code float} and the two 16-bit floating point formats found in checkpoints:
 * IEEE 754 binary16 ("F16", half precision) and bfloat16 ("BF16", the upper half of a binary32).
 *
 * <p>Written by hand because Java 17 has no {@code Float.float16ToFloat}. Conversions to 16 bits round to
 * nearest, ties to even, as hardware and PyTorch do; NaN stays NaN and overflow becomes infinity.
 */
public final class FloatFormats {

    private FloatFormats() {
    }

    /**
     * Widens an IEEE binary16 value; exact for every input, including subnormals, infinities and NaN.
     *
     * @param halfBits the 16 bits of the half-precision value
     * @return the same value as a float
     */
    public static float halfToFloat(short halfBits) {
        int bits = halfBits & 0xffff;
        int sign = (bits & 0x8000) << 16;
        int exponent = (bits >>> 10) & 0x1f;
        int mantissa = bits & 0x3ff;
        if (exponent == 0x1f) {
            // Infinity (mantissa 0) or NaN; the payload is kept in the high mantissa bits.
            return Float.intBitsToFloat(sign | 0x7f800000 | (mantissa << 13));
        }
        if (exponent == 0) {
            // Zero or subnormal: mantissa * 2^-24, exactly representable as a normal float.
            float magnitude = mantissa * 0x1p-24f;
            return sign != 0 ? -magnitude : magnitude;
        }
        // Normal: re-bias the exponent from 15 to 127.
        return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
    }

    /**
     * Narrows a float to IEEE binary16, rounding to nearest with ties to even.
     *
     * @param value the value to narrow
     * @return the 16 bits of the nearest half-precision value (infinity when out of range)
     */
    public static short floatToHalf(float value) {
        int bits = Float.floatToRawIntBits(value);
        int sign = (bits >>> 16) & 0x8000;
        int exponent = (bits >>> 23) & 0xff;
        int mantissa = bits & 0x7fffff;
        if (exponent == 0xff) {
            // Keep NaN a NaN even when its payload lives only in the low bits that are dropped.
            int nanBits = mantissa != 0 ? 0x200 | (mantissa >>> 13) : 0;
            return (short) (sign | 0x7c00 | nanBits);
        }
        int halfExponent = exponent - 127 + 15;
        if (halfExponent <= 0) {
            if (halfExponent < -10) {
                return (short) sign; // below half of the smallest subnormal: rounds to zero
            }
            int fullMantissa = mantissa | 0x800000;
            int shift = 14 - halfExponent;
            int halfMantissa = fullMantissa >>> shift;
            int remainder = fullMantissa & ((1 << shift) - 1);
            int halfway = 1 << (shift - 1);
            if (remainder > halfway || (remainder == halfway && (halfMantissa & 1) != 0)) {
                halfMantissa++; // a carry into bit 10 correctly yields the smallest normal
            }
            return (short) (sign | halfMantissa);
        }
        int result = (halfExponent << 10) | (mantissa >>> 13);
        int remainder = mantissa & 0x1fff;
        if (remainder > 0x1000 || (remainder == 0x1000 && (result & 1) != 0)) {
            result++; // a carry may ripple into the exponent, which is the correct rounding
        }
        if (result >= 0x7c00) {
            return (short) (sign | 0x7c00);
        }
        return (short) (sign | result);
    }

    /**
     * Widens a bfloat16 value; exact, since bfloat16 is the upper half of a float.
     *
     * @param bfloat16Bits the 16 bits of the bfloat16 value
     * @return the same value as a float
     */
    public static float bfloat16ToFloat(short bfloat16Bits) {
        return Float.intBitsToFloat((bfloat16Bits & 0xffff) << 16);
    }

    /**
     * Narrows a float to bfloat16, rounding to nearest with ties to even.
     *
     * @param value the value to narrow
     * @return the 16 bits of the nearest bfloat16 value
     */
    public static short floatToBfloat16(float value) {
        int bits = Float.floatToRawIntBits(value);
        if (Float.isNaN(value)) {
            // Plain truncation could turn a NaN with a low-bit payload into infinity.
            return (short) ((bits >>> 16) | 0x40);
        }
        int roundingBias = 0x7fff + ((bits >>> 16) & 1);
        return (short) ((bits + roundingBias) >>> 16);
    }
}
