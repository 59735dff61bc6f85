#!/usr/bin/env bash
# End-to-end timings of the CLI on synthetic monorepos of 100, 1k and 10k apps, against the
# floor (parse and re-emit with the same YAML library) and python-jsonschema, with wall time
# and peak RSS from /usr/bin/time. Prints a Markdown table. Usage: bash benches/e2e.sh
set -euo pipefail
cd "$(dirname "$0")/.."
command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (Debian package: time)" >&2; exit 2; }
cargo build --release --quiet --bin rolloutify --example floor
bin=target/release/rolloutify
floor=target/release/examples/floor
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

measure() { # label, command... → "seconds kilobytes"
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null 2>"$work/err" || { cat "$work/err" >&2; true; }
  cat "$work/time"
}

echo "| apps | input MB | floor s | convert s | validate s | convert+validate / floor | convert peak MB | peak / (2×input+30 MB) |"
echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
declare -A total
for n in 100 1000 10000; do
  python3 benches/generate.py "$work/apps$n" "$n"
  bytes=$(du -sb "$work/apps$n" | cut -f1)
  read -r floor_s _ < <(measure "$floor" "$work/apps$n")
  read -r convert_s convert_kb < <(measure "$bin" convert -q "$work/apps$n")
  read -r validate_s _ < <(measure "$bin" validate "$work/apps$n")
  total[$n]=$(python3 -c "print($convert_s + $validate_s)")
  python3 - "$n" "$bytes" "$floor_s" "$convert_s" "$validate_s" "$convert_kb" <<'PY'
import sys
n, b, f, c, v, kb = sys.argv[1:]
b, f, c, v, kb = int(b), float(f), float(c), float(v), int(kb)
mb = b / 1e6
ratio = (c + v) / max(f, 0.001)
budget = 2 * mb + 30
print(f"| {n} | {mb:.1f} | {f:.2f} | {c:.2f} | {v:.2f} | {ratio:.2f}× | {kb/1000:.0f} | {kb/1000/budget:.2f} |")
PY
done
echo
python3 -c "print(f'growth 1k → 10k apps (convert+validate): {${total[10000]}/${total[1000]}:.1f}× for 10× the apps')"

# One app, as a pre-commit hook runs it: process start, schema load, four documents.
python3 benches/generate.py "$work/one" 3
one="$work/one/team-0/app-00000.yaml"
start=$(date +%s%N); for _ in $(seq 20); do "$bin" validate "$one" >/dev/null; done; end=$(date +%s%N)
echo "one app, validate (pre-commit): $(( (end - start) / 20000000 )) ms per run"

# python-jsonschema on the same documents and the same bundled schemas.
if [ ! -x "$work/venv/bin/python" ]; then python3 -m venv "$work/venv" && "$work/venv/bin/pip" -q install jsonschema pyyaml >/dev/null; fi
"$bin" convert -q "$work/apps1000" > "$work/converted.yaml"
start=$(date +%s%N); "$bin" validate "$work/converted.yaml" >/dev/null || true; end=$(date +%s%N)
ours=$(( (end - start) / 1000000 ))
theirs=$("$work/venv/bin/python" benches/python_jsonschema.py "$work/converted.yaml")
python3 -c "print(f'validate, 1k converted apps: rolloutify $ours ms, python-jsonschema $theirs ms ({$theirs / max($ours, 1):.1f}x)')"
