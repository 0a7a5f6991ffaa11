# SPDX-License-Identifier: MIT
"""overhead_c: bench/overhead.py with the c workload (workloads.py)."""
import os
import sys

os.environ["SSCI_BENCH_WORKLOAD"] = "c"
import overhead  # noqa: E402  (reads the workload when imported)

if __name__ == "__main__":
    sys.exit(overhead.main())
