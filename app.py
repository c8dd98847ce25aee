"""RNN Lens: serve the Gradio app (Digits and Text tabs).

    python app.py                              # http://127.0.0.1:7860
    python app.py --host 0.0.0.0 --port 7861   # or GRADIO_SERVER_NAME / GRADIO_SERVER_PORT
    python app.py --weights-dir /tmp/wd        # another folder of digits_*.safetensors + .json
"""
import argparse
import logging
import os

# Set before torch loads: OpenMP threads spin-wait, and inside gradio's worker threads that made
# each tiny per-character matmul many times slower on a 2-vCPU machine.
os.environ.setdefault("OMP_NUM_THREADS", "1")

import torch  # noqa: E402

from demo.ui import build_app, launch  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--host", help="address to listen on (default: $GRADIO_SERVER_NAME or 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (default: $GRADIO_SERVER_PORT or 7860)")
    p.add_argument("--weights-dir", help="folder with the trained weights (default: weights/)")
    args = p.parse_args()
    logging.basicConfig(level=logging.INFO)
    torch.set_num_threads(1)  # one drawing is a tiny batch: threads only add overhead
    launch(build_app(args.weights_dir), host=args.host, port=args.port)


if __name__ == "__main__":
    main()
