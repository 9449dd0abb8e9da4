# SPDX-License-Identifier: MIT
# module-tpm2.sh - the module scenario (module-scenario.sh) on tpm2-pkcs11
# over a software TPM, as a real system runs it: swtpm on 127.0.0.1, the
# resource manager tpm2-abrmd on a private D-Bus session bus (without
# one, a failed key generation leaves TPM object contexts loaded and
# every later login fails), and a token store in the work directory.
for tool in swtpm tpm2-abrmd tpm2_ptool dbus-daemon; do
	command -v "$tool" >/dev/null || { echo "# SKIP: $tool is not installed (tools/install-deps)"; exit 77; }
done
MOD=/usr/lib/x86_64-linux-gnu/pkcs11/libtpm2_pkcs11.so
[ -f "$MOD" ] || { echo "# SKIP: $MOD is not installed (Debian package libtpm2-pkcs11-1, tools/install-deps)"; exit 77; }
. "$top_srcdir/tests/cli/lib.sh"

# Under --enable-sanitizers: the module's own leaks are not ours (see the
# file); the slow unwinder follows a leak's stack through the module,
# which has no frame pointers, so that the suppression can name it.
export LSAN_OPTIONS="suppressions=$top_srcdir/tests/lsan-modules.supp"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0"

# A port P with P+1 free as well: the swtpm TCTI finds the control
# channel at the port after the TPM's.
free_port_pair() {
	"$PYTHON" -c '
import socket
while True:
    a = socket.socket(); a.bind(("127.0.0.1", 0)); p = a.getsockname()[1]
    b = socket.socket()
    try:
        b.bind(("127.0.0.1", p + 1))
    except OSError:
        continue
    print(p)
    break'
}

stop_tpm() {
	for f in abrmd.pid dbus.pid swtpm.pid; do
		[ -s "$WORK/$f" ] && kill "$(cat "$WORK/$f")" 2>/dev/null
	done
	return 0
}
on_exit=stop_tpm

TPM_PORT=$(free_port_pair)
CTRL_PORT=$((TPM_PORT + 1))
mkdir "$WORK/tpm" "$WORK/store"
swtpm socket --tpm2 --server "type=tcp,port=$TPM_PORT,bindaddr=127.0.0.1" \
	--ctrl "type=tcp,port=$CTRL_PORT,bindaddr=127.0.0.1" \
	--flags not-need-init,startup-clear --tpmstate "dir=$WORK/tpm" \
	--pid "file=$WORK/swtpm.pid" --daemon
dbus-daemon --session --fork --print-address=3 --print-pid=4 \
	3>"$WORK/dbus.addr" 4>"$WORK/dbus.pid"
DBUS_SESSION_BUS_ADDRESS=$(cat "$WORK/dbus.addr")
export DBUS_SESSION_BUS_ADDRESS
tpm2-abrmd --allow-root --session --tcti="swtpm:host=127.0.0.1,port=$TPM_PORT" \
	>"$WORK/abrmd.log" 2>&1 &
echo $! >"$WORK/abrmd.pid"
export TPM2TOOLS_TCTI=tabrmd:bus_type=session
export TPM2_PKCS11_TCTI=tabrmd:bus_type=session
export TPM2_PKCS11_STORE="$WORK/store"
for _ in $(seq 100); do
	tpm2_getcap properties-fixed >/dev/null 2>&1 && break
	sleep 0.1
done
expect "the resource manager answers" sh -c "tpm2_getcap properties-fixed >/dev/null"

tpm2_ptool init --path="$WORK/store" >/dev/null
tpm2_ptool addtoken --pid=1 --sopin="$SO_PIN" --userpin="$USER_PIN" \
	--label=tpmtok --path="$WORK/store" >/dev/null

TOK=tpmtok
MPIN=$USER_PIN
MPIN_FILE=$PIN_FILE
KIND=tpm2
. "$top_srcdir/tests/cli/module-scenario.sh"

# Without its resource manager, the module cannot start: exit 2, and the
# message says what to check.
kill "$(cat "$WORK/abrmd.pid")"
rm -f "$WORK/abrmd.pid"
expect_status 2 "tpm2-pkcs11 without its resource manager" "$P11ENROLL" tokens
expect_grep "the message names TPM2_PKCS11_TCTI" 'check TPM2_PKCS11_TCTI' "$WORK/err"

finish
