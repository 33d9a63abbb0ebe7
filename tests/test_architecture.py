"""The layering of docs/architecture.md holds: checked by import-linter and by imports."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sim.model.agents import CountryMonth
from sim.world.metrics import FLOWS

ROOT = Path(__file__).resolve().parent.parent


def test_layer_contract_is_kept():
    """lint-imports (import-linter, a dev dependency) passes on the contract in pyproject.toml."""
    command = shutil.which("lint-imports")
    assert command is not None, "lint-imports is missing: pip install -e '.[dev]'"
    done = subprocess.run([command, "--no-cache"], cwd=ROOT, capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]


@pytest.mark.parametrize("module", ["sim", "sim.core", "sim.world", "sim.scenario"])
def test_importing_the_engine_does_not_load_mesa(module):
    code = f"import sys, {module}; assert 'mesa' not in sys.modules, sorted(sys.modules)"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


def test_model_books_are_the_shared_flow_names():
    assert tuple(f.name for f in dataclasses.fields(CountryMonth)) == FLOWS


def test_the_top_level_help_loads_no_command_and_no_heavy_library():
    """`sim --help` imports no command module, nor NumPy, pandas, SciPy, Mesa or Matplotlib
    (issue 19: a fast start); a command imports its own module only."""
    probe = (
        "import sys, contextlib, io\n"
        "from sim.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n"
        "        main(['--help'])\n"
        "    except SystemExit:\n"
        "        pass\n"
        "heavy = ('numpy', 'pandas', 'pyarrow', 'scipy', 'mesa', 'matplotlib', 'sim.core',\n"
        "         'solara', 'sim.view', 'sim.cli.view',\n"
        "         'sim.cli.run', 'sim.cli.compare', 'sim.cli.calibrate')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
        "main(['metrics'])\n"
        "print(sorted(m for m in ('sim.cli.run', 'sim.cli.calibrate', 'matplotlib')\n"
        "             if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          cwd=ROOT, check=True)
    lines = done.stdout.splitlines()
    assert lines[0] == "[]", lines[0]
    assert lines[-1] == "[]", lines[-1]
