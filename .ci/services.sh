#!/usr/bin/env bash
# Install what the tests need from outside PyPI. Each step is idempotent.
set -euo pipefail
:
