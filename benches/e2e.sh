#!/usr/bin/env bash
# End-to-end timings of the CLI on synthetic monorepos of 100, 1k and 10k apps, against the
# floor (parse and re-emit with the same YAML library) and python-jsonschema, with wall time
# and peak RSS from /usr/bin/time. Every timing is the best of RUNS (default 3) runs, so that
# a noisy neighbour on a shared machine does not decide the ratios. Prints Markdown.
# Usage: bash benches/e2e.sh   (RUNS=5 bash benches/e2e.sh for steadier figures)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (Debian package: time)" >&2; exit 2; }
runs=${RUNS:-3}
cargo build --release --quiet --bin rolloutify --example floor --example stages
bin=target/release/rolloutify
floor=target/release/examples/floor
stages=target/release/examples/stages
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

measure() { # command... → "best-seconds peak-kilobytes" over $runs runs
  local best="" peak=0 s kb
  for _ in $(seq "$runs"); do
    /usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null 2>"$work/err" || true
    read -r s kb < <(tail -n 1 "$work/time")  # after "Command exited with non-zero status"
    if [ -z "$best" ] || python3 -c "import sys; sys.exit(0 if $s < $best else 1)"; then best=$s; fi
    [ "$kb" -gt "$peak" ] && peak=$kb
  done
  echo "$best $peak"
}

# `convert -w` changes the tree: every run gets a fresh copy (not timed).
measure_write() { # tree → "best-seconds peak-kilobytes" of `convert -q -w` over $runs runs
  local best="" peak=0 s kb
  for _ in $(seq "$runs"); do
    rm -rf "$work/written" && cp -r "$1" "$work/written"
    /usr/bin/time -f "%e %M" -o "$work/time" "$bin" convert -q -w "$work/written" >/dev/null 2>"$work/err" || true
    read -r s kb < <(tail -n 1 "$work/time")
    if [ -z "$best" ] || python3 -c "import sys; sys.exit(0 if $s < $best else 1)"; then best=$s; fi
    [ "$kb" -gt "$peak" ] && peak=$kb
  done
  rm -rf "$work/written"
  echo "$best $peak"
}

echo "| apps | input MB | floor s | convert s | convert / floor | validate s | convert --check s | convert -w s | budget MB (2×input+30) | floor peak MB | convert peak MB | validate peak MB | --check peak MB | -w peak MB |"
echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
declare -A total
for n in 100 1000 10000; do
  python3 benches/generate.py "$work/apps$n" "$n"
  bytes=$(cat "$work/apps$n"/*/*.yaml | wc -c)
  read -r floor_s floor_kb < <(measure "$floor" "$work/apps$n")
  read -r convert_s convert_kb < <(measure "$bin" convert -q "$work/apps$n")
  read -r validate_s validate_kb < <(measure "$bin" validate "$work/apps$n")
  read -r check_s check_kb < <(measure "$bin" convert -q --check "$work/apps$n")
  read -r write_s write_kb < <(measure_write "$work/apps$n")
  total[$n]=$convert_s
  python3 - "$n" "$bytes" "$floor_s" "$convert_s" "$validate_s" "$floor_kb" "$convert_kb" "$validate_kb" "$check_s" "$check_kb" "$write_s" "$write_kb" <<'PY'
import sys
n, b, f, c, v, fkb, kb, vkb, k, kkb, w, wkb = sys.argv[1:]
b, f, c, v, fkb, kb, vkb, k, kkb, w, wkb = int(b), float(f), float(c), float(v), int(fkb), int(kb), int(vkb), float(k), int(kkb), float(w), int(wkb)
mb = b / 1e6
budget = 2 * mb + 30
# /usr/bin/time counts hundredths of a second: below that a ratio means nothing.
ratio = f"{c / f:.2f}×" if f >= 0.05 else "(too fast to time)"
print(f"| {n} | {mb:.1f} | {f:.2f} | {c:.2f} | {ratio} | {v:.2f} | {k:.2f} | {w:.2f} | {budget:.0f} | {fkb/1000:.0f} | {kb/1000:.0f} | {vkb/1000:.0f} | {kkb/1000:.0f} | {wkb/1000:.0f} |")
PY
done
echo
python3 -c "print(f'growth 1k → 10k apps (convert): {${total[10000]}/${total[1000]}:.1f}× for 10× the apps')"

# One app, as a pre-commit hook runs it: process start, schema load, four documents.
python3 benches/generate.py "$work/one" 3
one="$work/one/team-0/app-00000.yaml"
best_ns=""
for _ in $(seq $((runs * 10))); do
  start=$(date +%s%N); "$bin" validate "$one" >/dev/null; end=$(date +%s%N)
  ns=$((end - start)); if [ -z "$best_ns" ] || [ "$ns" -lt "$best_ns" ]; then best_ns=$ns; fi
done
python3 -c "print(f'one app, validate (pre-commit): {$best_ns / 1e6:.1f} ms (best of $((runs * 10)))')"

# python-jsonschema on the same documents and the same bundled schemas: the engines alone
# (schemas compiled and every document validated, YAML already read), and end to end (our
# whole process against reading the YAML with PyYAML plus validating).
if [ ! -x "$work/venv/bin/python" ]; then python3 -m venv "$work/venv" && "$work/venv/bin/pip" -q install jsonschema pyyaml >/dev/null; fi
"$bin" convert -q "$work/apps1000" > "$work/converted.yaml"
docs=$(grep -c '^kind:' "$work/converted.yaml")
read -r ours_schemas ours_engine < <(STAGES_VALIDATE_ONLY=1 "$stages" "$work/converted.yaml" 2>/dev/null)
read -r ours_e2e _ < <(measure "$bin" validate "$work/converted.yaml")
read -r their_load their_validate < <("$work/venv/bin/python" benches/python_jsonschema.py "$work/converted.yaml")
python3 - "$docs" "$ours_schemas" "$ours_engine" "$ours_e2e" "$their_load" "$their_validate" <<'PY'
import sys
docs, schemas, engine, e2e, load, validate = sys.argv[1:]
schemas, engine, e2e, load, validate = float(schemas), float(engine), float(e2e) * 1000, float(load), float(validate)
print(f"validate, 1k converted apps ({docs} documents), python-jsonschema {validate:.0f} ms:")
print(f"- schema checks alone (the same work): {schemas:.1f} ms, {validate / max(schemas, 0.1):.0f}× faster")
print(f"- all of validate in process (schemas, controller rules, references): {engine:.1f} ms, {validate / max(engine, 0.1):.0f}× faster")
print(f"- end to end (process, reading YAML) against PyYAML + python-jsonschema ({load + validate:.0f} ms): {e2e:.0f} ms, {(load + validate) / max(e2e, 1):.0f}× faster")
PY
