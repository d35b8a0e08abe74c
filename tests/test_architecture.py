"""The shape of the code, read from its source (issue 10): no import cycle in `bot/`, `cogs/`,
`storage/`; the three layers in one direction, with `discord` only in the Discord layer; no
private attribute or private module of discord.py, openai or replicate.

What counts as an import, for the cycles:
- module-level imports, and imports inside functions: a function-local import is how a cycle
  is dodged at import time, and the two modules still need each other to be read;
- imports under `if TYPE_CHECKING:` as well, when they name a module of this project: a
  type-only import is how the other common cycle is dodged (recovery.py once named
  `ReplyUpdater` only for the type checker and called its methods, while updater.py called
  recovery). The
  cogs' `if TYPE_CHECKING: from bot.discord_bot import Reelbot` makes no cycle: the bot
  loads its cogs by name (`load_extension("cogs.generate")`), not by import. A failure says
  which edges of a cycle are type-only.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "cogs", "storage")
LIBRARIES = ("discord", "openai", "replicate")

# The Discord layer: the cogs, the Bot subclass and its lifetime, the command tree.
DISCORD_LAYER = ("cogs", "bot.discord_bot", "bot.tree")

# Names that start with one underscore but are public API (namedtuple's methods).
PUBLIC_UNDERSCORED = frozenset({"_replace", "_asdict", "_fields", "_field_defaults", "_make"})


@dataclass(frozen=True)
class Import:
    target: str  # the module imported, as specific as the source says
    line: int
    type_only: bool  # under `if TYPE_CHECKING:`


def _modules() -> dict[str, Path]:
    out = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join(parts)] = path
    return out


MODULES = _modules()


@cache
def _tree(module: str) -> ast.Module:
    path = MODULES[module]
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _walk(node: ast.AST, type_only: bool = False) -> Iterator[tuple[ast.AST, bool]]:
    """Every node below `node`, each with whether it sits under `if TYPE_CHECKING:`."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _is_type_checking(child.test):
            for sub in child.body:
                yield sub, True
                yield from _walk(sub, True)
            for sub in child.orelse:
                yield sub, type_only
                yield from _walk(sub, type_only)
            continue
        yield child, type_only
        yield from _walk(child, type_only)


