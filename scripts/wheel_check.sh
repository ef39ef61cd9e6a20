#!/usr/bin/env bash
# The package as an operator installs it (a crawl server, a container): build the wheel,
# install it into a fresh virtualenv outside the source tree, and run `repmon demo` from an
# empty folder with no repmon settings, so nothing can come from the checkout.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rm -rf build  # setuptools' staging folder: a file gone from the tree would stay in the wheel
"$python" -m pip wheel --no-deps --quiet --wheel-dir "$work/dist" .
# only the project's own top-level packages (a folder such as repmon-data/ must not ride along)
top=$("$python" -c 'import sys, zipfile; print(" ".join(sorted({n.split("/")[0] for n in zipfile.ZipFile(sys.argv[1]).namelist() if ".dist-info" not in n})))' "$work"/dist/repmon-*.whl)
[ "$top" = "alerts repmon reputation spiders templates" ] \
  || { echo "wheel check: unexpected top-level entries in the wheel: $top" >&2; exit 1; }
"$python" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install --quiet "$work"/dist/repmon-*.whl
mkdir "$work/empty"
cd "$work/empty"
run() { env -i PATH="$work/venv/bin:/usr/bin:/bin" HOME="$HOME" LANG=C.UTF-8 "$@"; }
run python -c 'import repmon, sys; sys.exit(repmon.__file__.startswith(sys.prefix) is False)' \
  || { echo "wheel check: repmon was not imported from the installed wheel" >&2; exit 1; }
run python -c 'from reputation.reply import load_templates; assert load_templates()'
run repmon demo
# the database the demo names, read by the installed CLI
run env REPMON_DATABASE_URL="sqlite:///$work/empty/repmon-data/demo/demo.db" \
  repmon reviews --negative --limit 3
echo "wheel check: the installed wheel ran the demo from an empty folder"
