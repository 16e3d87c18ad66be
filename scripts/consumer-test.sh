#!/usr/bin/env bash
# The package as a user gets it: `npm pack`, the tarball installed into a fresh project, then
#   1. what the tarball holds (dist/, LICENSE, README; no sources, tests, evals, bench or CI files);
#   2. `node consumer.mjs`: a parent StateGraph with the generation graph as a subgraph node gets a
#      cited answer from the test server of `bruno-generation/testing`; the installed `bruno`
#      prints its version, answers with --json, and names the install command of the missing
#      embedded engine;
#   3. `tsc --noEmit` on a TypeScript consumer: `tsc --init` defaults, moduleResolution bundler,
#      moduleResolution node.
# Installs with --omit=optional (no node-llama-cpp: the embedded engine is optional) and
# --prefer-offline (the npm cache of `npm ci` serves it).
#
# `scripts/consumer-test.sh --sizes` instead reports the install size into an empty project, with
# and without the embedded engine (installs node-llama-cpp's binaries: minutes, several hundred MB).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
WORK=$(mktemp -d "${TMPDIR:-/tmp}/bruno-consumer.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
NPM_FLAGS=(--prefer-offline --no-audit --no-fund --loglevel=error)
started=$SECONDS
say() { echo "consumer: $* ($((SECONDS - started)) s)"; }

# npm pack runs `prepare`, which builds dist/.
npm pack --json --pack-destination "$WORK" >"$WORK/pack.json"
tarball=$(node -e 'const [p] = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); console.log(p.filename)' "$WORK/pack.json")
tarball="$WORK/${tarball##*/}"
node -e '
  const [p] = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const files = p.files.map((f) => f.path);
  const kb = (n) => `${(n / 1024).toFixed(0)} kB`;
  console.log(`consumer: packed ${files.length} files, ${kb(p.size)} (unpacked ${kb(p.unpackedSize)})`);
  const must = ["LICENSE", "README.md", "package.json", "dist/index.js", "dist/index.d.ts", "dist/testing/index.js", "dist/testing/index.d.ts", "dist/cli/bin.js"];
  const missing = must.filter((f) => !files.includes(f));
  const stray = files.filter((f) => !/^(dist\/|docs\/|LICENSE$|README\.md$|package\.json$)/.test(f) || /\.test\./.test(f));
  if (missing.length || stray.length) {
    console.error(`consumer: tarball missing ${JSON.stringify(missing)}, should not hold ${JSON.stringify(stray.slice(0, 10))}`);
    process.exit(1);
  }
' "$WORK/pack.json"
say "packed $(basename "$tarball")"

# A fresh project, as `npm init -y` makes it (ES modules: the package is ESM only).
new_project() {
  mkdir -p "$1"
  (cd "$1" && npm init -y >/dev/null && npm pkg set type=module)
}

if [ "${1:-}" = "--sizes" ]; then
  for mode in without-engine with-engine; do
    dir="$WORK/$mode"
    new_project "$dir"
    flags=("${NPM_FLAGS[@]}")
    [ "$mode" = without-engine ] && flags+=(--omit=optional)
    t=$SECONDS
    (cd "$dir" && npm install "${flags[@]}" "$tarball" >/dev/null)
    echo "consumer: install $mode: $(du -sm "$dir/node_modules" | cut -f1) MB in node_modules, $(cd "$dir" && npm ls --all --parseable 2>/dev/null | wc -l) packages, $((SECONDS - t)) s"
  done
  exit 0
fi

APP="$WORK/app"
new_project "$APP"
cp scripts/consumer/consumer.mjs scripts/consumer/consumer.ts "$APP/"
cd "$APP"
# The consumer's own dependencies are the versions the package pins, so npm keeps one copy of each.
npm install "${NPM_FLAGS[@]}" --omit=optional "$tarball" \
  "@langchain/langgraph@$(node -p 'require(process.argv[1]).dependencies["@langchain/langgraph"]' "$ROOT/package.json")" \
  "zod@$(node -p 'require(process.argv[1]).dependencies.zod' "$ROOT/package.json")" \
  "typescript@$(node -p 'require(process.argv[1]).devDependencies.typescript' "$ROOT/package.json")" >/dev/null
say "installed the tarball ($(du -sm node_modules | cut -f1) MB in node_modules, no node-llama-cpp)"
if [ -d node_modules/node-llama-cpp ]; then
  echo "consumer: node-llama-cpp was installed despite --omit=optional" >&2
  exit 1
fi

CONSUMER_WITHOUT_ENGINE=1 node consumer.mjs
say "plain node consumer ok"

npx --no-install tsc --init >/dev/null
npx --no-install tsc --noEmit -p tsconfig.json
cat >tsconfig.bundler.json <<'EOF'
{ "extends": "./tsconfig.json", "compilerOptions": { "module": "esnext", "moduleResolution": "bundler" } }
EOF
npx --no-install tsc --noEmit -p tsconfig.bundler.json
cat >tsconfig.node10.json <<'EOF'
{ "extends": "./tsconfig.json", "compilerOptions": { "module": "esnext", "moduleResolution": "node" } }
EOF
npx --no-install tsc --noEmit -p tsconfig.node10.json
say "tsc --noEmit ok with tsc --init defaults (nodenext), moduleResolution bundler and node"
echo "consumer: 3 passed, 0 failed"
