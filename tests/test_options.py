"""The policypress options of mkdocs.yml, read without MkDocs the way the MkDocs plugin reads them."""

from __future__ import annotations

import pytest

from policypress.errors import SourceError
from policypress.options import Options, options_from


def test_an_empty_value_means_the_default_as_in_mkdocs() -> None:
    assert options_from({"policy_dir": None, "templates": None}, "mkdocs.yml") == Options()
    assert options_from({"pages_dir": "library", "unknown": 3}, "mkdocs.yml") == Options(pages_dir="library")


def test_a_value_of_the_wrong_type_names_the_option() -> None:
    with pytest.raises(SourceError) as failed:
        options_from({"date_format": 12}, "mkdocs.yml")
    assert [d.format() for d in failed.value.diagnostics] == [
        "mkdocs.yml:1:1: plugins.policypress.date_format: Expected type: <class 'str'> but received: <class 'int'> "
        "[config.invalid]"
    ]


def test_the_plugin_declares_the_same_options_with_the_same_defaults() -> None:
    from policypress.mkdocs_plugin.plugin import PolicyPressConfig

    config = PolicyPressConfig()
    config.load_dict({})
    assert config.validate() == ([], [])
    assert config.options() == Options()


def test_the_notice_period_is_a_whole_number_of_days() -> None:
    assert options_from({"notice_days": 60}, "mkdocs.yml").notice_days == 60
    for wrong in ("sixty", True, -1):
        with pytest.raises(SourceError) as failed:
            options_from({"notice_days": wrong}, "mkdocs.yml")
        assert failed.value.diagnostics[0].message.startswith(
            "plugins.policypress.notice_days: Expected type: <class 'int'> but received:"
        )
