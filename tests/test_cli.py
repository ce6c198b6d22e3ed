import subprocess
import sys

from edgebench import __version__
from edgebench.cli import main


def test_version(capsys):
    try:
        main(["--version"])
    except SystemExit as exit_:
        assert exit_.code == 0
    assert capsys.readouterr().out.strip() == f"edgebench {__version__}"


def test_devices_lists_builtin_and_project_profiles(tmp_path, capsys):
    (tmp_path / "pyproject.toml").write_text("[tool.edgebench.devices.coral]\nthreads = [1, 4]\n")
    (tmp_path / "pytest.ini").write_text(
        "[pytest]\nedgebench_devices =\n    lab: threads=2; meter=command\n"
    )
    assert main(["devices", "--root", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    for name in ("host", "rpi4", "rpi5", "jetson-orin", "x86-laptop", "coral", "lab"):
        assert name in out
    assert "1,2,3,4" in out


def test_bad_project_config_is_a_clear_error(tmp_path, capsys):
    (tmp_path / "pyproject.toml").write_text("[tool.edgebench.devices.x]\ncores = 4\n")
    assert main(["devices", "--root", str(tmp_path)]) == 2
    assert "unknown field(s) cores" in capsys.readouterr().err


def test_console_script_help_runs_without_tensorflow():
    code = "import sys, edgebench.cli; edgebench.cli.main(['devices']); print('tensorflow' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip().endswith("False")


def test_meters_probe(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("EDGEBENCH_SYSFS_ROOT", str(tmp_path))
    assert main(["meters", "--command", "echo 3.5"]) == 0
    out = capsys.readouterr().out
    assert "rapl" in out and "absent" in out
    assert "command" in out and "ok" in out
