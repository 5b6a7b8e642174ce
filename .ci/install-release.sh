#!/usr/bin/env bash
# Installs a released hindsight binary: what action.yml runs, and what a test runs against a
# folder of archives built on this machine.
#
#   HINDSIGHT_VERSION      the release, such as 0.1.0, or "latest"
#   HINDSIGHT_ARCHIVES     a folder of release archives to take the archive from instead of
#                          downloading it (optional)
#   HINDSIGHT_REPOSITORY   owner/name of the GitHub repository the releases are in
#   HINDSIGHT_INSTALL_DIR  where the binary goes; an existing binary there is kept (a cache hit)
#   RUNNER_OS, RUNNER_ARCH which archive fits this machine (set by GitHub Actions)
#
# It prints the installed version, adds the folder to GITHUB_PATH when that is set, and
# writes `path=<folder>` to GITHUB_OUTPUT when that is set.
set -euo pipefail

version="${HINDSIGHT_VERSION:-latest}"
repository="${HINDSIGHT_REPOSITORY:-hindsight-pm/hindsight}"
install_dir="${HINDSIGHT_INSTALL_DIR:?HINDSIGHT_INSTALL_DIR must name the folder to install into}"
os="${RUNNER_OS:-$(uname -s)}"
arch="${RUNNER_ARCH:-$(uname -m)}"

case "$os/$arch" in
  Linux/X64 | Linux/x86_64) target=x86_64-unknown-linux-musl ;;
  Linux/ARM64 | Linux/aarch64) target=aarch64-unknown-linux-musl ;;
  macOS/ARM64 | Darwin/arm64) target=aarch64-apple-darwin ;;
  macOS/X64 | Darwin/x86_64) target=x86_64-apple-darwin ;;
  Windows/X64 | MINGW*/x86_64 | MSYS*/x86_64) target=x86_64-pc-windows-msvc ;;
  *)
    echo "::error::hindsight has no release for $os on $arch; install it with cargo install --locked --git https://github.com/$repository" >&2
    exit 1
    ;;
esac
case "$target" in
  *windows*) archive="hindsight-$target.zip" binary=hindsight.exe ;;
  *) archive="hindsight-$target.tar.gz" binary=hindsight ;;
esac

if [ ! -x "$install_dir/$binary" ]; then
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  if [ -n "${HINDSIGHT_ARCHIVES:-}" ]; then
    cp "$HINDSIGHT_ARCHIVES/$archive" "$work/"
    if [ -f "$HINDSIGHT_ARCHIVES/$archive.sha256" ]; then
      cp "$HINDSIGHT_ARCHIVES/$archive.sha256" "$work/"
    fi
  else
    case "$version" in
      latest) base="https://github.com/$repository/releases/latest/download" ;;
      *) base="https://github.com/$repository/releases/download/v${version#v}" ;;
    esac
    curl --proto '=https' --tlsv1.2 -fsSL --retry 3 -o "$work/$archive" "$base/$archive"
    curl --proto '=https' --tlsv1.2 -fsSL --retry 3 -o "$work/$archive.sha256" "$base/$archive.sha256"
  fi
  # A download is used only if it is the archive the release workflow published.
  if [ -f "$work/$archive.sha256" ]; then
    expected="$(cut -d ' ' -f 1 <"$work/$archive.sha256")"
    if command -v sha256sum >/dev/null 2>&1; then
      actual="$(sha256sum "$work/$archive" | cut -d ' ' -f 1)"
    else
      actual="$(shasum -a 256 "$work/$archive" | cut -d ' ' -f 1)"
    fi
    if [ "$expected" != "$actual" ]; then
      echo "::error::$archive does not match its SHA-256 sum ($actual, expected $expected)" >&2
      exit 1
    fi
  elif [ -z "${HINDSIGHT_ARCHIVES:-}" ]; then
    echo "::error::$archive has no SHA-256 sum beside it" >&2
    exit 1
  fi
  mkdir -p "$install_dir"
  case "$archive" in
    *.zip) unzip -q -o "$work/$archive" "$binary" -d "$install_dir" ;;
    *) tar -xzf "$work/$archive" -C "$install_dir" "$binary" ;;
  esac
  chmod +x "$install_dir/$binary"
fi

"$install_dir/$binary" --version
if [ -n "${GITHUB_PATH:-}" ]; then
  echo "$install_dir" >>"$GITHUB_PATH"
fi
if [ -n "${GITHUB_OUTPUT:-}" ]; then
  echo "path=$install_dir" >>"$GITHUB_OUTPUT"
fi
