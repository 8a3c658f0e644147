"""Read a scan file the way readers of the original Contrast's files do, and print a summary as JSON.

    /usr/bin/python3 examples/read_original_format.py data/000012.h5

Uses only the original's layout: entry/description as a one-element bytes dataset, entry/snapshot
with one-element datasets, entry/measurement with one row per point (strings as bytes, None as
b'None', dict detectors as groups, links from writing detectors resolved by HDF5).
"""
import json
import sys

import h5py
import numpy as np


def column(d):
    """A measurement dataset: dtype, shape and its first and last rows as plain values."""
    rows = d[:]
    if rows.dtype.kind == "S":  # fixed-length ASCII, as the original wrote strings and None
        values = [x.decode() for x in rows]
        return {"dtype": rows.dtype.str, "shape": list(rows.shape), "first": values[0], "last": values[-1]}
    return {"dtype": rows.dtype.str, "shape": list(rows.shape),
            "first": np.asarray(rows[0]).ravel()[:3].tolist(), "last": np.asarray(rows[-1]).ravel()[:3].tolist(),
            "sum": float(np.sum(rows))}


def walk(group, prefix, out):
    for name, obj in group.items():
        if isinstance(obj, h5py.Group):
            walk(obj, prefix + name + "/", out)
        else:
            out[prefix + name] = column(obj)


def main(path):
    with h5py.File(path, "r") as f:
        description = f["entry/description"][0].decode()
        snapshot = {}
        for name, d in f["entry/snapshot"].items():
            if isinstance(d, h5py.Dataset):
                v = d[0]
                snapshot[name] = v.decode() if isinstance(v, bytes) else v.item()
        measurement = {}
        walk(f["entry/measurement"], "", measurement)
    print(json.dumps({"description": description, "snapshot": snapshot, "measurement": measurement}))


if __name__ == "__main__":
    main(sys.argv[1])
