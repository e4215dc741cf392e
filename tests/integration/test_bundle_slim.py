"""packaging/slim_opencv.py: OpenCV without FFmpeg and with SciPy's OpenBLAS gives the same results.

The script runs on a copy of the installed cv2 and its libraries laid out as in the bundle's
``_internal`` folder; a child Python imports that copy and runs every cv2 function this app calls,
plus the LAPACK/BLAS-backed ones that now jump into SciPy's OpenBLAS, and the results must equal
those of the untouched cv2. Opening a video must abort with a message naming the missing function.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "packaging" / "slim_opencv.py"

CHECK = r"""
import json, numpy as np, cv2
rng = np.random.default_rng(0)
img = rng.integers(0, 255, (120, 90, 3), dtype=np.uint8)
mask = np.zeros((120, 90), np.uint8); mask[30:90, 20:70] = 1
out = {"file": cv2.__file__}
out["resize"] = int(cv2.resize(img, (45, 60), interpolation=cv2.INTER_AREA).sum())
ok, buf = cv2.imencode(".jpg", img); out["jpg"] = int(cv2.imdecode(buf, cv2.IMREAD_COLOR).sum())
ok, buf = cv2.imencode(".png", img); out["png"] = int(cv2.imdecode(buf, cv2.IMREAD_COLOR).sum())
gc = np.full((120, 90), cv2.GC_PR_BGD, np.uint8); gc[35:85, 25:65] = cv2.GC_PR_FGD
bg, fg = np.zeros((1, 65)), np.zeros((1, 65)); cv2.setRNGSeed(0)
cv2.grabCut(img, gc, None, bg, fg, 2, cv2.GC_INIT_WITH_MASK); out["grabcut"] = int(gc.sum())
out["dist"] = float(cv2.distanceTransform(mask, cv2.DIST_L2, 5).sum())
out["cc"] = int(cv2.connectedComponentsWithStats(mask)[0])
out["contours"] = len(cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)[0])
M = cv2.getRotationMatrix2D((45, 60), 10, 1.0)
out["warp"] = int(cv2.warpAffine(img, M, (90, 120)).sum())
A = rng.standard_normal((6, 6)); b = rng.standard_normal((6, 1)); S = A @ A.T
for name, flag in (("lu", cv2.DECOMP_LU), ("svd", cv2.DECOMP_SVD), ("qr", cv2.DECOMP_QR)):
    out["solve_" + name] = cv2.solve(A, b, flags=flag)[1].round(8).ravel().tolist()
out["cholesky"] = cv2.solve(S, b, flags=cv2.DECOMP_CHOLESKY)[1].round(6).ravel().tolist()
out["gemm32"] = cv2.gemm(A.astype(np.float32), A.astype(np.float32), 1, None, 0).round(4).ravel().tolist()
out["gemm64"] = cv2.gemm(A, A, 1, None, 0).round(8).ravel().tolist()
out["svd"] = cv2.SVDecomp(A)[0].round(8).ravel().tolist()
out["invert"] = cv2.invert(A, flags=cv2.DECOMP_SVD)[1].round(8).ravel().tolist()
print(json.dumps(out))
"""


def _site_packages() -> Path:
    import cv2

    return Path(cv2.__file__).resolve().parents[1]


def _run_check(pythonpath: Path | None, tmp_path: Path) -> dict:
    env = dict(os.environ)
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    out = subprocess.run(
        [sys.executable, "-c", CHECK],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


@pytest.mark.skipif(sys.platform != "linux", reason="the bundle slimming is Linux-only")
def test_slimmed_opencv_matches_the_original(tmp_path: Path) -> None:
    if not (shutil.which("gcc") and shutil.which("readelf")):
        pytest.fail("gcc and readelf are needed to build the stub libraries (apt-get install gcc)")
    site = _site_packages()
    internal = tmp_path / "_internal"
    internal.mkdir()
    for name in ("cv2", "opencv_python_headless.libs", "scipy.libs"):
        shutil.copytree(site / name, internal / name, symlinks=True)
    libs = internal / "opencv_python_headless.libs"
    before = {f.name for f in libs.iterdir()}

    done = subprocess.run(
        [sys.executable, str(SCRIPT), str(internal)], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert "MiB ->" in done.stdout

    after = {f.name for f in libs.iterdir()}
    removed = before - after
    assert any(n.startswith("libvpx") for n in removed)
    assert any(n.startswith("libgfortran") for n in removed)
    blas = next(libs.glob("libopenblas*"))
    assert blas.stat().st_size < 100_000  # a forwarder, not OpenBLAS
    assert next(libs.glob("libavcodec*")).stat().st_size < 100_000

    original = _run_check(None, tmp_path)
    slimmed = _run_check(internal, tmp_path)
    assert Path(slimmed.pop("file")).is_relative_to(internal)
    assert Path(original.pop("file")).is_relative_to(site)
    assert slimmed == original

    env = dict(os.environ, PYTHONPATH=str(internal))
    video = subprocess.run(
        [sys.executable, "-c", f"import cv2; cv2.VideoCapture({str(SCRIPT)!r})"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert video.returncode != 0
    assert "which this bundle leaves out (video I/O)" in video.stderr


def test_dedupe_links_identical_libraries(tmp_path: Path) -> None:
    sys.path.insert(0, str(SCRIPT.parent))
    try:
        import slim_opencv
    finally:
        sys.path.remove(str(SCRIPT.parent))
    internal = tmp_path / "_internal"
    (internal / "a.libs").mkdir(parents=True)
    (internal / "b.libs").mkdir()
    payload = os.urandom(4096)
    (internal / "a.libs" / "libx.so.1").write_bytes(payload)
    (internal / "b.libs" / "libx.so.1").write_bytes(payload)
    (internal / "b.libs" / "liby.so.1").write_bytes(payload[:-1])

    assert slim_opencv.dedupe(internal) == 4096
    link = internal / "b.libs" / "libx.so.1"
    assert link.is_symlink() and link.read_bytes() == payload
    assert not os.path.isabs(os.readlink(link))
    assert not (internal / "b.libs" / "liby.so.1").is_symlink()
