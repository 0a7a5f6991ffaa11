# SPDX-License-Identifier: MIT
"""overhead_unittest: bench/overhead.py with the unittest workload (workloads.py)."""
import os
import sys

os.environ["SSCI_BENCH_WORKLOAD"] = "unittest"
import overhead  # noqa: E402  (reads the workload when imported)

if __name__ == "__main__":
    sys.exit(overhead.main())
