#!/usr/bin/env python3
"""Where a wasm file's bytes go: its largest functions and its code by crate.

    python3 bench/wasm_sizes.py FILE.wasm [N]

FILE must keep its name section (build with
CARGO_PROFILE_WASM_RELEASE_STRIP=none; `cargo xtask build --release` strips
it). Prints the N (default 15) largest function bodies with their demangled
names, then the code section's bytes summed by the crate each name starts
with. Reads the binary format directly (sections, the code section's body
sizes, the name section's function names) and demangles legacy Rust
symbols itself: no tool to install.
"""

import re
import subprocess
import sys
from collections import Counter


def leb(data, pos):
    """An unsigned LEB128 at pos: (value, next position)."""
    result = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return result, pos


def sections(data):
    """(id, payload start, payload end) of every section."""
    if data[:4] != b"\0asm":
        sys.exit("not a wasm file")
    pos = 8
    while pos < len(data):
        section_id = data[pos]
        size, start = leb(data, pos + 1)
        yield section_id, start, start + size
        pos = start + size


def imported_functions(data, start):
    count, pos = leb(data, start)
    functions = 0
    for _ in range(count):
        for _ in range(2):  # module and field names
            length, pos = leb(data, pos)
            pos += length
        kind = data[pos]
        pos += 1
        if kind == 0:  # function: a type index
            _, pos = leb(data, pos)
            functions += 1
        elif kind == 1:  # table: element type, limits
            pos += 1
            flags, pos = leb(data, pos)
            _, pos = leb(data, pos)
            if flags & 1:
                _, pos = leb(data, pos)
        elif kind == 2:  # memory: limits
            flags, pos = leb(data, pos)
            _, pos = leb(data, pos)
            if flags & 1:
                _, pos = leb(data, pos)
        elif kind == 3:  # global: type, mutability
            pos += 2
        else:  # tag
            pos += 1
            _, pos = leb(data, pos)
    return functions


def function_names(data, start, end):
    pos = start
    length, pos = leb(data, pos)
    if data[pos : pos + length] != b"name":
        return {}
    pos += length
    names = {}
    while pos < end:
        kind = data[pos]
        size, pos = leb(data, pos + 1)
        if kind == 1:
            count, p = leb(data, pos)
            for _ in range(count):
                index, p = leb(data, p)
                length, p = leb(data, p)
                names[index] = data[p : p + length].decode("utf-8", "replace")
                p += length
        pos += size
    return names


ESCAPES = {
    "$LT$": "<", "$GT$": ">", "$RF$": "&", "$BP$": "*", "$C$": ",", "$LP$": "(", "$RP$": ")",
    "$SP$": "@", "$u20$": " ", "$u27$": "'", "$u5b$": "[", "$u5d$": "]", "$u7b$": "{",
    "$u7d$": "}", "$u3b$": ";", "$u7e$": "~", "$u22$": '"', "$u2b$": "+", "$u3d$": "=",
}


def demangle_legacy(name):
    """A legacy Rust symbol (`_ZN…E`) as a path; anything else unchanged."""
    if not name.startswith("_ZN") or not name.endswith("E"):
        return name
    parts, pos = [], 3
    while pos < len(name) - 1:
        digits = re.match(r"\d+", name[pos:])
        if not digits:
            return name
        length = int(digits.group(0))
        pos += len(digits.group(0))
        parts.append(name[pos : pos + length])
        pos += length
    if parts and re.fullmatch(r"h[0-9a-f]{16}", parts[-1]):
        parts.pop()
    path = "::".join(parts)
    for escape, text in ESCAPES.items():
        path = path.replace(escape, text)
    return path.replace("..", "::").lstrip("_")


def crate_of(name):
    name = name.lstrip("<&*(").removeprefix("dyn ").removeprefix("mut ").lstrip("<&*(")
    match = re.match(r"[A-Za-z_][A-Za-z0-9_]*", name)
    return match.group(0) if match else "?"


def main():
    path = sys.argv[1]
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 15
    data = open(path, "rb").read()
    imports = 0
    bodies = []
    names = {}
    totals = Counter()
    for section_id, start, end in sections(data):
        totals[section_id] += end - start
        if section_id == 2:
            imports = imported_functions(data, start)
        elif section_id == 10:
            count, pos = leb(data, start)
            for index in range(count):
                size, body = leb(data, pos)
                bodies.append((size, imports + index))
                pos = body + size
        elif section_id == 0:
            names.update(function_names(data, start, end))
    if not names:
        sys.exit(f"{path} has no name section (build with CARGO_PROFILE_WASM_RELEASE_STRIP=none)")
    code = sum(size for size, _ in bodies)
    print(f"{path}: {len(data):,} bytes, code section {code:,} bytes in {len(bodies):,} functions")
    bodies.sort(reverse=True)
    shown = [demangle_legacy(names.get(index, f"function[{index}]")) for _, index in bodies]
    print(f"\nlargest {top} functions (bytes, share of code):")
    for (size, _), name in list(zip(bodies, shown))[:top]:
        print(f"{size:>9,}  {100 * size / code:5.2f} %  {name[:150]}")
    by_crate = Counter()
    for (size, _), name in zip(bodies, shown):
        by_crate[crate_of(name)] += size
    print("\ncode by crate (the first path segment of each name; generic code is")
    print("counted under the crate whose type or trait starts its name):")
    for crate, size in by_crate.most_common(top):
        print(f"{size:>9,}  {100 * size / code:5.2f} %  {crate}")
    data_bytes = totals.get(11, 0)
    print(f"\ndata section (string literals, tables): {data_bytes:,} bytes")


if __name__ == "__main__":
    main()
