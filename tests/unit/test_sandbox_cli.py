"""``taskdeck-sandbox`` takes every option before or after its sub-command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from taskdeck_dev.sandbox import parse_args

# Each sub-command with every option it takes, and what they parse to.
CASES = [
    ("up", ["--run-dir", "/tmp/sb", "--rate", "5"], {"run_dir": Path("/tmp/sb"), "rate": 5.0}),
    ("down", ["--run-dir", "/tmp/sb", "--grace", "5"], {"run_dir": Path("/tmp/sb"), "grace": 5.0}),
    ("status", ["--run-dir=/tmp/sb"], {"run_dir": Path("/tmp/sb")}),
    (
        "demo",
        ["--run-dir", "/tmp/sb", "--rate", "3", "--screenshots", "shots", "--run-for", "7"],
        {"run_dir": Path("/tmp/sb"), "rate": 3.0, "screenshots": Path("shots"), "run_for": 7.0},
    ),
]


@pytest.mark.parametrize(("command", "options", "expected"), CASES)
def test_options_before_and_after_the_sub_command_mean_the_same(
    command: str, options: list[str], expected: dict[str, object]
) -> None:
    after = vars(parse_args([command, *options]))
    before = vars(parse_args([*options, command]))
    assert after == before
    assert after["command"] == command
    assert {key: after[key] for key in expected} == expected


def test_options_can_be_split_around_the_sub_command() -> None:
    args = parse_args(["--run-dir", "/tmp/sb", "demo", "--run-for", "9"])
    assert (args.run_dir, args.run_for, args.rate) == (Path("/tmp/sb"), 9.0, 2.0)


def test_options_left_out_take_their_defaults() -> None:
    args = parse_args(["demo"])
    assert (args.run_dir, args.rate, args.screenshots, args.run_for, args.grace) == (
        None, 2.0, Path("demo-out"), 80.0, 30.0,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["up", "--bogus"], "unknown option '--bogus'; 'up' takes --run-dir, --rate"),
        (["--bogus", "up"], "unknown option '--bogus'; 'up' takes --run-dir, --rate"),
        (["status", "--rate", "3"], "--rate is an option of 'up' and 'demo', not of 'status'"),
        (["--rate", "3", "status"], "--rate is an option of 'up' and 'demo', not of 'status'"),
        (["up", "--screenshots", "s"], "--screenshots is an option of 'demo', not of 'up'"),
        (["down", "now"], "unexpected argument 'now'"),
        (["up", "--rate", "0"], "--rate must be positive"),
        (["up", "--grace", "5"], "--grace is an option of 'down' and 'demo', not of 'up'"),
        (["down", "--grace", "-1"], "--grace must not be negative"),
    ],
)
def test_a_wrong_option_is_one_clear_error(
    argv: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as ended:
        parse_args(argv)
    assert ended.value.code == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last.startswith("taskdeck-sandbox: error: ") and said in last, last


@pytest.mark.parametrize("order", ["after", "before"])
def test_the_command_line_program_takes_its_run_dir_on_either_side(
    order: str, tmp_path: Path
) -> None:
    run_dir = tmp_path / "nothing-here"
    argv = ["status", "--run-dir", str(run_dir)]
    if order == "before":
        argv = [*argv[1:], "status"]
    out = subprocess.run(
        [sys.executable, "-m", "taskdeck_dev.sandbox", *argv],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert out.returncode == 3, out.stderr
    assert out.stdout.strip() == f"sandbox: not running (run dir {run_dir})"
