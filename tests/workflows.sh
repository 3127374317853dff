#!/usr/bin/env bash
# The GitHub workflows (.github/workflows/*.yml) are well-formed: actionlint
# checks their syntax, expressions, action inputs and job graph (and the shell
# of each `run:` step when shellcheck is installed). This machine cannot run
# them; GitHub does.
# Usage: bash tests/workflows.sh   (installs actionlint with `go install`)
set -euo pipefail
cd "$(dirname "$0")/.."

version=v1.7.12
bin=$(go env GOPATH)/bin/actionlint
if ! "$bin" -version 2>/dev/null | head -1 | grep -qx "$version"; then
  GOFLAGS= go install "github.com/rhysd/actionlint/cmd/actionlint@$version"
fi
shopt -s nullglob
workflows=(.github/workflows/*.yml)
[ ${#workflows[@]} -gt 0 ] || { echo "tests/workflows.sh: no workflow in .github/workflows" >&2; exit 1; }
"$bin" "${workflows[@]}"
echo "workflows: ${#workflows[@]} checked with actionlint $version"
