#!/usr/bin/env bash
# Installs what the tool needs on a Debian machine: system libraries (WeasyPrint's Pango,
# fonts), a virtualenv in .venv with the package and its dev extras. Safe to re-run.
# Pass --test to also install what the test suite needs (PostgreSQL, Chromium, axe-core).
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
[[ "${1:-}" == "--test" ]] && want_test=1

# Fonts for names in every script a learner may type on a certificate: DejaVu (Latin, Greek,
# Cyrillic), Noto core (Arabic, Hebrew, Devanagari, Thai and more), WenQuanYi Zen Hei
# (Chinese, Japanese kana, Korean Hangul). About 20 MB to download.
apt_packages=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 fonts-dejavu-core fonts-dejavu-extra
  fonts-noto-core fonts-wqy-zenhei)
if (( want_test )); then
  # nginx: the production-topology test runs it (TLS in front of two hosts), as a process
  # of its own; the Debian service it may start is not used. zbar-tools: a real QR reader
  # reads each printed certificate's code (tests/certificates/test_qr_reads.py).
  apt_packages+=(postgresql chromium chromium-driver nginx-light zbar-tools)
fi

# Debian hosts run unattended upgrades at boot: wait for their apt lock instead of failing.
APT_LOCK_WAIT_SECONDS=${APT_LOCK_WAIT_SECONDS:-1200}
apt_lock_holder() {
  # apt and dpkg take POSIX (fcntl) locks; prints the first lock file that is held.
  python3 - /var/lib/dpkg/lock-frontend /var/lib/dpkg/lock /var/lib/apt/lists/lock \
    /var/cache/apt/archives/lock <<'PY'
import fcntl, sys
for path in sys.argv[1:]:
    try:
        with open(path, "a") as handle:
            fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except FileNotFoundError:
        continue
    except OSError:
        print(path)
        break
PY
}
wait_for_apt_lock() {
  local waited=0 held
  while held=$(apt_lock_holder) && [[ -n "$held" ]]; do
    if (( waited >= APT_LOCK_WAIT_SECONDS )); then
      echo "The apt lock $held is still held after ${waited}s; giving up." >&2
      return 1
    fi
    (( waited % 30 == 0 )) && echo "Waiting for another apt-get or dpkg to finish ($held is held, ${waited}s so far)..."
    sleep 5
    waited=$((waited + 5))
  done
}

missing=()
for pkg in "${apt_packages[@]}"; do
  # Installed means "install ok installed": `dpkg -s` also succeeds for a package that was
  # removed but left its configuration files behind.
  [[ $(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null) == "install ok installed" ]] \
    || missing+=("$pkg")
done
if (( ${#missing[@]} )); then
  SUDO=""
  [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  echo "Installing Debian packages: ${missing[*]}"
  wait_for_apt_lock
  # apt-get update ignores DPkg::Lock::Timeout (the lists lock): try again after a wait.
  for attempt in 1 2 3 4 5; do
    $SUDO apt-get update -qq && break
    (( attempt == 5 )) && exit 1
    wait_for_apt_lock
    sleep 5
  done
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    -o DPkg::Lock::Timeout="$APT_LOCK_WAIT_SECONDS" "${missing[@]}" >/dev/null
fi

PYTHON="${PYTHON:-python3}"
if [[ ! -x .venv/bin/python ]]; then
  "$PYTHON" -m venv .venv
fi
# Every Python dependency comes from requirements.lock: exact versions, each file checked
# against its sha256 (--require-hashes), so every install gets the same bytes. The tool
# itself is installed on top without dependencies. Regenerate the lock after changing
# pyproject.toml (see README, "Dependencies").
stamp=.venv/.installed-$(cat pyproject.toml requirements.lock | sha256sum | cut -c1-16)
if [[ ! -f "$stamp" ]]; then
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q --require-hashes -r requirements.lock
  .venv/bin/pip install -q --no-deps -e .
  rm -f .venv/.installed-* && touch "$stamp"
fi

if (( want_test )) && [[ ! -f node_modules/axe-core/axe.min.js ]]; then
  if command -v npm >/dev/null 2>&1; then
    npm ci --no-audit --no-fund --silent >/dev/null
  else
    echo "npm not found: the accessibility checks will be skipped" >&2
  fi
fi
