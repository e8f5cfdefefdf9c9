#!/usr/bin/env bash
# The main job: set up, build, and show what Barrage makes of the demo plan.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
build/bin/barrage inspect examples/demo.jmx
