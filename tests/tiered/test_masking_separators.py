"""Phone and ID-card numbers written with separators are masked too (issue #11)."""

from __future__ import annotations

import pytest

from tiered.publish.masking import mask_numbers


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("电话138-0972-1234", "电话138****1234"),
        ("电话 138 0972 1234", "电话 138****1234"),
        ("手机 138.0972.1234", "手机 138****1234"),
        ("身份证 630202 19900101 123X", "身份证 630202********123X"),
        ("身份证630202-1990-0101-1234", "身份证630202********1234"),
        ("630202199001011234", "630202********1234"),
        ("罚款 1 000 000 元，2024-01-05", "罚款 1 000 000 元，2024-01-05"),  # not a number to mask
    ],
)
def test_numbers_with_separators_are_masked(text: str, masked: str) -> None:
    assert mask_numbers(text) == masked
