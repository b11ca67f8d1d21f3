"""Bulk writes pause the cyclic garbage collector and give it back as they found it."""

from __future__ import annotations

import gc

import pytest

from sijill.bulk import paused_collector


def _fail_while_paused() -> None:
    with paused_collector():
        assert not gc.isenabled()
        raise RuntimeError("the write failed")


@pytest.mark.parametrize("enabled_before", [True, False])
def test_the_collector_is_paused_inside_and_restored_after(enabled_before: bool) -> None:
    (gc.enable if enabled_before else gc.disable)()
    try:
        with pytest.raises(RuntimeError):
            _fail_while_paused()
        assert gc.isenabled() == enabled_before
    finally:
        gc.enable()
