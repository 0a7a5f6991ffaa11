# SPDX-License-Identifier: MIT
"""A tiny calculator: the project the SuperSimpleCI demo tests."""


def add(a, b):
    return a + b


def multiply(a, b):
    # The demo's first commit ships this bug; a later commit fixes it.
    return a + b
