"""A wheel built from the tree carries the report notebook, and `seams report` works from a
non-editable install in an empty folder (no checkout of Seams anywhere near it)."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.e2e
def test_the_wheel_reports_from_an_empty_folder(tmp_path):
    built = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation", "-q", "-w", str(built)],
                   check=True, capture_output=True, text=True, timeout=300)
    (wheel,) = built.glob("seams-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "analysis/outputs/report.ipynb" in names and "seams_sample/world.py" in names
    assert not [n for n in names if n.startswith(("tests/", "bench/", "notebooks/"))]

    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    # Seams' dependencies from this environment; Seams itself only from the wheel
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q", str(wheel)],
                   check=True, capture_output=True, text=True, timeout=300)
    work = tmp_path / "empty"
    work.mkdir()
    seams = env_dir / "bin" / "seams"
    # the dependencies' data files (nbconvert's templates) from this environment, as their own install would place them
    clean_env = {"PATH": f"{env_dir / 'bin'}:/usr/bin:/bin", "HOME": str(tmp_path), "LANG": "C.UTF-8",
                 "JUPYTER_PATH": str(Path(sysconfig.get_paths()["data"]) / "share" / "jupyter")}
    where = subprocess.run([str(python), "-c", "import analysis; print(analysis.__file__)"], cwd=work, env=clean_env,
                           check=True, capture_output=True, text=True).stdout
    assert where.startswith(str(site)), where  # the installed copy, not the checkout
    subprocess.run([str(seams), "sample", "--out", "sample", "--scale", "small"], cwd=work, env=clean_env,
                   check=True, capture_output=True, text=True, timeout=600)
    done = subprocess.run([str(seams), "report", "--config", "sample/seams.yml", "--out", "reports"], cwd=work, env=clean_env,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (work / "reports" / "latest" / "report.html").is_file()
    assert (work / "sample" / ".seams-cache").is_dir()  # the cache beside the config file
    installed = site / "analysis"
    assert not [p for p in installed.rglob("*") if "cache" in p.name and p.is_dir() and p.name != "__pycache__"]
