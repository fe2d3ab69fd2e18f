#!/usr/bin/python3
"""memscan.py PID KEYFILE: looks for the key file's identities in the
writable memory of process PID (as root, through /proc/PID/maps and
/proc/PID/mem). For each identity prints two lines:
    scalar found|absent      the 32-byte X25519 secret (bech32-decoded)
    string found|absent      AGE-SECRET-KEY-1... in upper or lower case
Exit 0 when the scan ran (whatever it found), 1 when it could not read."""
import re
import sys

CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def bech32_data(s):
    s = s.lower()
    pos = s.rfind("1")
    vals = [CHARSET.index(c) for c in s[pos + 1:]][:-6]  # drop the checksum
    acc, bits, out = 0, 0, bytearray()
    for v in vals:
        acc = (acc << 5) | v
        bits += 5
        if bits >= 8:
            bits -= 8
            out.append((acc >> bits) & 0xFF)
    return bytes(out)


def writable_regions(pid):
    with open("/proc/%d/maps" % pid) as f:
        for line in f:
            parts = line.split()
            lo, hi = (int(x, 16) for x in parts[0].split("-"))
            if "w" in parts[1] and "r" in parts[1]:
                yield lo, hi, (parts[5] if len(parts) > 5 else "")


CHUNK = 4 << 20
OVERLAP = 128          # longer than any needle
HUGE = 1 << 30         # ASan's shadow and allocator reserves: not data


def scan(pid, needles):
    """The set of needles found in pid's readable, writable mappings."""
    found, read_any, skipped = set(), False, 0
    with open("/proc/%d/mem" % pid, "rb", 0) as mem:
        for lo, hi, name in writable_regions(pid):
            if name.startswith("[vvar") or name.startswith("[vsyscall"):
                continue
            if hi - lo > HUGE:
                skipped += 1
                continue
            tail = b""
            for off in range(lo, hi, CHUNK):
                try:
                    mem.seek(off)
                    data = mem.read(min(CHUNK, hi - off))
                except OSError:
                    tail = b""
                    continue  # guard pages
                read_any = True
                buf = tail + data
                found.update(n for n in needles if n in buf)
                tail = buf[-OVERLAP:]
    if not read_any:
        sys.exit("could not read the memory of %d" % pid)
    if skipped:
        print("skipped %d mappings over 1 GiB (sanitizer reserves)" % skipped, file=sys.stderr)
    return found


def main():
    pid = int(sys.argv[1])
    keys = re.findall(r"AGE-SECRET-KEY-1[0-9A-Z]+", open(sys.argv[2]).read())
    if not keys:
        sys.exit("no identity in " + sys.argv[2])
    needles = []
    for k in keys:
        sk = bech32_data(k)
        assert len(sk) == 32, len(sk)
        needles += [sk, k.encode(), k.lower().encode()]
    found = scan(pid, needles)
    for i in range(len(keys)):
        sk, up, low = needles[3 * i:3 * i + 3]
        print("scalar", "found" if sk in found else "absent")
        print("string", "found" if up in found or low in found else "absent")


main()