def _absolute(module: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = module.split(".") if MODULES[module].name == "__init__.py" else module.split(".")[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports(module: str, tree: ast.Module | None = None) -> list[Import]:
    """What `module` (its source, or `tree`) imports, anywhere in it; `from a import b` names
    `a.b` when that is a module of this project."""
    out = []
    for node, type_only in _walk(tree or _tree(module)):
        if isinstance(node, ast.Import):
            out += [Import(alias.name, node.lineno, type_only) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(module, node)
            for alias in node.names:
                name = f"{base}.{alias.name}"
                out.append(Import(name if name in MODULES else base, node.lineno, type_only))
    return out


def _project_target(name: str) -> str | None:
    """The project module an import loads (its innermost one), or None for a library."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in MODULES:
            return candidate
        parts.pop()
    return None


def _graph() -> dict[str, dict[str, Import]]:
    graph: dict[str, dict[str, Import]] = {m: {} for m in MODULES}
    for module in MODULES:
        for imp in imports(module):
            target = _project_target(imp.target)
            if target is None or target == module:
                continue
            # a runtime import of the same module wins over a type-only one
            if target not in graph[module] or graph[module][target].type_only:
                graph[module][target] = imp
    return graph


def import_cycles() -> list[frozenset[str]]:
    return strongly_connected({m: set(targets) for m, targets in _graph().items()})


def strongly_connected(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """The strongly connected components of more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(frozenset(component))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return found


def _describe(cycle: frozenset[str]) -> str:
    graph = _graph()
    edges = [
        f"  {a}:{imp.line} imports {b}{' (type-only)' if imp.type_only else ''}"
        for a in sorted(cycle)
        for b, imp in sorted(graph[a].items())
        if b in cycle
    ]
    return "\n".join(edges)


def test_no_import_cycle() -> None:
    cycles = import_cycles()
    assert not cycles, "import cycles:\n" + "\n\n".join(_describe(c) for c in cycles)


def test_the_cycle_finder_counts_function_local_and_type_only_imports() -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from cogs.generate.updater import ReplyUpdater\n"
        "def f():\n"
        "    from cogs.history import buttons\n"
    )
    found = {(i.target, i.type_only) for i in imports("cogs.generate.recovery", ast.parse(source))}
    assert ("cogs.generate.updater", True) in found
    assert ("cogs.history.buttons", False) in found
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert strongly_connected(graph) == [frozenset("abc")]


def _in_discord_layer(module: str) -> bool:
    return any(module == d or module.startswith(d + ".") for d in DISCORD_LAYER)


def _library(name: str) -> str | None:
    top = name.split(".")[0]
    return top if top in LIBRARIES else None


def test_only_the_discord_layer_imports_discord() -> None:
    offenders = [
        f"{module}:{imp.line} imports {imp.target}"
        for module in MODULES
        if not _in_discord_layer(module)
        for imp in imports(module)
        if _library(imp.target) == "discord"
    ]
    assert not offenders, "\n".join(offenders)


@pytest.mark.parametrize(
    ("layer", "may_not_import"),
    [
        ("storage", ("bot", "cogs")),
        ("bot.pipeline", ("cogs", "bot.discord_bot", "bot.tree", "bot.cli", "bot.services")),
        ("bot.cli", ("cogs", "bot.discord_bot", "bot.tree")),
    ],
)
def test_layers_point_one_way(layer: str, may_not_import: tuple[str, ...]) -> None:
    offenders = [
        f"{module}:{imp.line} imports {imp.target}"
        for module in MODULES
        if module == layer or module.startswith(layer + ".")
        for imp in imports(module)
        if any(imp.target == m or imp.target.startswith(m + ".") for m in may_not_import)
    ]
    assert not offenders, "\n".join(offenders)


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__") and name not in PUBLIC_UNDERSCORED


def _library_names(tree: ast.Module) -> dict[str, str]:
    """Local names bound by imports of the libraries (`import discord`, `from openai import
    AsyncOpenAI`, `import replicate as r`), each with its library."""
    names = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                lib = _library(alias.name)
                if lib:
                    names[alias.asname or alias.name.split(".")[0]] = lib
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            lib = _library(node.module)
            if lib:
                for alias in node.names:
                    names[alias.asname or alias.name] = lib
    return names


def _root(node: ast.expr) -> ast.expr:
    while isinstance(node, ast.Attribute | ast.Call | ast.Subscript):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node


def private_uses(source: str) -> list[str]:
    """Private names of the libraries `source` uses: a private module imported (`from
    openai.lib._parsing import …`), a private name imported from one, an `_attribute` reached
    from a name bound to a library (`discord.utils._x`, `AsyncOpenAI._y`), and an `_attribute`
    of any object that is not `self`/`cls`/this module's own (`cog.generate._params`: an
    instance's class cannot be read from the source, so any other object's private counts)."""
    tree = ast.parse(source)
    bound = _library_names(tree)
    own = {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
    }
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if _library(alias.name) and any(_private(p) for p in alias.name.split(".")):
                    found.append(f"{node.lineno}: import {alias.name}")
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            if _library(node.module) and (
                any(_private(p) for p in node.module.split("."))
                or any(_private(a.name) for a in node.names)
            ):
                names = ", ".join(a.name for a in node.names)
                found.append(f"{node.lineno}: from {node.module} import {names}")
        elif isinstance(node, ast.Attribute) and _private(node.attr):
            root = _root(node.value)
            if isinstance(root, ast.Name) and root.id in bound:
                found.append(f"{node.lineno}: .{node.attr} of {bound[root.id]}")
            elif not (isinstance(node.value, ast.Name) and node.value.id in {"self", "cls", *own}):
                found.append(f"{node.lineno}: .{node.attr} of another object")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in {"getattr", "setattr", "hasattr"}
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, str)
            and _private(node.args[1].value)
        ):
            found.append(f"{node.lineno}: {node.func.id}(…, {node.args[1].value!r})")
    return found


