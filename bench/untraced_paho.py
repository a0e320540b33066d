#!/usr/bin/env python3
"""A copy of Debian 12's Paho C async library without its call tracing and heap tracking.

For measurement only (docs/benchmarks.md, "One CPU"); never shipped, never used by the tests.

Debian's libpaho-mqtt3as (package libpaho-mqtt1.3 1.3.12-1, amd64) is built without
PAHO_HIGH_PERFORMANCE: every Paho function calls a tracing function on entry and on exit that
takes a process-wide mutex, and Paho's malloc/free/realloc wrappers take another one and track
each block. This writes a copy in which those two tracing functions return at once and the three
wrappers jump straight to malloc/free/realloc, so that

    python3 bench/untraced_paho.py /tmp/untraced-paho
    bench/run.sh --bridge-env LD_LIBRARY_PATH=/tmp/untraced-paho ...

shows what a Paho built with PAHO_HIGH_PERFORMANCE would give. It refuses any other build of the
library (the offsets were read with `objdump -d` from this exact file).
"""
import hashlib
import os
import struct
import sys

LIBRARY = "/usr/lib/x86_64-linux-gnu/libpaho-mqtt3as.so.1.3.11"
SHA256 = "5209f972a783f01c3b38b91e55315ada703ddacb6aba8e9e6032ca31a23d7346"
MALLOC_PLT, FREE_PLT, REALLOC_PLT = 0x57D0, 0x5710, 0x5980


def jmp(at, target):
    return b"\xe9" + struct.pack("<i", target - (at + 5))


# offset: (the first bytes expected there, the replacement)
PATCHES = {
    # StackTrace_entry(name, line, level): return
    0x24C30: (bytes.fromhex("41554c8d2d"), b"\xc3"),
    # StackTrace_exit(name, line, rc, level): return
    0x24D10: (bytes.fromhex("415741564c"), b"\xc3"),
    # mymalloc(file, line, size): malloc(size)
    0x25360: (bytes.fromhex("41574c8d3d"), b"\x48\x89\xd7" + jmp(0x25363, MALLOC_PLT)),
    # myfree(file, line, p): free(p)
    0x25520: (bytes.fromhex("4155415441"), b"\x48\x89\xd7" + jmp(0x25523, FREE_PLT)),
    # myrealloc(file, line, p, size): realloc(p, size)
    0x255F0: (bytes.fromhex("41574989cf"), b"\x48\x89\xd7\x48\x89\xce" + jmp(0x255F6, REALLOC_PLT)),
}


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: untraced_paho.py OUTPUT_DIR")
    data = bytearray(open(LIBRARY, "rb").read())
    if hashlib.sha256(data).hexdigest() != SHA256:
        sys.exit(f"{LIBRARY} is not the build these offsets were read from (Debian 12, libpaho-mqtt1.3 1.3.12-1, amd64)")
    for offset, (expected, replacement) in PATCHES.items():
        if data[offset:offset + len(expected)] != expected:
            sys.exit(f"unexpected bytes at {offset:#x}")
        data[offset:offset + len(replacement)] = replacement
    os.makedirs(sys.argv[1], exist_ok=True)
    out = os.path.join(sys.argv[1], "libpaho-mqtt3as.so.1")
    with open(out, "wb") as f:
        f.write(data)
    print(out)


if __name__ == "__main__":
    main()
