"""RNN Lens: serve the Gradio app (Digits and Text tabs).

    python app.py                              # http://127.0.0.1:7860
    python app.py --host 0.0.0.0 --port 7861   # or GRADIO_SERVER_NAME / GRADIO_SERVER_PORT
    python app.py --weights-dir /tmp/wd        # another folder of weights (digits_*, char_*)
"""
import argparse
import logging

from demo.runtime import configure_torch  # first: it sets OMP_NUM_THREADS before torch loads

from demo.app import build_app, launch


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--host", help="address to listen on (default: $GRADIO_SERVER_NAME or 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (default: $GRADIO_SERVER_PORT or 7860)")
    p.add_argument("--weights-dir", help="folder with the trained weights (default: weights/)")
    args = p.parse_args()
    logging.basicConfig(level=logging.INFO)
    configure_torch()
    launch(build_app(args.weights_dir), host=args.host, port=args.port)


if __name__ == "__main__":
    main()
