# SPDX-License-Identifier: MIT
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import calc  # noqa: E402


class TestMultiply(unittest.TestCase):
    def test_small(self):
        self.assertEqual(calc.multiply(2, 3), 6)

    def test_zero(self):
        self.assertEqual(calc.multiply(7, 0), 0)
