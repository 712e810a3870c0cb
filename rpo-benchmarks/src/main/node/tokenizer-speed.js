// Hugging Face's Rust tokenizer (Node bindings) on the same inputs as TokenizerSpeed.java, measured the same way.
// Usage: node tokenizer-speed.js TEXT_FILE SECONDS WORD_LETTERS TOKENIZER_JSON...
'use strict';
const fs = require('fs');
const path = require('path');
const { Tokenizer } = require(path.join(__dirname, '../../../../rpo-core/src/test/tokenizers/node_modules/tokenizers'));

function randomWord(letters) {
  let state = 0;
  let out = '';
  for (let i = 0; i < letters; i++) {
    state = ((Math.imul(state, 1103515245) + 12345) | 0) & 0x7fffffff;
    out += String.fromCharCode(97 + ((state >>> 16) % 26));
  }
  return out;
}

async function main() {
  const [textFile, secondsArg, lettersArg, ...files] = process.argv.slice(2);
  const text = fs.readFileSync(textFile, 'utf8');
  const seconds = Number(secondsArg);
  const word = randomWord(Number(lettersArg));
  for (const file of files) {
    const tokenizer = Tokenizer.fromFile(file);
    let tokens = 0;
    const warmEnd = Date.now() + Math.min(2, seconds / 2) * 1000;
    do {
      tokens = (await tokenizer.encode(text, null, { addSpecialTokens: false })).getIds().length;
    } while (Date.now() < warmEnd);
    const times = [];
    const end = Date.now() + seconds * 1000;
    do {
      const start = process.hrtime.bigint();
      await tokenizer.encode(text, null, { addSpecialTokens: false });
      times.push(Number(process.hrtime.bigint() - start) / 1e6);
    } while (Date.now() < end);
    times.sort((a, b) => a - b);
    const medianMs = times[Math.floor(times.length / 2)];
    const fresh = Tokenizer.fromFile(file);
    let wordTokens = 0;
    const wordTimes = [];
    for (let r = 0; r < 21; r++) {
      const start = process.hrtime.bigint();
      wordTokens = (await fresh.encode(word, null, { addSpecialTokens: false })).getIds().length;
      wordTimes.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    const wordFirstMs = wordTimes[0];
    wordTimes.sort((a, b) => a - b);
    const wordMedianMs = wordTimes[10];
    const bytes = Buffer.byteLength(text, 'utf8');
    console.log(JSON.stringify({
      impl: 'huggingface', tokenizer: file, text_bytes: bytes, tokens, runs: times.length,
      median_ms: +medianMs.toFixed(3), mb_per_s: +(bytes / 1e6 / (medianMs / 1e3)).toFixed(2),
      word_letters: word.length, word_tokens: wordTokens, word_first_ms: +wordFirstMs.toFixed(1),
      word_median_ms: +wordMedianMs.toFixed(1), word_best_ms: +wordTimes[0].toFixed(1),
    }));
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
