# SPDX-License-Identifier: MIT
# sweep-3.sh - quarter 3 of the fault sweep (sweep.sh): every fourth run
# of each scenario, starting with run 3, so that make -j2 check runs the
# quarters side by side and the four together do every run once.
SWEEP_SHARD=3/4
export SWEEP_SHARD
. "$top_srcdir/tests/cli/sweep.sh"
