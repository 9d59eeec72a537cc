"""The README's two set-up commands stay true: CI runs the same test command."""

import re

from tests.conftest import ROOT


def _setup_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```sh\n(.+?)\n```", text, flags=re.S)


def test_readme_has_exactly_two_setup_commands():
    commands = _setup_commands()
    assert len(commands) == 2
    run, tests = commands
    assert "kns run --once --config config/example.yaml" in run
    assert "pytest" in tests


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci/run").read_text(encoding="utf-8")
    assert _setup_commands()[1] in ci.splitlines()


def test_sample_command_points_at_existing_files():
    run = _setup_commands()[0]
    config = re.search(r"--config (\S+)", run).group(1)
    assert (ROOT / config).exists()
