"""Climb out of an inherited library folder descriptor (/proc/self/fd/N/../..) to the Hub token under
the home folder. Expected: forbidden (Landlock allows nothing below $HOME but the interpreter)."""
SECRET = globals().get("SECRET", "/root/.cache/huggingface/token")
result = None
for fd in range(3, 64):
    try:
        with open(f"/proc/self/fd/{fd}/" + "../" * 12 + SECRET.lstrip("/")) as f:
            result = f.read()
    except (FileNotFoundError, NotADirectoryError):
        continue
