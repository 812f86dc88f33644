#!/usr/bin/env bash
# Install what the tests need from outside PyPI. Each step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive

apt_updated=""
apt_install() {
  if [ -z "$apt_updated" ]; then apt-get update -qq; apt_updated=1; fi
  apt-get install -y -qq "$@" >/dev/null
}

# Headless Chromium renders the HTML report in tests/test_report_html.py.
command -v chromium >/dev/null || apt_install chromium
# A real Redis server for the shared example database (started by the tests).
command -v redis-server >/dev/null || apt_install redis-server

# The npm `openai` package: a second, real client serializer (tests/test_clients_sdk.py runs it through --command).
if command -v npm >/dev/null; then
  (cd tests/node && npm ci --no-audit --no-fund --loglevel=error)
fi
