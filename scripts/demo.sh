#!/usr/bin/env bash
# The demo on embedded defaults: a private mosquitto, SQLite in a fresh ./data/demo-<time>, simulated traffic published
# by one simulated edge agent per camera, and the web console on http://127.0.0.1:5080.
# Extra arguments go to `tunnel demo` (try --speed 10).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
exec dotnet src/Tunnel.Cli/bin/Release/net10.0/tunnel.dll demo "$@"
