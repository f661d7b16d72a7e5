#!/usr/bin/env python3
"""Builds a Python blockforge block into a WebAssembly component with componentize-py.

    python3 build_block.py app.py -o my_block.wasm [--wit DIR]
    python3 build_block.py --toolchain-dir      # where the pinned componentize-py is kept

``app.py`` is the module that assigns ``Guest = blockforge.export(MyBlock)``; its folder is on
the module path, with this SDK. The pinned componentize-py is installed from PyPI into a
virtual environment under ``$BLOCKFORGE_TOOLCHAINS`` (default ``~/.cache/blockforge/toolchains``),
named for the pin and the Python version, the first time; later builds reuse it, and a
component newer than every source is not rebuilt while the sources are the same files (their list
is kept under the toolchains folder, so a file added, renamed or deleted rebuilds).
Needs only Python 3.9+ with ``venv``.
"""

import argparse
import fcntl
import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path
from typing import Dict, List, Optional

#: componentize-py is pinned: a new release may change the generated bindings.
COMPONENTIZE_PY = "0.25.1"
SDK_DIR = Path(__file__).resolve().parent
WORLD = "blockforge:block/block@0.1.0"


def toolchains_dir() -> Path:
    configured = os.environ.get("BLOCKFORGE_TOOLCHAINS")
    return Path(configured) if configured else Path.home() / ".cache" / "blockforge" / "toolchains"


def toolchain_dir() -> Path:
    """The venv of the pinned componentize-py, named for the pin and for this interpreter's
    version: a venv made by another Python (an upgrade) or for another pin is never reused."""
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    return toolchains_dir() / f"componentize-py-{COMPONENTIZE_PY}-py{python}"


