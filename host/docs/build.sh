#!/bin/sh
# Build the warrant book (host/docs) into target/book with mdBook.
# mdBook is installed into target/tools on first use (from crates.io, the
# pinned version, without its serve/watch features); later builds are
# offline.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
tools="$root/target/tools"
mdbook="$tools/bin/mdbook"
if [ ! -x "$mdbook" ]; then
    cargo install mdbook --version 0.4.52 --locked --no-default-features \
        --features search --root "$tools"
fi
"$mdbook" build "$root/host/docs"
echo "the book: $root/target/book/index.html"
