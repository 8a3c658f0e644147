"""Queue a line in a running Contrast shell, wait for it, print its scan number (standard library only).

    python3 examples/remote_client.py "ascan samx 0 1 10 0.1"
"""
import json, os, sys, time, urllib.error, urllib.request

info = json.load(open(os.environ.get("CONTRAST_REMOTE_FILE") or os.path.expanduser("~/.contrast/remote.json")))


def api(method, path, body=None):
    request = urllib.request.Request(f"{info['url']}/api/{path}", method=method, data=body and json.dumps(body).encode(),
                                     headers={"Authorization": f"Bearer {info['tokens']['user']}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request) as reply:
            return json.load(reply)
    except urllib.error.HTTPError as e:
        error = json.load(e)
        sys.exit(f"{e.code}: {error['error']}" + (f"\n{error['usage']}" if "usage" in error else ""))


item = api("POST", "queue", {"line": sys.argv[1] if len(sys.argv) > 1 else "ascan samx 0 1 10 0.1"})
api("POST", "queue/start")
while not (done := [h for h in api("GET", "history") if h["id"] == item["id"] and h["status"] != "running"]):
    time.sleep(0.5)
print(f"item #{item['id']} {done[0]['status']}: scan #{done[0]['scannr']}")