def componentize_py() -> Path:
    """The pinned componentize-py, installed into its own venv when missing."""
    env_dir = toolchain_dir()
    tool = env_dir / "bin" / "componentize-py"
    # Written last: a venv without it is an install that was interrupted, and is redone.
    installed = env_dir / ".installed"
    if installed.exists():
        return tool
    env_dir.parent.mkdir(parents=True, exist_ok=True)
    # Two builds starting at once install once.
    with open(env_dir.parent / f".{env_dir.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if installed.exists():
            return tool
        print(f"installing componentize-py {COMPONENTIZE_PY} into {env_dir} (once)", file=sys.stderr)
        venv.EnvBuilder(clear=True, with_pip=True).create(env_dir)
        subprocess.run(
            [str(env_dir / "bin" / "python"), "-m", "pip", "install", "--quiet",
             "--disable-pip-version-check", f"componentize-py=={COMPONENTIZE_PY}"],
            check=True,
        )
        installed.write_text(COMPONENTIZE_PY)
    return tool


def default_wit() -> Path:
    """The contract beside the SDK: the checkout's ``wit/`` or a project's vendored copy."""
    for candidate in (SDK_DIR.parent.parent / "wit" / "since_v0.1.0", SDK_DIR.parent / "wit" / "since_v0.1.0"):
        if candidate.is_dir():
            return candidate
    sys.exit("error: cannot find wit/since_v0.1.0 beside the SDK; pass --wit DIR")


#: The module names a block file cannot take, one place for this script and `blockforge
#: new-block` (which embeds it): componentize-py imports the block by its file name, and the
#: standard library, the SDK and the generated bindings come first on the module path, so
#: `json.py` would be built as the standard library's `json` (with no `Guest`).
RESERVED_MODULES_FILE = SDK_DIR / "reserved_modules.txt"


def reserved_modules() -> Dict[str, List[str]]:
    """The sections of ``reserved_modules.txt``: ``provided`` (the SDK's and componentize-py's
    modules; a trailing ``*`` matches every name it begins) and ``stdlib`` (the standard library
    of the CPython componentize-py bundles, not of the Python running this script)."""
    sections: Dict[str, List[str]] = {}
    names: List[str] = []
    for line in RESERVED_MODULES_FILE.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            names = sections.setdefault(line[1:-1], [])
        else:
            names.append(line)
    return sections


def is_taken(name: str, patterns: List[str]) -> bool:
    """Whether module ``name`` is one of ``patterns`` (``prefix*`` matches what it begins)."""
    return any(name.startswith(p[:-1]) if p.endswith("*") else name == p for p in patterns)


def module_name_problem(app: Path) -> Optional[str]:
    """Why the block file ``app`` cannot be built under its own module name, or None."""
    name = app.stem
    reserved = reserved_modules()
    if is_taken(name, reserved.get("stdlib", [])):
        taken = f"the Python standard library's `{name}` module"
    elif is_taken(name, reserved.get("provided", [])):
        taken = f"the `{name}` module the SDK or componentize-py provides"
    else:
        return None
    return (
        f"{app.name} has the name of {taken}, which the build would load instead of the block: "
        f"rename it, e.g. to {name}_block.py"
    )


def input_files(paths, out: Path) -> List[Path]:
    """The files under ``paths`` a build reads (not caches, components or ``out`` itself)."""
    files: List[Path] = []
    for root in paths:
        found = [root] if root.is_file() else [p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
        files.extend(p for p in found if p.suffix != ".wasm" and not p.name.startswith(out.name + ".partial"))
    return files


def kept_input_list(out: Path) -> Path:
    """Where the list of input files of component ``out`` was kept at its last build: a file
    deleted or renamed (``mv`` keeps its time) changes the list, not the newest time."""
    name = hashlib.sha256(str(out).encode()).hexdigest()[:32]
    return toolchains_dir() / "py-builds" / f"{name}.inputs"


def input_list(files: List[Path]) -> str:
    """The input files' names, one text to compare with the kept one."""
    return "\n".join(sorted(str(p) for p in files))


def up_to_date(out: Path, files: List[Path], listed: str) -> bool:
    """Whether ``out`` was built from exactly ``files``, none of them changed since."""
    kept = kept_input_list(out)
    if not out.exists() or not kept.exists() or kept.read_text(encoding="utf-8") != listed:
        return False
    return out.stat().st_mtime >= max([0.0] + [p.stat().st_mtime for p in files])


def keep_input_list(out: Path, listed: str) -> None:
    """Keeps ``listed`` for the next build's check, written whole or not at all."""
    kept = kept_input_list(out)
    kept.parent.mkdir(parents=True, exist_ok=True)
    partial = kept.with_name(f"{kept.name}.partial-{os.getpid()}")
    partial.write_text(listed, encoding="utf-8")
    partial.replace(kept)


def main() -> int:
    parser = argparse.ArgumentParser(description="Build a Python blockforge block (componentize-py).")
    parser.add_argument("app", type=Path, help="the module that assigns Guest = blockforge.export(...)")
    parser.add_argument("-o", "--out", type=Path, required=True, help="the component to write (.wasm)")
    parser.add_argument("--wit", type=Path, help="the WIT folder (default: found beside the SDK)")
    parser.add_argument("--force", action="store_true", help="rebuild even when up to date")
    if sys.argv[1:] == ["--toolchain-dir"]:
        # Where the pinned componentize-py lives (or will, after the first build).
        print(toolchain_dir())
        return 0
    args = parser.parse_args()
    app = args.app.resolve()
    if not app.is_file() or app.suffix != ".py":
        sys.exit(f"error: {args.app} is not a Python file")
    problem = module_name_problem(app)
    if problem:
        sys.exit(f"error: {problem}")
    wit = (args.wit or default_wit()).resolve()
    sources = [app.parent, SDK_DIR / "blockforge", wit, Path(__file__).resolve()]
    out = args.out.resolve()
    files = input_files(sources, out)
    listed = input_list(files)
    if not args.force and up_to_date(out, files, listed):
        print(f"{args.out} is up to date", file=sys.stderr)
        return 0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    partial = args.out.with_name(args.out.name + ".partial")
    command = [
        str(componentize_py()), "--wit-path", str(wit), "--world", WORLD,
        "componentize", app.stem,
        "--python-path", str(app.parent), "--python-path", str(SDK_DIR),
        "--output", str(partial),
    ]
    # componentize-py's own Rust backtrace says nothing to a block author: keep it off.
    env = dict(os.environ, RUST_BACKTRACE="0")
    built = subprocess.run(command, env=env, stderr=subprocess.PIPE, text=True)
    if built.returncode != 0:
        print(built.stderr.split("\nStack backtrace:")[0].rstrip(), file=sys.stderr)
        if f"module '{app.stem}' has no attribute 'Guest'" in built.stderr:
            print(
                f"hint: end {args.app} with `Guest = blockforge.export(YourBlock)`: the component "
                "exports the block through the module's `Guest`",
                file=sys.stderr,
            )
        print(f"error: componentize-py failed building {args.app} (exit {built.returncode})", file=sys.stderr)
        return 1
    sys.stderr.write(built.stderr)
    partial.replace(args.out)
    # Kept after the component: an interrupted build leaves no list, so the next one is real.
    keep_input_list(out, listed)
    print(f"built {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
