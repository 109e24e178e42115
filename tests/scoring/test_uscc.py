import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tables.uscc import ALPHABET, check_char, check_chars, is_valid, problem, valid_mask

body = st.text(alphabet=ALPHABET, min_size=17, max_size=17)


def test_known_code() -> None:
    # A published example code (Huawei Technologies Co., Ltd.)
    assert is_valid("914403001922038216")
    assert not is_valid("914403001922038217")


@given(body)
@settings(max_examples=200)
def test_generated_code_passes(b: str) -> None:
    assert is_valid(b + check_char(b))


@given(body, st.integers(0, 17), st.sampled_from(ALPHABET))
@settings(max_examples=300)
def test_every_single_substitution_fails(b: str, pos: int, ch: str) -> None:
    code = b + check_char(b)
    if code[pos] == ch:
        return
    changed = code[:pos] + ch + code[pos + 1 :]
    assert not is_valid(changed)
    assert problem(changed) is not None


def test_vectorised_agrees_with_scalar() -> None:
    rng = np.random.default_rng(1)
    bodies = ["".join(rng.choice(list(ALPHABET), 17)) for _ in range(500)]
    codes = [b + check_char(b) for b in bodies]
    assert list(check_chars(np.array(bodies))) == [c[-1] for c in codes]
    broken = [c[:-1] + ("0" if c[-1] != "0" else "1") for c in codes]
    mixed = np.array(codes + broken + ["short", None, "9144030019220382I6"], dtype=object)
    got = valid_mask(mixed)
    assert got[:500].all() and not got[500:].any()


def test_forbidden_letters_rejected() -> None:
    for letter in "IOSVZ":
        assert "非法字符" in problem("91440300192203821" + letter)
