"""A tool file that imports modules beside it (`from helpers import shout`), as most real tool files
do: loaded, described and called through the real sandbox, with a stateful environment too."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import textwrap
from pathlib import Path

import pytest

from builders.errors import UserError
from builders.tools import Episode, checked_call, load_toolset, resolve_tools
from sandbox import Sandbox


def write(path: Path, body: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(body))
    return path


@pytest.fixture()
def project(tmp_path):
    """tools/ with tools.py, a helper module and a helper package beside it. tmp_path lies below a
    0700 folder of root's: the sandbox's task user could not reach it without the worker's help."""
    folder = tmp_path / "tools"
    write(folder / "helpers.py", '''
        GREETING = "hello"

        def shout(text):
            return text.upper() + "!"

        class Tally:
            def __init__(self):
                self.items = []
    ''')
    write(folder / "textkit" / "__init__.py", "")
    write(folder / "textkit" / "case.py", '''
        def title(text):
            return text.title()
    ''')
    write(folder / "tools.py", '''
        from helpers import GREETING, Tally, shout
        from textkit.case import title


        def loud(text: str) -> str:
            """Shout a text.

            Args:
                text: what to shout
            """
            return shout(text)


        def greet(name: str) -> str:
            """Greet someone by name.

            Args:
                name: who to greet
            """
            return f"{GREETING} {title(name)}"


        class Basket:
            """A shopping basket kept for one episode."""

            def __init__(self):
                self.tally = Tally()

            def add(self, item: str) -> int:
                """Put an item in the basket; returns how many items it holds.

                Args:
                    item: what to add
                """
                self.tally.items.append(shout(item))
                return len(self.tally.items)

            def contents(self) -> list[str]:
                """List the basket's items."""
                return self.tally.items
    ''')
    return folder


@pytest.fixture(scope="module")
def box():
    with Sandbox(workers=1) as sandbox:
        yield sandbox


def test_a_tool_file_imports_modules_beside_it(project, box):
    tools = {t.name: t for t in resolve_tools([{"python": "tools/tools.py"}], source="r.yaml",
                                              base_dir=project.parent)}
    assert set(tools) == {"loud", "greet", "add", "contents"}
    assert tools["loud"].parameters["properties"]["text"]["description"] == "what to shout"
    result = checked_call(tools["loud"], {"text": "hi"}, box)
    assert result["status"] == "ok" and result["value"] == "HI!", result
    assert checked_call(tools["greet"], {"name": "ada lovelace"}, box)["value"] == "hello Ada Lovelace"


def test_a_stateful_environment_built_from_helpers(project, box):
    tools = {t.name: t for t in load_toolset([{"python": str(project / "tools.py")}], "r.yaml").tools}
    episode = Episode(box)
    assert episode.call(tools["add"], {"item": "milk"})["value"] == 1
    assert episode.call(tools["add"], {"item": "eggs"})["value"] == 2  # a pickled helpers.Tally came back
    assert episode.call(tools["contents"], {})["value"] == ["MILK!", "EGGS!"]
    assert Episode(box).call(tools["contents"], {})["value"] == []


def test_openai_definitions_bound_to_a_split_implementation(project, box):
    definitions = project / "defs.json"
    definitions.write_text(json.dumps([{"name": "loud", "description": "Shout a text.",
                                        "parameters": {"type": "object", "properties": {"text": {"type": "string"}},
                                                       "required": ["text"]}}]))
    (tool,) = resolve_tools([{"openai": str(definitions), "implementation": str(project / "tools.py")}])
    assert checked_call(tool, {"text": "ok"}, box)["value"] == "OK!"


def test_the_folder_is_readable_but_not_writable(project, box):
    """Files beside the tool open the way its imports do (here through the worker's descriptor, as
    the folder lies below root's 0700 temp folder); nothing there can be written."""
    write(project / "snoop.py", SNOOP)
    tools = {t.name: t for t in resolve_tools([{"python": str(project / "snoop.py")}])}
    assert checked_call(tools["read_beside"], {"name": "helpers.py"}, box)["value"] == "\nGREE"
    result = checked_call(tools["write_beside"], {"name": "planted.py"}, box)
    assert result["status"] == "forbidden" and not (project / "planted.py").exists()


