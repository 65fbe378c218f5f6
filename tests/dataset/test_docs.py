"""docs/dataset.md shows exactly the columns the record kinds define."""

from builders.dataset import docs


def test_the_column_tables_in_the_docs_are_the_derived_ones():
    text = docs.DOC.read_text()
    assert docs.rewrite(text) == text, "docs/dataset.md is stale: run `python -m builders.dataset.docs`"
    for kind in docs.kinds():
        assert f"### `{kind.config}`" in text