def test_no_private_attribute_of_the_libraries() -> None:
    offenders = [
        f"{module}:{use}"
        for module, path in MODULES.items()
        for use in private_uses(path.read_text(encoding="utf-8"))
    ]
    assert not offenders, "\n".join(offenders)


@pytest.mark.parametrize(
    "source",
    [
        "from openai.lib._parsing._completions import type_to_response_format_param",
        "from openai.lib import _parsing",
        "import replicate._client",
        "import discord\ndiscord.http._set_api_version(9)",
        "from replicate import Client\nClient()._async_request('GET', '/')",
        "def f(cog):\n    return cog.generate._params['clips']",
        "def f(client):\n    return client._client",
        "def f(bot):\n    return getattr(bot, '_connection')",
    ],
)
def test_the_private_finder_finds(source: str) -> None:
    assert private_uses(source)


@pytest.mark.parametrize(
    "source",
    [
        "class A:\n    def f(self):\n        return self._x",
        "from openai import AsyncOpenAI\nAsyncOpenAI(api_key='k').chat.completions",
        "from bot.pipeline.media._ffmpeg import run_ffmpeg",
        "def f(row):\n    return row._asdict()",
    ],
)
def test_the_private_finder_leaves_public_and_own_names(source: str) -> None:
    assert not private_uses(source)


# Docstrings: every class with state says what it owns -----------------------------------

DOCUMENTED = ("bot", "storage", "cogs.history")


def _frozen_dataclass(node: ast.ClassDef) -> bool | None:
    """True/False for a dataclass (frozen or not), None for any other class."""
    for deco in node.decorator_list:
        target = deco.func if isinstance(deco, ast.Call) else deco
        if ast.unparse(target).split(".")[-1] != "dataclass":
            continue
        if isinstance(deco, ast.Call):
            return any(
                k.arg == "frozen" and isinstance(k.value, ast.Constant) and k.value.value
                for k in deco.keywords
            )
        return False
    return None


def stateful_classes_without_docstring(source: str) -> list[str]:
    """Classes that hold mutable state — they assign `self.<name>`, or are dataclasses that
    are not frozen — and have no docstring. Frozen dataclasses and enums are values."""
    out = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.ClassDef) or ast.get_docstring(node):
            continue
        assigns_self = any(
            isinstance(x, ast.Attribute)
            and isinstance(x.ctx, ast.Store)
            and isinstance(x.value, ast.Name)
            and x.value.id == "self"
            for x in ast.walk(node)
        )
        if assigns_self or _frozen_dataclass(node) is False:
            out.append(f"{node.lineno}: {node.name}")
    return out


def test_every_class_with_state_says_what_it_owns() -> None:
    offenders = [
        f"{module}:{found}"
        for module, path in MODULES.items()
        if any(module == d or module.startswith(d + ".") for d in DOCUMENTED)
        for found in stateful_classes_without_docstring(path.read_text(encoding="utf-8"))
    ]
    assert not offenders, "\n".join(offenders)


def test_the_docstring_finder_tells_state_from_values() -> None:
    source = (
        "from dataclasses import dataclass\n"
        "@dataclass\nclass Mutable:\n    x: int\n"
        "@dataclass(frozen=True)\nclass Value:\n    x: int\n"
        "class Owner:\n    def __init__(self):\n        self.x = 1\n"
        "class Told:\n    '''Owns x.'''\n    def __init__(self):\n        self.x = 1\n"
    )
    assert stateful_classes_without_docstring(source) == ["3: Mutable", "8: Owner"]


# Components: one base does the allow-list and the error path ------------------------------

# The only modules that may name the allow-list check and the error path: the command tree
# (every command) and the components' base (every button and form).
ONE_PATH = {"bot.tree", "cogs.components"}
ONE_PATH_NAMES = frozenset({"check_allowed_here", "handle_error"})


