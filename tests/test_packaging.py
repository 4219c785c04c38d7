"""What a user's 'pip install .' gets: the wheel must carry the frameworks,
the exchange schema and the example studies, not only the code."""

import subprocess
import sys
import zipfile

from conftest import ROOT


def test_wheel_carries_resources_and_examples(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    (wheel,) = tmp_path.glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("workbench/_resources/frameworks/5I.json",
                   "workbench/_resources/frameworks/stages.json",
                   "workbench/_resources/frameworks/vocabulary.json",
                   "workbench/_resources/formats/study.schema.json",
                   "workbench/_resources/sample_cases/jones-macpherson-2006.study.json",
                   "workbench/_resources/sample_cases/training-case.study.json",
                   "workbench/gui/mainwindow.py", "workbench/cli.py"):
        assert needed in names, needed
    assert any(n.endswith("entry_points.txt") for n in names)
    entry = next(zipfile.ZipFile(wheel).read(n).decode() for n in names if n.endswith("entry_points.txt"))
    assert "workbench = workbench.cli:main" in entry
