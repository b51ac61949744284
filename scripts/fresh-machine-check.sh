#!/usr/bin/env bash
# Does what a newcomer does, from a fresh clone with empty caches: runs the README's first
# command (`npm ci && npm start`) exactly as written until it prints the URL, stops it, then runs
# the README's second command (`npm test`), and prints both wall times and exit codes.
# Usage: scripts/fresh-machine-check.sh [repo-or-url] (default: this repository's HEAD)
# Caches are empty: a new RNN_DEBUGGER_CACHE (Node 24 + code-server) and a new npm cache.
# What it cannot make fresh: Debian packages already installed on this machine (chromium,
# libkrb5-dev), which the commands install themselves where they are missing.
set -uo pipefail
src="${1:-$(cd "$(dirname "$0")/.." && pwd)}"
work=$(mktemp -d "${TMPDIR:-/tmp}/rnn-fresh-XXXXXX")
export RNN_DEBUGGER_CACHE="$work/cache" npm_config_cache="$work/npm-cache"
echo "fresh-machine-check: clone of $src in $work/repo; caches $RNN_DEBUGGER_CACHE, $npm_config_cache (both empty)"
git clone -q "$src" "$work/repo" || { echo "clone failed"; exit 1; }
cd "$work/repo" || exit 1

# 1. npm ci && npm start, until the URL is printed (or it exits, or 30 minutes pass).
start_log="$work/start.log"
: >"$start_log"
t0=$(date +%s)
setsid bash -c 'npm ci && npm start' >"$start_log" 2>&1 &
pid=$!
start_rc=""
while :; do
  if grep -q 'http://127.0.0.1:[0-9]*/' "$start_log"; then start_rc=0; break; fi
  if ! kill -0 "$pid" 2>/dev/null; then wait "$pid"; start_rc=$?; [ "$start_rc" = 0 ] && start_rc="exited without a URL"; break; fi
  if [ $(( $(date +%s) - t0 )) -gt 1800 ]; then start_rc="no URL after 30 min"; break; fi
  sleep 2
done
start_s=$(( $(date +%s) - t0 ))
url=$(grep -o 'http://127.0.0.1:[0-9]*/[^ ]*' "$start_log" | head -n1)
if [ -n "$url" ]; then
  code=$(curl -s -o /dev/null -w '%{http_code}' "$url" || true)
  echo "the printed URL answers HTTP $code: $url"
fi
kill -TERM -- -"$pid" 2>/dev/null; sleep 3; kill -KILL -- -"$pid" 2>/dev/null; wait "$pid" 2>/dev/null
echo "--- last lines of npm ci && npm start:"; tail -n 15 "$start_log"

# 2. npm test
t1=$(date +%s)
npm test >"$work/test.log" 2>&1
test_rc=$?
test_s=$(( $(date +%s) - t1 ))
echo "--- last lines of npm test:"; tail -n 8 "$work/test.log"

echo
echo "=== fresh-machine-check ==="
echo "npm ci && npm start: ${start_s} s, $([ "$start_rc" = 0 ] && echo "URL printed" || echo "FAILED: $start_rc")"
echo "npm test:            ${test_s} s, exit $test_rc"
echo "logs: $start_log $work/test.log"
[ "$start_rc" = 0 ] && [ "$test_rc" = 0 ]
