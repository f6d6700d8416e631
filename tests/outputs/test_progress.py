"""The steps as ``seams report`` and ``seams mine`` show them on stderr."""

from __future__ import annotations

import io
import re

from analysis.core import progress
from analysis.outputs.progress import TerminalProgress, finished_line, running_line

TIME = r"\(\d+\.\d s\)"


def run_steps(display: TerminalProgress) -> None:
    with progress.listening(display):
        with progress.step("mining git") as step:
            progress.total(4, unit="commits")
            for _ in range(4):
                progress.advance(1)
            step.say("4 commits, 9 file changes")
        with progress.step("mapping units to contexts"):
            pass
        display.summary("report written: reports/x/report.html")


def test_without_a_terminal_each_step_is_one_plain_line_then_the_summary():
    stream = io.StringIO()
    run_steps(TerminalProgress(stream, tty=False))
    lines = stream.getvalue().splitlines()
    assert len(lines) == 3 and "\r" not in stream.getvalue()
    assert re.fullmatch(rf"seams: mining git: 4 commits, 9 file changes {TIME}", lines[0])
    assert re.fullmatch(rf"seams: mapping units to contexts {TIME}", lines[1])
    assert re.fullmatch(r"seams: report written: reports/x/report\.html \(in \d+\.\d s\)", lines[2])


def test_on_a_terminal_the_running_step_is_drawn_in_place_with_a_bar_then_replaced_by_its_line():
    stream = io.StringIO()
    display = TerminalProgress(stream, tty=True)
    with progress.listening(display), progress.step("mining git") as step:
        progress.total(4, unit="commits")
        display._drawn_at = 0.0  # draw now, whatever the time since the last drawing
        progress.advance(2)
        step.say("4 commits")
    text = stream.getvalue()
    drawn = [part for part in text.split("\r") if part.strip()]
    assert drawn[0].startswith("seams: mining git…")
    assert re.search(r"seams: mining git:\s+50%\|.*\| 2/4 \[", text)  # tqdm's meter
    assert re.fullmatch(rf"seams: mining git: 4 commits {TIME}\n", drawn[-1])


def test_quiet_shows_nothing():
    stream = io.StringIO()
    run_steps(TerminalProgress(stream, quiet=True, tty=True))
    assert stream.getvalue() == ""


def test_lines_of_failed_steps_and_of_sizes_in_bytes():
    step = progress.Step("mining sql", unit="B", size=3 * 2**20, done=2**20, failed=True, seconds=1.25)
    assert finished_line(step) == "mining sql: failed (1.2 s)"
    assert "1.00M/3.00M" in running_line(step)
    assert running_line(progress.Step("measuring", unit="commits", done=1200)).startswith("seams: measuring… 1,200 commits (")
