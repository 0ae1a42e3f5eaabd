#!/usr/bin/env bash
# `make run`: build the demo workspace, run every pipeline stage that exists, serve the web app.
# Each stage is skipped when its command is not installed yet, so the quick start always works.
set -euo pipefail
has() { cxloop "$1" --help >/dev/null 2>&1; }
FEEDBACK="${CXLOOP_DEMO_FEEDBACK:-20000}"
CUSTOMERS="${CXLOOP_DEMO_CUSTOMERS:-4000}"

cxloop init
if has demo; then cxloop demo --customers "$CUSTOMERS" --feedback "$FEEDBACK" --seed 7; fi
if has enrich; then cxloop enrich; fi
if has loop; then cxloop loop run || true; fi
if has analyze; then
  cxloop analyze metrics --period quarter || true
  cxloop analyze drivers --outcome nps || true
fi
if has serve; then
  exec cxloop serve --host 127.0.0.1 --port "${CXLOOP_PORT:-8000}"
fi
