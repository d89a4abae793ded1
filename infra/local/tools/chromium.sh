# shellcheck shell=bash
# Chromium from Debian's packages, for the browser tests (driven by playwright-core, whose own
# browser download is not used) and for the README screenshots.

chromium_provision() { apt_install chromium chromium; }

chromium_path() { command -v chromium || echo /usr/bin/chromium; }
