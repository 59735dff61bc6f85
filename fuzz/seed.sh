#!/usr/bin/env bash
# Seeds the fuzz corpora from testdata/ (every fixture, plus the broken inputs for `load`;
# for `plugins`, every fixture also wrapped in a KRM ResourceList).
set -euo pipefail
cd "$(dirname "$0")"
for target in load convert validate plugins; do
  mkdir -p "corpus/$target"
  for file in ../testdata/*/*.yaml; do
    cp "$file" "corpus/$target/$(echo "$file" | tr '/.' '__')"
  done
done
cp ../testdata/errors/*.yaml corpus/load/
cp ../tests/cmd/krm.stdin corpus/plugins/krm_stdin
cp ../tests/cmd/kustomize-plugin.stdin corpus/plugins/kustomize_plugin_stdin
python3 - <<'PY'
import glob, os
for path in glob.glob("../testdata/*/*.yaml"):
    docs = [d for d in open(path).read().split("\n---\n") if d.strip()]
    items = []
    for d in docs:
        lines = [l for l in d.splitlines() if l.strip() and not l.lstrip().startswith("#") and l != "---"]
        if not lines:
            continue
        items.append("\n".join(("- " if i == 0 else "  ") + l for i, l in enumerate(lines)))
    text = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n" + "\n".join(items) + "\n"
    name = "list_" + path.replace("/", "_").replace(".", "_")
    open(os.path.join("corpus/plugins", name), "w").write(text)
PY
