"""CLI: python -m azbackup_emulator --port 0 --world worlds/default.yml

Prints one line `EMULATOR READY {json}` and serves until SIGTERM / SIGINT."""

import argparse
import json
import os
import signal
import sys
import threading

from .app import Emulator


def main(argv=None):
    p = argparse.ArgumentParser(prog="azbackup_emulator", description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--world", default="default")
    p.add_argument("--state-dir", default=None, help="where TLS material, ready.json and requests.jsonl go")
    p.add_argument("--time-scale", type=float, default=None)
    p.add_argument("--no-tls", action="store_true")
    p.add_argument("--settings", default=None,
                   help="a JSON settings patch applied at start, as POST /_emulator/settings would")
    args = p.parse_args(argv)
    try:
        patch = json.loads(args.settings) if args.settings else None
    except ValueError as e:
        p.error("--settings is not JSON: %s" % e)

    emu = Emulator(world=args.world, tls=not args.no_tls, port=args.port, host=args.host,
                   state_dir=args.state_dir, time_scale=args.time_scale)
    emu.start()
    if patch:
        emu.control.update_settings(patch)
    stop = threading.Event()

    def _stop(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    info = emu.info()
    if args.state_dir:
        with open(os.path.join(args.state_dir, "ready.json"), "w", encoding="utf-8") as f:
            json.dump(info, f, indent=2)
    sys.stdout.write("EMULATOR READY %s\n" % json.dumps(info))
    sys.stdout.flush()
    try:
        while not stop.wait(0.1):
            pass
    finally:
        emu.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
