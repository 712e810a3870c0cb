package io.github.rpo4j.text;

import java.util.Arrays;

/**
 * GPT-2's reversible mapping between bytes and printable Unicode characters, which lets a BPE vocabulary
 * of strings cover arbitrary bytes: printable Latin-1 bytes map to themselves, the remaining 68 bytes
 * (controls, space, soft hyphen...) to U+0100 onwards in byte order, so that the space byte becomes 'Ġ'.
 */
final class ByteLevel {

    private static final char[] BYTE_TO_CHAR = new char[256];
    private static final int[] CHAR_TO_BYTE = new int[0x180];

    static {
        Arrays.fill(CHAR_TO_BYTE, -1);
        int next = 256;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = printable ? (char) b : (char) next++;
            BYTE_TO_CHAR[b] = c;
            CHAR_TO_BYTE[c] = b;
        }
    }

    private ByteLevel() {
    }

    /** @return the character standing for byte {@code b} (0..255) */
    static char charOf(int b) {
        return BYTE_TO_CHAR[b & 0xff];
    }

    /** @return the byte a character stands for, or -1 if it is not one of the 256 byte-level characters */
    static int byteOf(char c) {
        return c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
    }

    /** @return the text's UTF-8 bytes spelled as byte-level characters, e.g. "Ġhi" for " hi" */
    static String toByteLevelString(String text) {
        byte[] bytes = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        char[] chars = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            chars[i] = BYTE_TO_CHAR[bytes[i] & 0xff];
        }
        return new String(chars);
    }
}
