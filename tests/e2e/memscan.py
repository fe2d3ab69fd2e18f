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


def main():
    pid = int(sys.argv[1])
    keys = re.findall(r"AGE-SECRET-KEY-1[0-9A-Z]+", open(sys.argv[2]).read())
    if not keys:
        sys.exit("no identity in " + sys.argv[2])
    blobs = []
    with open("/proc/%d/mem" % pid, "rb", 0) as mem:
        for lo, hi, name in writable_regions(pid):
            if name.startswith("[vvar") or name.startswith("[vsyscall"):
                continue
            try:
                mem.seek(lo)
                blobs.append(mem.read(hi - lo))
            except OSError:
                continue  # guard pages
    if not blobs:
        sys.exit("could not read the memory of %d" % pid)
    for k in keys:
        sk = bech32_data(k)
        assert len(sk) == 32, len(sk)
        strs = (k.encode(), k.lower().encode())
        print("scalar", "found" if any(sk in b for b in blobs) else "absent")
        print("string", "found" if any(s in b for b in blobs for s in strs) else "absent")


main()
