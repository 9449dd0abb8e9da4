"""ptyrun.py - run a command on a new pseudo-terminal, as a user at a
terminal would: standard input, output and error are the terminal, which
is also the command's controlling terminal. Everything it writes to the
terminal is copied, byte for byte, to the file named first; the exit
status is the command's (128 + N for a signal N). With --answer, TEXT
and a newline are typed once the output shows PROMPT.

    python3 ptyrun.py [--answer PROMPT TEXT] OUTFILE COMMAND [ARG...]
"""
import os
import pty
import sys


def main():
    args = sys.argv[1:]
    prompt = answer = None
    if args[0] == "--answer":
        prompt, answer, args = args[1].encode(), args[2].encode() + b"\n", args[3:]
    out_path, argv = args[0], args[1:]
    seen = b""
    pid, fd = pty.fork()
    if pid == 0:
        try:
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
            if prompt is not None:
                seen += data
                if prompt in seen:
                    os.write(fd, answer)
                    prompt = None
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return os.WEXITSTATUS(status)


if __name__ == "__main__":
    sys.exit(main())
