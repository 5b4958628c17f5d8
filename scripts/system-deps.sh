#!/usr/bin/env bash
# Install the Debian packages the project needs when they are missing (idempotent, quick).
set -euo pipefail
need=()
if ! command -v pg_ctl >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
  need+=(postgresql)
fi
# Java for Spark (local mode, the monitoring engine's second backend and the SQL-export tests).
if ! command -v java >/dev/null 2>&1; then
  need+=(openjdk-17-jre-headless)
fi
# Headless Chromium for PDF reports and the browser tests; a CJK font for Chinese text.
command -v chromium >/dev/null 2>&1 || need+=(chromium)
[ -d /usr/share/fonts/opentype/noto ] && ls /usr/share/fonts/opentype/noto/NotoSansCJK* >/dev/null 2>&1 \
  || need+=(fonts-noto-cjk)
if ((${#need[@]})); then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "installing Debian packages: ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
