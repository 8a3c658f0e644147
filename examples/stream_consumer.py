"""Print what Contrast's stream recorder publishes (pyzmq + numpy; see src/recorders/stream/wire.ts)."""
import json
import numpy as np
import zmq

sub = zmq.Context().socket(zmq.SUB)
sub.connect("tcp://127.0.0.1:5556")
sub.setsockopt(zmq.SUBSCRIBE, b"")


def arrays(v, frames, where=""):
    """Yield (path, numpy array) for every array reference in the JSON."""
    if isinstance(v, dict) and "__array__" in v:
        yield where, np.frombuffer(frames[v["__array__"]], dtype=v["dtype"]).reshape(v["shape"])
    elif isinstance(v, dict):
        for k, x in v.items():
            yield from arrays(x, frames, f"{where}/{k}")


while True:
    frames = sub.recv_multipart()
    msg = json.loads(frames[0])
    shapes = {path: f"{a.dtype}{list(a.shape)}" for path, a in arrays(msg, frames)}
    print(msg["status"], msg.get("scannr", ""), msg.get("index", ""), shapes)
