import pytest

from trainserve.auth import SCOPES, ensure_key_file, find_key, parse_keys
from trainserve.settings import Settings


def test_keys_carry_a_scope_or_both():
    keys = parse_keys("alpha-key-1, beta-key-22:predict,gamma-key-3:train")
    assert [k.secret for k in keys] == ["alpha-key-1", "beta-key-22", "gamma-key-3"]
    assert [set(k.scopes) for k in keys] == [set(SCOPES), {"predict"}, {"train"}]
    assert find_key(keys, "beta-key-22").scopes == {"predict"}
    assert find_key(keys, "beta-key-2") is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("short", "at least 8"),
        ("long-enough:admin", "unknown scope 'admin'"),
        (" , ", "holds no key"),
    ],
)
def test_bad_key_lists_are_refused_clearly(text, message):
    with pytest.raises(ValueError, match=message):
        parse_keys(text)


def test_the_key_file_is_made_once_and_private(tmp_path):
    settings = Settings(home=tmp_path)
    first, created = ensure_key_file(settings)
    again, created_again = ensure_key_file(settings)
    assert created and not created_again and first == again and len(first) >= 32
    assert (tmp_path / "api-key").stat().st_mode & 0o777 == 0o600
