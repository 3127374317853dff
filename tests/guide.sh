#!/usr/bin/env bash
# Builds the user guide (docs/guide, an mdBook) and fails when it is wrong:
#  1. its generated error table is stale (spec/errors.toml changed);
#  2. a page it includes code from moved (the Go example's line range);
#  3. mdbook reports an error or a warning (e.g. a missing {{#include}} file);
#  4. a built page links to a page, file or #anchor of the guide that does not
#     exist;
#  5. the Rust quick start it includes does not run.
# Installs the pinned mdbook when it is missing. The book goes to target/guide/
# (never committed).
# Usage: bash tests/guide.sh
set -euo pipefail
cd "$(dirname "$0")/.."

mdbook_version=0.5.4
if ! mdbook --version 2>/dev/null | grep -qx "mdbook v$mdbook_version"; then
  echo "guide: installing mdbook $mdbook_version (cargo install; a few minutes on a cold machine)"
  # Without the default `serve` and `watch` features: half the dependencies.
  cargo install mdbook --locked --version "$mdbook_version" \
    --no-default-features --features search --quiet
fi
mdbook=$(command -v mdbook || echo "$HOME/.cargo/bin/mdbook")

echo "guide: the error table is generated from spec/errors.toml and fresh"
gen_out=$(cargo test --quiet -p nook-abi --lib guide_error_table 2>&1) || { printf '%s\n' "$gen_out" >&2; exit 1; }
# A renamed test would match nothing and pass silently: require it ran.
printf '%s\n' "$gen_out" | grep -q '^test result: ok\. 1 passed' || {
  printf '%s\n' "$gen_out" >&2; echo "guide: the error table test did not run" >&2; exit 1; }

echo "guide: the Go example it includes by line range is still there"
go_example=sdk-go/example_test.go
if [ "$(sed -n 16p "$go_example")" != "func Example() {" ] ||
   [ "$(sed -n 45p "$go_example")" != "}" ] ||
   [ "$(sed -n 52p "$go_example" | tr -d '\t')" != "err := db.Write(func(tx *nook.Tx) error {" ] ||
   [ "$(sed -n 57p "$go_example" | tr -d '\t')" != "})" ]; then
  echo "guide: $go_example moved; update the line ranges in docs/guide/src/getting-started/go.md" >&2
  exit 1
fi

echo "guide: mdbook build (into target/guide)"
book=target/guide
rm -rf "$book"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! "$mdbook" build docs/guide >"$log" 2>&1 || grep -Eq 'ERROR|WARN' "$log"; then
  cat "$log" >&2
  echo "guide: mdbook failed or warned (above)" >&2
  exit 1
fi
if grep -rl --include='*.html' '{{#' "$book" >&2; then
  echo "guide: an {{#...}} directive was left unexpanded in the pages above" >&2
  exit 1
fi

echo "guide: every internal link and anchor resolves"
broken=0
links=0
while IFS= read -r page; do
  dir=$(dirname "$page")
  while IFS= read -r href; do
    case "$href" in
      http://* | https://* | mailto:* | javascript:*) continue ;;
    esac
    links=$((links + 1))
    path=${href%%#*}
    anchor=
    [ "$path" = "$href" ] || anchor=${href#*#}
    if [ -z "$path" ]; then
      target=$page
    else
      target="$dir/${path%%\?*}"
    fi
    if [ ! -e "$target" ]; then
      echo "guide: ${page#"$book"/} links to $href: no such file" >&2
      broken=$((broken + 1))
    elif [ -n "$anchor" ] && [[ $target == *.html ]] &&
         ! grep -q "id=\"$anchor\"" "$target"; then
      echo "guide: ${page#"$book"/} links to $href: no such anchor" >&2
      broken=$((broken + 1))
    fi
  done < <(grep -o 'href="[^"]*"' "$page" | sed 's/^href="//; s/"$//')
done < <(find "$book" -name '*.html' ! -name print.html ! -name 404.html)
if [ "$broken" -ne 0 ]; then
  echo "guide: $broken broken links" >&2
  exit 1
fi
[ "$links" -gt 50 ] || { echo "guide: only $links internal links found; is the book empty?" >&2; exit 1; }
echo "guide: $links internal links checked"

echo "guide: the Rust quick start it includes runs"
cargo run --quiet -p nookdb --example quickstart >/dev/null

echo "guide: ok ($book/index.html)"
