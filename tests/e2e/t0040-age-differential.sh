#!/bin/sh
# Differential test against the stock age CLI: small mutations (bit flips,
# deletions, insertions, truncations; mostly in the header) of a file that
# `age -e` wrote must be accepted or refused by `sealctl recover` exactly
# when `age -d` accepts or refuses them, with the same plaintext, and never
# crash sealctl. The seed is fixed, so a failure reproduces.
. "$(dirname "$0")/lib.sh"
test_require age base64 "$SEALCTL" "$PYTHON"

cat >mutate.py <<'PYEOF'
import base64, random, subprocess, sys
random.seed(20261126)
orig = open("v.age", "rb").read()
hdr_end = orig.index(b"\n---") + 48
bad = 0
for n in range(int(sys.argv[2])):
    b = bytearray(orig)
    op = random.randrange(4)
    pos = random.randrange(hdr_end + 40) if random.random() < 0.85 else random.randrange(len(b))
    if op == 0:
        b[pos] ^= 1 << random.randrange(8)
    elif op == 1:
        del b[pos:pos + random.randrange(1, 4)]
    elif op == 2:
        b[pos:pos] = bytes([random.choice(b" \n\r-=A>+/")])
    else:
        b = b[:pos]
    open("m.age", "wb").write(b)
    a = subprocess.run(["age", "-d", "-i", "k.txt", "m.age"], capture_output=True)
    s = subprocess.run([sys.argv[1], "recover", "--raw", "--allow-unscoped", "-i", "k.txt"],
                       input=base64.b64encode(bytes(b)), capture_output=True)
    if s.returncode not in (0, 1):
        print("sealctl exited %d (op %d at %d)" % (s.returncode, op, pos))
        bad += 1
    elif (a.returncode == 0) != (s.returncode == 0) or (a.returncode == 0 and a.stdout != s.stdout):
        print("differs from age: op %d at %d: age %d, sealctl %d: %s"
              % (op, pos, a.returncode, s.returncode, s.stderr[:200]))
        bad += 1
print("%d mutations, %d disagreements" % (int(sys.argv[2]), bad))
sys.exit(1 if bad else 0)
PYEOF

test_expect_success 'setup: key and an age file with a two-chunk payload' '
	"$SEALCTL" keygen -w k.txt 2>/dev/null &&
	head -c 65600 /dev/zero | tr "\0" x >value &&
	age -e -r "$(sed -n "s/^# public key: //p" k.txt)" -o v.age value &&
	age -d -i k.txt v.age | cmp - value
'

test_expect_success 'sealctl accepts and refuses exactly what age does (40 mutations)' '
	$PYTHON mutate.py "$SEALCTL" 40
'

test_done
