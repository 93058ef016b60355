#!/bin/sh
# Install reglab from a source tree and register its kernel system-wide.
# The one set of steps shared by the single-user image (deploy/image/Dockerfile),
# the one-machine hub (deploy/README.md) and Binder (binder/postBuild).
#
#   SRC=<reglab source tree>      default: the checkout this script is in
#   REGLAB_HOME=<install dir>     default: /opt/reglab
#   KERNEL_PREFIX=<prefix>        default: /usr/local  (kernelspec in PREFIX/share/jupyter/kernels/reglab,
#                                 a directory Jupyter searches for every user)
#   NOTEBOOKS_DIR=<dir>           default: REGLAB_HOME/notebooks (copied there, marked trusted)
# Needs node >= 20 and npm on PATH, and the npm registry.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
SRC=${SRC:-$(cd "$here/../.." && pwd)}
REGLAB_HOME=${REGLAB_HOME:-/opt/reglab}
KERNEL_PREFIX=${KERNEL_PREFIX:-/usr/local}

node -e 'if (Number(process.versions.node.split(".")[0]) < 20) { console.error("reglab needs Node >= 20, this is " + process.version); process.exit(1) }'

mkdir -p "$REGLAB_HOME"
# Only what the package needs at run time, plus what the build reads.
(cd "$SRC" && tar -cf - package.json package-lock.json tsconfig.json bin kernel src assets data notebooks) | (cd "$REGLAB_HOME" && tar -xf -)
cd "$REGLAB_HOME"
npm ci --no-audit --no-fund          # devDependencies too: its prepare step builds with TypeScript
npm prune --omit=dev --no-audit --no-fund

node bin/reglab.js install --prefix "$KERNEL_PREFIX"

# Trust the shipped notebooks (their outputs are ours), when Jupyter is installed.
NOTEBOOKS_DIR=${NOTEBOOKS_DIR:-$REGLAB_HOME/notebooks}
if [ "$NOTEBOOKS_DIR" != "$REGLAB_HOME/notebooks" ]; then mkdir -p "$NOTEBOOKS_DIR" && cp -r "$REGLAB_HOME"/notebooks/*.ipynb "$NOTEBOOKS_DIR"/; fi
if command -v jupyter >/dev/null 2>&1 && jupyter trust --help >/dev/null 2>&1; then
  jupyter trust "$NOTEBOOKS_DIR"/*.ipynb
fi
echo "reglab installed in $REGLAB_HOME; kernelspec: $KERNEL_PREFIX/share/jupyter/kernels/reglab"
