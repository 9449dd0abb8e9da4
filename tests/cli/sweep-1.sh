# SPDX-License-Identifier: MIT
# sweep-1.sh - quarter 1 of the fault sweep (sweep.sh): every fourth run
# of each scenario, starting with run 1, so that make -j2 check runs the
# quarters side by side and the four together do every run once.
SWEEP_SHARD=1/4
export SWEEP_SHARD
. "$top_srcdir/tests/cli/sweep.sh"
