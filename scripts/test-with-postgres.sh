#!/usr/bin/env bash
# Runs the test suite against a real PostgreSQL with pgvector: starts a throwaway server on
# 127.0.0.1 (scripts/test-postgres.sh, which builds pgvector if needed) and passes its URL as
# TEST_DATABASE_URL. Each test file creates and drops its own database on that server.
set -euo pipefail
cd "$(dirname "$0")/.."
url=$(bash scripts/test-postgres.sh start | tail -n 1)
echo "Running the tests against real PostgreSQL: $url" >&2
TEST_DATABASE_URL="$url" npx vitest run "$@"
