# SPDX-License-Identifier: MIT
"""ptyrun.py - run a command on a new pseudo-terminal, as a user at a
terminal would: standard input, output and error are the terminal, which
is also the command's controlling terminal. Everything it writes to the
terminal is copied, byte for byte, to the file named first, and what
the terminal then shows, line by line, to that name with ".screen"
added: a carriage return goes back to the start of the line, ESC [ K
erases the rest of it, and what follows overwrites what was there. The
exit status is the command's (128 + N for a signal N). Whether the
terminal echoes once the command has ended goes to that name with ".stty"
added: "echo" or "-echo", as stty(1) says it. With --answer, TEXT and a
newline are typed once the output shows PROMPT.

    python3 ptyrun.py [--answer PROMPT TEXT] OUTFILE COMMAND [ARG...]
"""
import os
import pty
import signal
import sys
import termios


def screen(data):
    """The lines a terminal shows after DATA."""
    lines = []
    for raw in data.split(b"\n"):
        line, col, i = bytearray(), 0, 0
        while i < len(raw):
            if raw[i:i + 1] == b"\r":
                col = 0
            elif raw[i:i + 3] == b"\033[K":
                del line[col:]
                i += 2
            else:
                line[col:col + 1] = raw[i:i + 1]
                col += 1
            i += 1
        lines.append(bytes(line))
    return b"\n".join(lines)


def main():
    args = sys.argv[1:]
    prompt = answer = None
    if args[0] == "--answer":
        prompt, answer, args = args[1].encode(), args[2].encode() + b"\n", args[3:]
    out_path, argv = args[0], args[1:]
    shown = b""
    pid, fd = pty.fork()
    if pid == 0:
        try:
            # As a shell on a new terminal starts it: signals a
            # background job ignores (SIGINT, SIGQUIT under a
            # non-interactive shell's &) are the terminal's again.
            for sig in (signal.SIGINT, signal.SIGQUIT, signal.SIGTSTP,
                        signal.SIGTTIN, signal.SIGTTOU):
                signal.signal(sig, signal.SIG_DFL)
            os.execvp(argv[0], argv)
        finally:
            os._exit(127)
    with open(out_path, "wb") as out:
        while True:
            try:
                data = os.read(fd, 4096)
            except OSError:  # EIO: the terminal's last writer is gone
                break
            if not data:
                break
            out.write(data)
            shown += data
            if prompt is not None and prompt in shown:
                os.write(fd, answer)
                prompt = None
    with open(out_path + ".screen", "wb") as out:
        out.write(screen(shown))
    _, status = os.waitpid(pid, 0)
    # The master reads the terminal's settings even with no slave open.
    lflag = termios.tcgetattr(fd)[3]
    with open(out_path + ".stty", "w") as out:
        out.write("echo\n" if lflag & termios.ECHO else "-echo\n")
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return os.WEXITSTATUS(status)


if __name__ == "__main__":
    sys.exit(main())
