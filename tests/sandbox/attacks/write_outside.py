"""Write outside the scratch folder. Expected: forbidden (Landlock: writes only below scratch)."""
import os

TARGET = globals().get("TARGET", "/tmp/toolmint-escaped.txt")
with open(TARGET, "w") as f:
    f.write("escaped")
result = os.path.exists(TARGET)
