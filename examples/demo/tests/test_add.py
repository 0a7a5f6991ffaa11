# SPDX-License-Identifier: MIT
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import calc  # noqa: E402


class TestAdd(unittest.TestCase):
    def test_small(self):
        self.assertEqual(calc.add(2, 3), 5)

    def test_negative(self):
        self.assertEqual(calc.add(-2, 2), 0)