@pytest.fixture()
def open_folder():
    """A folder every user may read (0755 up to /): only Landlock stands between a task and it."""
    folder = Path(tempfile.mkdtemp(prefix="toolmint-test-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder)


def test_landlock_opens_the_tool_folder_and_nothing_around_it(open_folder, box):
    write(open_folder / "tools" / "snoop.py", SNOOP)
    write(open_folder / "tools" / "data.txt", "beside")
    (open_folder / "tools").chmod(0o777)  # even a folder anyone may write to stays read-only for a task
    (open_folder / "secret.txt").write_text("top secret")
    target = {"kind": "python", "file": str(open_folder / "tools" / "snoop.py")}
    result = box.call_tool({**target, "function": "read_beside"}, {"name": "data.txt"})
    assert result["status"] == "ok" and result["value"] == "besid", result
    result = box.call_tool({**target, "function": "read_beside"}, {"name": "../secret.txt"})
    assert result["status"] == "forbidden", result
    result = box.call_tool({**target, "function": "write_beside"}, {"name": "planted.txt"})
    assert result["status"] == "forbidden" and not (open_folder / "tools" / "planted.txt").exists()


def test_a_folder_the_task_user_may_not_list_gets_a_clear_message(tmp_path, box):
    folder = tmp_path / "closed"
    write(folder / "helpers.py", "def shout(t):\n    return t.upper()\n")
    write(folder / "tools.py", "from helpers import shout\n\ndef loud(text):\n    return shout(text)\n")
    folder.chmod(0o700)
    result = box.call_tool({"kind": "python", "file": str(folder / "tools.py"), "function": "loud"}, {"text": "x"})
    if os.geteuid() == 0:
        assert result["status"] == "error" and "chmod o+rx" in result["message"], result
    else:  # tasks run as this user, who may list it
        assert result["value"] == "X"


SNOOP = '''
    import os

    def write_beside(name: str) -> str:
        """Try to write a file beside the tool file.

        Args:
            name: the file name
        """
        with open(os.path.join(os.path.dirname(__file__), name), "w") as f:
            f.write("x")
        return "written"

    def read_beside(name: str) -> str:
        """Read a file beside the tool file.

        Args:
            name: the file name
        """
        with open(os.path.join(os.path.dirname(__file__), name)) as f:
            return f.read()[:5]
'''


def test_a_missing_helper_is_a_clear_load_error(tmp_path):
    write(tmp_path / "lonely.py", '''
        from helpers_that_are_not_here import shout

        def loud(text: str) -> str:
            """Shout.

            Args:
                text: what
            """
            return shout(text)
    ''')
    with pytest.raises(UserError, match="lonely.py: does not import at line 2: ModuleNotFoundError"):
        resolve_tools([{"python": str(tmp_path / "lonely.py")}])


def test_a_tool_beside_the_sandbox_scratch_does_not_open_that_folder(tmp_path):
    """A tool file whose folder holds the sandbox's own scratch folders gets no extra read rule."""
    base = tmp_path / "base"
    base.mkdir()
    write(base / "helpers.py", "def shout(t):\n    return t.upper()\n")
    write(base / "tools.py", "from helpers import shout\n\ndef loud(text):\n    return shout(text)\n")
    with Sandbox(workers=1, scratch_base=str(base)) as box:
        assert os.listdir(base) and any(n.startswith("toolmint-sbx-") for n in os.listdir(base))
        result = box.call_tool({"kind": "python", "file": str(base / "tools.py"), "function": "loud"}, {"text": "x"})
        assert result["status"] in ("error", "forbidden") and "helpers" in (result["message"] or ""), result
