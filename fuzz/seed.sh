#!/usr/bin/env bash
# Seeds the fuzz corpora from testdata/ (every fixture, plus the broken inputs for `load`).
set -euo pipefail
cd "$(dirname "$0")"
for target in load convert validate; do
  mkdir -p "corpus/$target"
  for file in ../testdata/*/*.yaml; do
    cp "$file" "corpus/$target/$(echo "$file" | tr '/.' '__')"
  done
done
cp ../testdata/errors/*.yaml corpus/load/
