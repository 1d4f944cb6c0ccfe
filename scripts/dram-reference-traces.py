#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes the four traces of ../shared/reference/dram-reference-sim.md in the
`llmvp memtrace` format (docs/memtrace.md): every request 64 bytes, 64-byte
aligned, issued at maximum rate (`*`).

  seq:    1,048,576 reads at 0, 64, 128, ... (64 MiB)
  rand:   1,048,576 reads uniformly over 2 GiB (fixed seed)
  mix:    1,048,576 requests over 64 MiB, read (even) / write (odd) on consecutive lines
  stride:   262,144 reads one page (1 KiB) apart

usage: dram-reference-traces.py OUTDIR [--scale F]   (F < 1 writes shorter traces)
"""
import os
import random
import sys

LINE = 64


def write(path, lines):
    with open(path, "w") as f:
        f.write("# %s: dram-reference-sim.md pattern, written by scripts/dram-reference-traces.py\n"
                % os.path.basename(path))
        f.writelines(lines)


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    scale = float(sys.argv[3]) if len(sys.argv) > 3 and sys.argv[2] == "--scale" else 1.0
    n = int(1048576 * scale)
    os.makedirs(out, exist_ok=True)
    write(os.path.join(out, "seq.trace"), ("* R 0x%x 64\n" % (i * LINE) for i in range(n)))
    rng = random.Random(1)
    write(os.path.join(out, "rand.trace"), ("* R 0x%x 64\n" % (rng.randrange(1 << 25) * LINE) for _ in range(n)))
    write(os.path.join(out, "mix.trace"),
          ("* %s 0x%x 64\n" % ("R" if i % 2 == 0 else "W", i * LINE) for i in range(n)))
    write(os.path.join(out, "stride.trace"), ("* R 0x%x 64\n" % (i * 1024) for i in range(int(262144 * scale))))


if __name__ == "__main__":
    main()
