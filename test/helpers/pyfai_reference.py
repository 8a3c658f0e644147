"""Reference integration with Debian's pyFAI, for the integration tests.

usage: pyfai_reference.py CONFIG_JSON
CONFIG: {"poni": path, "dir": path, "cases": [{"bins", "unit", "split": "bbox"|"none",
         "radial_range": [lo, hi] | null, "sectors": K | null, "solid_angle": bool,
         "polarization": P | null}]}
Writes DIR/frame.npy (uint32, rings, gaps = 2**32-1, Poisson) and DIR/mask.npy (beamstop)
the first time, and prints JSON: one {"radial", "intensity", "chi"} per case.
"""
import json, os, sys
import numpy as np
import pyFAI

cfg = json.loads(sys.argv[1])
ai = pyFAI.load(cfg["poni"])
shape = ai.detector.shape
frame_path = os.path.join(cfg["dir"], "frame.npy")
mask_path = os.path.join(cfg["dir"], "mask.npy")
if not os.path.exists(frame_path):
    rng = np.random.default_rng(14)
    q = ai.qArray(shape)
    qmax = q.max()
    signal = 20.0 + 200.0 * np.exp(-q / (0.3 * qmax))
    for k, pos in enumerate([0.12, 0.25, 0.41, 0.58, 0.77]):
        signal += (800.0 / (k + 1)) * np.exp(-0.5 * ((q - pos * qmax) / (0.004 * qmax)) ** 2)
    frame = rng.poisson(signal).astype(np.uint32)
    frame[ai.detector.mask.astype(bool)] = 2**32 - 1
    # a few dead pixels inside the detector, flagged like gaps but not in any mask
    frame[rng.integers(0, shape[0], 50), rng.integers(0, shape[1], 50)] = 2**32 - 1
    rows, cols = np.indices(shape)
    c1, c2 = ai.poni1 / ai.pixel1, ai.poni2 / ai.pixel2
    beamstop = ((rows - c1) ** 2 + (cols - c2) ** 2 < 60 ** 2) | ((np.abs(rows - c1) < 12) & (cols < c2))
    np.save(frame_path, frame)
    np.save(mask_path, beamstop.astype(np.uint8))
frame = np.load(frame_path)
mask = np.load(mask_path)
out = []
for case in cfg["cases"]:
    method = ("bbox", "csr", "cython") if case["split"] == "bbox" else ("no", "histogram", "cython")
    common = dict(unit=case["unit"], method=method, mask=mask, dummy=4294967295, delta_dummy=1,
                  correctSolidAngle=case["solid_angle"], polarization_factor=case["polarization"])
    if case.get("radial_range"):
        common["radial_range"] = case["radial_range"]
    if case.get("sectors"):
        r = ai.integrate2d(frame, case["bins"], case["sectors"], azimuth_range=(-180, 180), **common)
        out.append({"radial": r.radial.tolist(), "chi": r.azimuthal.tolist(), "intensity": r.intensity.ravel().tolist()})
    else:
        r = ai.integrate1d(frame, case["bins"], **common)
        out.append({"radial": r.radial.tolist(), "chi": None, "intensity": r.intensity.tolist()})
print(json.dumps(out))
