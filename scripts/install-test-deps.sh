#!/usr/bin/env bash
# Installs what the integration/UI test harness (test/harness/vscode-host.mjs) needs:
#   - Debian packages: chromium, ripgrep, libkrb5-dev (code-server's kerberos module), fonts
#   - code-server 4.100.3 (VS Code 1.100, runs on Node 20) into .tools/code-server
#   - playwright-core into .tools/harness (kept out of the extension's own package.json)
# Idempotent: every step is skipped when its result is already present.
# Works offline except for the npm registry and Debian's apt repositories.
set -euo pipefail

CODE_SERVER_VERSION="4.100.3"
PLAYWRIGHT_CORE_VERSION="1.65.1"
# Fallback only; the real version is read from code-server's own shrinkwrap below.
RIPGREP_PKG_FALLBACK_VERSION="1.15.11"
# The ripgrep release @vscode/ripgrep 1.15.x downloads (lib/postinstall.js: VERSION).
RIPGREP_RELEASE="v13.0.0-10"
RIPGREP_TARGET="x86_64-unknown-linux-musl"

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/.." && pwd)"
TOOLS_DIR="$REPO_ROOT/.tools"
CS_PREFIX="$TOOLS_DIR/code-server"
HARNESS_PREFIX="$TOOLS_DIR/harness"

log() { printf '[install-test-deps] %s\n' "$*"; }
start_ts=$(date +%s)

# ---------------------------------------------------------------- apt packages
APT_PACKAGES=(chromium ripgrep libkrb5-dev fonts-dejavu-core ffmpeg)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done
if ! command -v chromium >/dev/null 2>&1; then missing+=(chromium); fi
if ! command -v rg >/dev/null 2>&1; then missing+=(ripgrep); fi
if [ "${#missing[@]}" -gt 0 ]; then
  # de-duplicate
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  log "apt: installing ${missing[*]}"
  apt_start=$(date +%s)
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
  log "apt: done in $(( $(date +%s) - apt_start ))s"
else
  log "apt: all present (${APT_PACKAGES[*]})"
fi

# ------------------------------------------------------------------ npm env
# code-server's postinstall refuses to run as root without unsafe-perm; node-pty's
# install runs `npx node-gyp`, which must not prompt.
export npm_config_unsafe_perm=true
export npm_config_yes=true
export npm_config_fund=false
export npm_config_audit=false
export npm_config_update_notifier=false
# Native addons build against the machine's Node headers (/usr/include/node), so no
# header download is needed. Respect an existing setting (the user npmrc has nodedir=/usr).
if [ -z "${npm_config_nodedir:-}" ] && [ -f /usr/include/node/node.h ]; then
  export npm_config_nodedir=/usr
fi

installed_version() { # <package.json path>
  [ -f "$1" ] && node -p "require(process.argv[1]).version" "$1" 2>/dev/null || true
}

# -------------------------------------------------------------- code-server
CS_PKG_DIR="$CS_PREFIX/node_modules/code-server"
CS_OK_MARK="$CS_PREFIX/.installed-$CODE_SERVER_VERSION"
if [ "$(installed_version "$CS_PKG_DIR/package.json")" = "$CODE_SERVER_VERSION" ] \
   && [ -f "$CS_OK_MARK" ] \
   && [ -x "$CS_PKG_DIR/lib/vscode/node_modules/@vscode/ripgrep/bin/rg" ]; then
  log "code-server $CODE_SERVER_VERSION already installed in $CS_PREFIX"
