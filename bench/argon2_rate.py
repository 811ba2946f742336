#!/usr/bin/env python3
"""argon2id verify rate with PyPI's argon2-cffi (the C reference code), on
one process per core: m=19456 KiB, t=2, p=1, as the server. A second
opinion beside bench/argon2-rate (the Rust crate the server links).
Usage: argon2_rate.py [SECONDS] [PROCESSES]. Prints verifies_per_second=..."""
import multiprocessing as mp
import os
import sys
import time


def worker(args):
    seconds, stored = args
    from argon2 import PasswordHasher

    hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
    count, start = 0, time.monotonic()
    while time.monotonic() - start < seconds:
        hasher.verify(stored, "correct horse battery staple 42")
        count += 1
    return count, time.monotonic() - start


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 5.0
    processes = int(sys.argv[2]) if len(sys.argv) > 2 else os.cpu_count()
    from argon2 import PasswordHasher

    stored = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1).hash(
        "correct horse battery staple 42"
    )
    with mp.Pool(processes) as pool:
        results = pool.map(worker, [(seconds, stored)] * processes)
    rate = sum(count / elapsed for count, elapsed in results)
    total = sum(count for count, _ in results)
    print(f"verifies_per_second={rate:.1f} processes={processes} verifies={total} seconds={seconds:.2f}")


if __name__ == "__main__":
    main()