def one_path_uses(source: str) -> list[str]:
    """Where `source` names the allow-list check or the error path (a call, an import, a
    reference passed on)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            found += [
                f"{node.lineno}: import {a.name}" for a in node.names if a.name in ONE_PATH_NAMES
            ]
        elif isinstance(node, ast.Name) and node.id in ONE_PATH_NAMES:
            found.append(f"{node.lineno}: {node.id}")
        elif isinstance(node, ast.Attribute) and node.attr in ONE_PATH_NAMES:
            found.append(f"{node.lineno}: .{node.attr}")
    return found


def test_no_component_repeats_the_allow_list_check_or_the_error_path() -> None:
    offenders = [
        f"{module}:{use}"
        for module, path in MODULES.items()
        if module not in ONE_PATH
        for use in one_path_uses(path.read_text(encoding="utf-8"))
    ]
    assert not offenders, "\n".join(offenders)


@pytest.mark.parametrize(
    "source",
    [
        "from bot.tree import check_allowed_here",
        "from bot import tree\nasync def callback(i):\n    tree.check_allowed_here(i)",
        "async def callback(i, e):\n    await handle_error(i, e)",
    ],
)
def test_the_one_path_finder_finds(source: str) -> None:
    assert one_path_uses(source)


def component_classes() -> list[type]:
    """Every button and form class the cogs define."""
    import importlib
    import inspect

    import discord

    out = []
    for module in MODULES:
        if module.startswith("cogs."):
            for _, cls in inspect.getmembers(importlib.import_module(module), inspect.isclass):
                if cls.__module__ == module and issubclass(
                    cls, discord.ui.DynamicItem | discord.ui.Modal
                ):
                    out.append(cls)
    return out


def off_the_base(cls: type) -> list[str]:
    """How a button or form class leaves the base: not derived from it, or overriding what the
    base does (the check and the error path) instead of what it lets a subclass write."""
    import discord

    from cogs.components import Component, ComponentModal

    if issubclass(cls, discord.ui.Modal):
        base, kept = ComponentModal, ("interaction_check", "on_error", "answer")
    else:
        base, kept = Component, ("callback",)
    if not issubclass(cls, base):
        return [f"{cls.__qualname__} does not derive from {base.__name__}"]
    return [
        f"{cls.__qualname__} overrides {name}"
        for name in kept
        if getattr(cls, name) is not getattr(base, name)
    ]


def test_every_button_and_form_is_on_the_base() -> None:
    classes = component_classes()
    assert {c.__name__ for c in classes} >= {
        "CancelButton",
        "RetryButton",
        "RerollButton",
        "RerollModal",
        "PageButton",
    }
    offenders = [problem for cls in classes for problem in off_the_base(cls)]
    assert not offenders, "\n".join(offenders)


def test_the_base_finder_finds_a_button_off_the_base() -> None:
    from typing import Any

    import discord

    from cogs.components import Component

    class Bare(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"test:bare"):
        pass

    class Overriding(Component, discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"t:o"):
        async def callback(self, interaction: discord.Interaction) -> None:
            pass

    class Form(discord.ui.Modal, title="t"):
        pass

    (bare,) = off_the_base(Bare)
    assert bare.endswith("Bare does not derive from Component")
    assert off_the_base(Overriding) and off_the_base(Form)


# Public discord.py only ---------------------------------------------------------------------

# discord.py's documented modules, reached as attributes of `discord` (discord.py's API
# reference documents these; `discord.http`, `discord.gateway`, `discord.state` are not).
DOCUMENTED_DISCORD = frozenset({"ui", "utils", "abc", "app_commands", "ext", "opus"})
# Undocumented, and kept on purpose, each with its reason:
KNOWN_UNDOCUMENTED = {
    # DISCORD_API_BASE_URL / DISCORD_GATEWAY_URL (a proxy; the loopback fake): discord.py has no
    # public setting for either (bot/discord_bot.py point_discord_at)
    ("bot.discord_bot", "discord.http.Route"),
    ("bot.discord_bot", "discord.gateway.DiscordWebSocket"),
}


def undocumented_uses(source: str) -> list[str]:
    """Undocumented discord.py that `source` reaches: a module of discord.py that its API
    reference does not document (`discord.http.Route`, `from discord.gateway import …`), and
    the client's HTTP client (`bot.http.start_thread_with_message`, `interaction.client.http`:
    any `.http` but the project's own `services.http` session)."""
    tree = ast.parse(source)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            parts = node.module.split(".")
            if parts[0] == "discord" and len(parts) > 1 and parts[1] not in DOCUMENTED_DISCORD:
                found.append(f"{node.lineno}: from {node.module}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "discord" and len(parts) > 1 and parts[1] not in DOCUMENTED_DISCORD:
                    found.append(f"{node.lineno}: import {alias.name}")
        elif isinstance(node, ast.Attribute):
            value = node.value
            if (
                isinstance(value, ast.Name)
                and value.id == "discord"
                and node.attr.islower()
                and node.attr not in DOCUMENTED_DISCORD
            ):
                found.append(f"{node.lineno}: discord.{node.attr}")
            elif node.attr == "http" and not (
                (isinstance(value, ast.Name) and value.id in {"discord", "services"})
                or (isinstance(value, ast.Attribute) and value.attr == "services")
            ):
                found.append(f"{node.lineno}: {ast.unparse(node)}")
    return found


def test_no_undocumented_discord_api() -> None:
    offenders = []
    for module, path in MODULES.items():
        source = path.read_text(encoding="utf-8")
        for use in undocumented_uses(source):
            line = int(use.split(":")[0])
            text = source.splitlines()[line - 1]
            if not any(m == module and expr in text for m, expr in KNOWN_UNDOCUMENTED):
                offenders.append(f"{module}:{use}")
    assert not offenders, "\n".join(offenders)


@pytest.mark.parametrize(
    "source",
    [
        "async def f(bot):\n    await bot.http.start_thread_with_message(1, 2, name='x')",
        "async def f(self):\n    await self._bot.http.request(None)",
        "async def f(interaction):\n    await interaction.client.http.get_guild(1)",
        "import discord\ndiscord.http.Route.BASE = 'x'",
        "from discord.gateway import DiscordWebSocket",
        "import discord.state",
    ],
)
def test_the_undocumented_finder_finds(source: str) -> None:
    assert undocumented_uses(source)


@pytest.mark.parametrize(
    "source",
    [
        "def f(bot):\n    return bot.services.http",
        "def f(services):\n    return services.http",
        "class A:\n    def f(self):\n        return self._http",
        "import discord\ndiscord.ui.View(timeout=None)",
        "import discord\ndiscord.utils.escape_markdown('x')",
        "from discord.ext import commands",
        "async def f(message):\n    await message.create_thread(name='x')",
    ],
)
def test_the_undocumented_finder_leaves_the_public_api(source: str) -> None:
    assert not undocumented_uses(source)


MAX_MODULES_PER_FOLDER = 20  # STYLE.md "Folders that show the parts"


@pytest.mark.parametrize("package", PACKAGES)
def test_no_folder_holds_more_than_twenty_modules(package: str) -> None:
    crowded = {
        folder.relative_to(ROOT).as_posix(): count
        for folder in [ROOT / package, *(p for p in (ROOT / package).rglob("*") if p.is_dir())]
        if (count := len([m for m in folder.glob("*.py") if m.name != "__init__.py"]))
        > MAX_MODULES_PER_FOLDER
    }
    assert not crowded, f"group these by what they do: {crowded}"


def test_each_pipeline_folder_says_what_it_holds() -> None:
    undocumented = [
        init.relative_to(ROOT).as_posix()
        for init in (ROOT / "bot" / "pipeline").glob("*/__init__.py")
        if not ast.get_docstring(ast.parse(init.read_text()))
    ]
    assert not undocumented, undocumented
