#!/usr/bin/env python3
"""What a callgrind dump (from `BENCH_KEEP=1 bench/instructions.sh`) spent.

    python3 bench/callgrind_top.py DUMP [N]            # the N functions with the most own instructions
    python3 bench/callgrind_top.py DUMP --calls REGEX [N]
                                                       # who calls functions matching REGEX, how often

Reads the dump's `fn=` / `cfn=` / `calls=` lines itself: callgrind_annotate
on these dumps (many threads, names compressed) printed only `clone`.
Call counts are per dump; divide by the requests the dump covered.
"""

import collections
import re
import sys


def parse(path, pattern=None):
    names = {}
    own = collections.Counter()
    calls = collections.Counter()
    caller = callee = None
    count = 0
    in_call = False

    def name(token):
        match = re.match(r"\((\d+)\)(?: (.*))?", token)
        if not match:
            return token
        if match.group(2):
            names[match.group(1)] = match.group(2)
        return names.get(match.group(1), token)

    for line in open(path, errors="replace"):
        line = line.rstrip("\n")
        if line.startswith("fn="):
            caller = name(line[3:])
        elif line.startswith("cfn="):
            callee = name(line[4:])
        elif line.startswith("calls="):
            count = int(line[6:].split()[0])
            in_call = True
        elif line and (line[0].isdigit() or line[0] in "+-*"):
            fields = line.split()
            if len(fields) < 2:
                continue
            if in_call:
                if pattern and callee and pattern.search(callee):
                    calls[caller] += count
                in_call = False
            else:
                own[caller] += int(fields[1])
    return own, calls


def main():
    args = sys.argv[1:]
    if not args:
        sys.exit(__doc__)
    path = args.pop(0)
    pattern = None
    if args and args[0] == "--calls":
        pattern = re.compile(args[1])
        args = args[2:]
    n = int(args[0]) if args else 30
    own, calls = parse(path, pattern)
    if pattern:
        print(f"{sum(calls.values()):,} calls of /{pattern.pattern}/; callers:")
        for function, count in calls.most_common(n):
            print(f"{count:>12,}  {function[:180]}")
        return
    total = sum(own.values())
    print(f"{total:,} instructions")
    for function, cost in own.most_common(n):
        print(f"{cost * 100 / total:5.1f} %  {cost:>13,}  {function[:180]}")


main()
