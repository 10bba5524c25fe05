#!/bin/sh
# Rebuilds artifacts/*.json from src/*.sol with the npm solc package at a
# pinned version (needs node and npm; the first run downloads solc from the
# npm registry). The output is deterministic: committing the result of a
# rebuild changes nothing unless a source changed.
#
#   sh internal/scenario/contracts/build.sh
set -eu
SOLC_VERSION=0.8.28
cd "$(dirname "$0")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
npm install --silent --no-save --no-package-lock --prefix "$work" "solc@$SOLC_VERSION" >/dev/null
rm -f artifacts/*.json
NODE_PATH="$work/node_modules" node build.js
