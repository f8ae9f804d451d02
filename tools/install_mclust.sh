#!/usr/bin/env bash
# Install R and mclust from Debian's packages (r-base-core, r-cran-mclust: mclust 6.0 on
# Debian 12), for the side-by-side tests and benchmarks. Does nothing when Rscript
# already loads mclust; needs root (or sudo) and apt-get.
set -euo pipefail
if command -v Rscript >/dev/null 2>&1 && Rscript -e 'library(mclust)' >/dev/null 2>&1; then
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install_mclust: no apt-get here; install R and the mclust package by hand" >&2
    exit 1
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
        echo "install_mclust: not root and no sudo: cannot install R" >&2
        exit 1
    fi
fi
echo "installing R and mclust (Debian packages r-base-core r-cran-mclust, about a minute)"
export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get install -y -q --no-install-recommends r-base-core r-cran-mclust >/dev/null; then
    $SUDO apt-get update -q >/dev/null
    $SUDO apt-get install -y -q --no-install-recommends r-base-core r-cran-mclust >/dev/null
fi
Rscript -e 'library(mclust)' >/dev/null
