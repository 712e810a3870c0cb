/**
 * Reasoning data: questions and their gold answers, JSONL input and output, loaders for GSM8K-style,
 * ARC-style and generic JSONL files, answer extraction and verification, a seeded synthetic arithmetic
 * task, and the construction of preference pairs from scored samples.
 *
 * <p>Nothing in this package depends on ND4J; it deals only in text.
 */
package io.github.rpo4j.data;