else
  log "code-server: installing $CODE_SERVER_VERSION into $CS_PREFIX"
  cs_start=$(date +%s)
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT

  # @vscode/ripgrep's postinstall downloads rg from GitHub unless it finds
  # $TMPDIR/vscode-ripgrep-cache-<its version>/ripgrep-<release>-<target>.tar.gz.
  # Its version is pinned in code-server's lib/vscode/npm-shrinkwrap.json: read it from the
  # package tarball (npm keeps it in its cache, so the install below does not fetch it again).
  rg_pkg_version=""
  if (cd "$work" && npm pack --silent "code-server@$CODE_SERVER_VERSION" >/dev/null 2>&1); then
    tgz="$(ls "$work"/code-server-*.tgz 2>/dev/null | head -n1 || true)"
    if [ -n "$tgz" ]; then
      rg_pkg_version="$(tar -xzOf "$tgz" package/lib/vscode/npm-shrinkwrap.json 2>/dev/null \
        | node -e '
            let s = "";
            process.stdin.on("data", (d) => (s += d)).on("end", () => {
              try {
                const j = JSON.parse(s);
                const p = (j.packages || {})["node_modules/@vscode/ripgrep"] || (j.dependencies || {})["@vscode/ripgrep"];
                if (p && p.version) process.stdout.write(p.version);
              } catch (e) {}
            });' || true)"
      rm -f "$tgz"
    fi
  fi
  if [ -z "$rg_pkg_version" ]; then
    log "code-server: could not read @vscode/ripgrep version; assuming $RIPGREP_PKG_FALLBACK_VERSION"
    rg_pkg_version="$RIPGREP_PKG_FALLBACK_VERSION"
  fi
  log "code-server: @vscode/ripgrep $rg_pkg_version, seeding its download cache with Debian's rg"

  # Use a private TMPDIR so the cache location is known and survives nothing else.
  export TMPDIR="$TOOLS_DIR/tmp"
  mkdir -p "$TMPDIR"
  seed_cache() { # <@vscode/ripgrep version>
    local dir="$TMPDIR/vscode-ripgrep-cache-$1"
    local archive="$dir/ripgrep-$RIPGREP_RELEASE-$RIPGREP_TARGET.tar.gz"
    mkdir -p "$dir"
    if [ ! -s "$archive" ]; then
      local stage; stage="$(mktemp -d)"
      cp "$(command -v rg)" "$stage/rg"
      chmod 755 "$stage/rg"
      tar -czf "$archive" -C "$stage" rg
      rm -rf "$stage"
    fi
  }
  seed_cache "$rg_pkg_version"
  # Seed the fallback version too, in case the shrinkwrap could not be read correctly.
  [ "$rg_pkg_version" = "$RIPGREP_PKG_FALLBACK_VERSION" ] || seed_cache "$RIPGREP_PKG_FALLBACK_VERSION"

  rm -rf "$CS_PREFIX"
  mkdir -p "$CS_PREFIX"
  # A package.json of its own so npm treats the prefix as a project root.
  printf '{ "name": "code-server-tool", "private": true }\n' > "$CS_PREFIX/package.json"

  set +e
  npm install --prefix "$CS_PREFIX" --no-package-lock --no-save "code-server@$CODE_SERVER_VERSION" \
    > "$work/npm-install.log" 2>&1
  rc=$?
  set -e
  if [ "$rc" -ne 0 ]; then
    # If the ripgrep version was wrong, the log names the cache folder it looked in.
    tail -n 60 "$work/npm-install.log" >&2
    other="$(grep -o 'vscode-ripgrep-cache-[0-9][0-9.]*' "$work/npm-install.log" | head -n1 | sed 's/vscode-ripgrep-cache-//' || true)"
    if [ -n "$other" ] && [ "$other" != "$rg_pkg_version" ]; then
      log "code-server: install looked for @vscode/ripgrep $other; retrying with that cache"
      seed_cache "$other"
      rm -rf "$CS_PREFIX/node_modules"
      npm install --prefix "$CS_PREFIX" --no-package-lock --no-save "code-server@$CODE_SERVER_VERSION"
    else
      log "code-server: npm install failed (exit $rc); full log above"
      exit "$rc"
    fi
  fi
  if [ ! -x "$CS_PKG_DIR/lib/vscode/node_modules/@vscode/ripgrep/bin/rg" ]; then
    log "code-server: installed, but ripgrep binary is missing" >&2
    exit 1
  fi
  touch "$CS_OK_MARK"
  log "code-server: installed $(installed_version "$CS_PKG_DIR/package.json") in $(( $(date +%s) - cs_start ))s"
fi

# -------------------------------------------------------------- playwright-core
if [ "$(installed_version "$HARNESS_PREFIX/node_modules/playwright-core/package.json")" = "$PLAYWRIGHT_CORE_VERSION" ]; then
  log "playwright-core $PLAYWRIGHT_CORE_VERSION already installed in $HARNESS_PREFIX"
else
  log "playwright-core: installing $PLAYWRIGHT_CORE_VERSION into $HARNESS_PREFIX"
  mkdir -p "$HARNESS_PREFIX"
  [ -f "$HARNESS_PREFIX/package.json" ] || printf '{ "name": "test-harness-tools", "private": true }\n' > "$HARNESS_PREFIX/package.json"
  # playwright-core has no install script; never run `playwright install` (no browser downloads).
  npm install --prefix "$HARNESS_PREFIX" --no-package-lock --no-save "playwright-core@$PLAYWRIGHT_CORE_VERSION"
fi

log "done in $(( $(date +%s) - start_ts ))s"
