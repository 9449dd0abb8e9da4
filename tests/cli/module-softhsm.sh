# SPDX-License-Identifier: MIT
# module-softhsm.sh - the module scenario (module-scenario.sh) on SoftHSM,
# the module the rest of the suite runs on: the yardstick for the others.
. "$top_srcdir/tests/cli/lib.sh"

new_token softtok
MOD=$SOFTHSM2_MODULE
TOK=softtok
MPIN=$USER_PIN
MPIN_FILE=$PIN_FILE
KIND=softhsm
. "$top_srcdir/tests/cli/module-scenario.sh"

finish
