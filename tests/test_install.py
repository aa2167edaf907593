"""`pip install .` gives a working tool: a wheel holds every C source, header, template, the SCons
front end and the built-in targets, models and lock; installed into a fresh virtual environment,
`tinyml-build build` makes and tests firmware in a folder outside the checkout."""

import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile

import pytest
from conftest import PROJECT_DIR


def _pyproject():
    return tomllib.loads((PROJECT_DIR / "pyproject.toml").read_text())


def test_every_package_folder_is_in_the_wheel_list():
    listed = set(_pyproject()["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(PROJECT_DIR).parts)
             for p in (PROJECT_DIR / "tinyml_build").rglob("__init__.py")}
    assert found <= listed, f"packages missing from pyproject.toml: {sorted(found - listed)}"
    loose = sorted(str(p.relative_to(PROJECT_DIR)) for p in (PROJECT_DIR / "tinyml_build").rglob("*.py")
                   if not (p.parent / "__init__.py").is_file())
    assert loose == [], f"Python files outside any package (not installed): {loose}"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    if shutil.which("git") is None or not (PROJECT_DIR / ".git").exists():
        pytest.skip("needs a git checkout (the wheel is built from the tracked files)")
    pytest.importorskip("wheel", reason="the `wheel` package builds the wheel (pip install -e '.[test]')")
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=PROJECT_DIR, capture_output=True, check=True).stdout
    for name in filter(None, tracked.decode().split("\0")):
        if (PROJECT_DIR / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(PROJECT_DIR / name, source / name)
    result = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                             "-w", str(work / "dist"), str(source)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return next((work / "dist").glob("tinyml_build-*.whl"))


def test_the_wheel_holds_every_file_a_build_needs(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    package = PROJECT_DIR / "tinyml_build"
    needed = {f"tinyml_build/{p.relative_to(package).as_posix()}" for p in package.rglob("*")
              if p.is_file() and p.suffix in (".c", ".h", ".cc", ".j2", ".ld", ".py") and "__pycache__" not in p.parts}
    needed |= {f"tinyml_build/scons/{p.relative_to(PROJECT_DIR / 'site_scons').as_posix()}"
               for p in (PROJECT_DIR / "site_scons").rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    needed |= {f"tinyml_build/_data/targets/{p.name}" for p in (PROJECT_DIR / "targets").glob("*.yaml")}
    needed |= {"tinyml_build/_data/third_party/lock.yaml", "tinyml_build/_data/models/hello_world/model.yaml",
               "tinyml_build/_data/models/hello_world/hello_world.tflite",
               "tinyml_build/_data/models/kws/samples/yes.int8"}
    assert needed - names == set()


@pytest.mark.slow
@pytest.mark.qemu
@pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None or shutil.which("qemu-system-arm") is None,
                    reason="needs arm-none-eabi-gcc and qemu-system-arm (setup.sh installs them)")
def test_an_installed_wheel_builds_and_tests_firmware_outside_the_checkout(wheel, tmp_path):
    venv = tmp_path / "venv"
    # The dependencies come from the system environment; the package itself only from the wheel.
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    python = venv / "bin" / "python"
    install = subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
                             capture_output=True, text=True)
    assert install.returncode == 0, install.stderr
    project = tmp_path / "my-firmware"
    project.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "TINYML_CONFIG")}
    where = subprocess.run([str(python), "-c", "import tinyml_build; print(tinyml_build.__file__)"], cwd=project,
                           capture_output=True, text=True, env=env, check=True).stdout
    assert where.startswith(str(venv)), where  # not the checkout
    result = subprocess.run([str(venv / "bin" / "tinyml-build"), "build", "-Q", "target=qemu-m4", "model=hello_world",
                             "runtime=aot", "test"], cwd=project, capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert re.search(r"test: PASS \(qemu-m4", result.stdout)
    out = project / "build" / "qemu-m4" / "hello_world"
    assert (out / "firmware.elf").is_file() and (out / "manifest.json").is_file()
    assert str(PROJECT_DIR) not in (out / "compile_commands.json").read_text()  # built from the wheel alone
