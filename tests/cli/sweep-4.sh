# SPDX-License-Identifier: MIT
# sweep-4.sh - quarter 4 of the fault sweep (sweep.sh): every fourth run
# of each scenario, starting with run 4, so that make -j2 check runs the
# quarters side by side and the four together do every run once.
SWEEP_SHARD=4/4
export SWEEP_SHARD
. "$top_srcdir/tests/cli/sweep.sh"
