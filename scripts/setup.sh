#!/usr/bin/env bash
# Installs what Tunnel needs on a Debian 12 machine that has the .NET SDK, then builds it.
# Idempotent: packages already installed are skipped. The build itself restores the models and
# ONNX Runtime (models/restore.sh, checksum-verified) and the console's browser libraries (npm pack).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

packages=(
  mosquitto mosquitto-clients libmosquitto1      # MQTT broker (private, embedded default) and client library
  libopencv-dev libopencv-contrib-dev cmake g++  # the OpenCV shim of the edge agent's recognition
  python3-onnx                                   # models/derive: the recogniser the build derives from PP-OCRv4's
  ffmpeg                                         # video sources through OpenCV's FFmpeg backend
  espeak-ng                                      # spoken plates in the console (Mandarin voice cmn)
  fonts-noto-cjk                                 # Chinese text in rendered plates and pages
  tesseract-ocr tesseract-ocr-chi-sim            # the recognition benchmark's reference peer
  chromium                                       # browser tests of the console
  postgresql                                     # storage tests against PostgreSQL 15
  python3-pymodbus python3-serial python3-serial-asyncio  # a real Modbus TCP device for the alarm-tower tests
  systemd                                        # systemd-analyze checks the shipped units (hardware/systemd)
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# npm packs the model files and browser libraries; a machine may have Node.js from elsewhere.
command -v npm >/dev/null || missing+=(nodejs npm)
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

command -v dotnet >/dev/null || { echo "setup: the .NET 10 SDK is required (https://dot.net)" >&2; exit 2; }
dotnet build Tunnel.sln -c Release -nologo -v quiet
