"""Masking personal data in published lists (个人信息脱敏).

Published inspection results name market entities, and an individual business's name often
contains its owner's name; results text may quote ID-card or phone numbers. Before anything is
published: a legal representative's name becomes 张*丰 (two characters: 张*), wherever it appears
in the row's text; ID-card numbers (18 digits or 17 + X, and the old 15-digit form) keep only
their region prefix and last digits; mobile and landline numbers keep only their first and last
digits. Bare 7–8 digit local numbers without an area code are left alone: they cannot be told
from amounts or file numbers.
"""

from __future__ import annotations

import re

# One separator (space, hyphen, dot) may sit between digit groups: 138-0972-1234, 138 0972 1234,
# 630202 19900101 123X. A number written with separators is just as readable as one without.
_S = r"[- .\u2010-\u2015－]?"
_ID18 = re.compile(
    rf"(?<![0-9A-Za-z])(\d{{6}}){_S}\d{{4}}{_S}\d{{4}}{_S}(\d{{3}}[\dXx])(?![0-9A-Za-z])"
)
_ID15 = re.compile(rf"(?<![0-9A-Za-z])(\d{{6}}){_S}\d{{6}}{_S}(\d{{3}})(?![0-9A-Za-z])")
_MOBILE = re.compile(rf"(?<!\d)(?:\+?86{_S})?(1[3-9]\d){_S}\d{{4}}{_S}(\d{{4}})(?!\d)")
_LANDLINE = re.compile(r"(?<!\d)([(（]?0\d{2,3}[)）]?[-－ ]?)\d{4,6}(\d{2})(?!\d)")


def mask_name(name: str) -> str:
    """张三丰 -> 张*丰, 张三 -> 张*, 欧阳小明 -> 欧**明."""
    n = name.strip()
    if len(n) <= 1:
        return "*" * len(n)
    if len(n) == 2:
        return n[0] + "*"
    return n[0] + "*" * (len(n) - 2) + n[-1]


def mask_numbers(text: str) -> str:
    """Mask ID-card and phone numbers anywhere in a text."""
    text = _ID18.sub(lambda m: f"{m.group(1)}{'*' * 8}{m.group(2)}", text)
    text = _ID15.sub(lambda m: f"{m.group(1)}{'*' * 6}{m.group(2)}", text)
    text = _MOBILE.sub(lambda m: f"{m.group(1)}****{m.group(2)}", text)
    text = _LANDLINE.sub(lambda m: f"{m.group(1)}****{m.group(2)}", text)
    return text


def mask_text(text: object, names: tuple[str, ...] = ()) -> object:
    """Mask `names` (legal representatives) and ID/phone numbers in a text cell.

    Non-text values pass through. Single-character names are not searched for in text (they
    would mask unrelated characters); the name column itself is masked by `mask_name`.
    """
    if not isinstance(text, str):
        return text
    for n in sorted({n.strip() for n in names if isinstance(n, str)}, key=len, reverse=True):
        if len(n) >= 2:
            text = text.replace(n, mask_name(n))
    return mask_numbers(text)
