"""Benchmark the Text tab's streaming /generate endpoint through a running server on localhost.

Launches the app in-process on a free port, then measures:
  * first character: time from the request to the first partial output, median of --requests
    runs (target <= 100 ms), both over plain HTTP (POST queue/join, then read the event stream:
    what a browser sees) and with gradio_client's submit() (which adds its own threads);
  * throughput: characters per second arriving through the server for a long generation, next
    to characters per second of model.stream() called directly in this process;
  * the first /generate after the app is up against the second (the text worker starts and
    warms up while the app is built, so the first visitor's text is as fast as the next's);
  * select and match (Ask why): one click's time on the Vanilla RNN over the validation split
    (budget 1 s), next to tracing the same text, measured in the same run.

    python benchmarks/bench_app_text.py                       # weights/char_lstm
    python benchmarks/bench_app_text.py --weights-dir /tmp/wc --model rnn --requests 20
"""
import argparse
import json
import socket
import statistics
import time
import uuid

from demo.runtime import configure_torch  # first: it sets OMP_NUM_THREADS before torch loads

import httpx
from gradio_client import Client

import demo.app as ui
from demo.text import load_char_model


def serve(weights_dir):
    """Build and launch the app on a free localhost port; returns (blocks, url)."""
    app = ui.build_app(weights_dir)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    _, url, _ = ui.launch(app, port=port, prevent_thread_lock=True, quiet=True)
    return app, url


def first_char_ms(client, args, rng_seed: int) -> float:
    t0 = time.perf_counter()
    job = client.submit(args.seed, 200, args.temperature, 0, rng_seed, args.model, api_name="/generate")
    for _ in job:
        dt = (time.perf_counter() - t0) * 1000
        break
    job.result()  # let it finish so the next request starts on an idle server
    return dt


def first_char_http_ms(url: str, fn_index: int, args, rng_seed: int) -> float:
    """The browser's way: join the queue, then read server-sent events until the first output."""
    session, first = uuid.uuid4().hex[:10], None
    data = [args.seed, 200, args.temperature, 0, rng_seed, args.model]
    with httpx.Client(timeout=60) as http:
        t0 = time.perf_counter()
        http.post(url + "gradio_api/queue/join", json={"data": data, "fn_index": fn_index, "session_hash": session,
                                                       "event_data": None, "trigger_id": None}).raise_for_status()
        with http.stream("GET", url + "gradio_api/queue/data", params={"session_hash": session}) as events:
            for line in events.iter_lines():
                msg = json.loads(line[5:]) if line.startswith("data:") else {}
                if msg.get("msg") == "process_generating" and first is None:
                    first = (time.perf_counter() - t0) * 1000
                if msg.get("msg") == "process_completed":
                    return first


def server_rate(client, args) -> tuple[float, int, str]:
    """chars/s from the first partial output to the last, number of partial outputs, and the text."""
    times, text = [], ""
    job = client.submit(args.seed, args.length, args.temperature, 0, 0, args.model, api_name="/generate")
    for text in job:
        times.append(time.perf_counter())
    return (len(text) - 1) / (times[-1] - times[0]), len(times), text


def whole_ms(client, args, rng_seed: int) -> float:
    """One 200-character /generate, from the request to its last output."""
    t0 = time.perf_counter()
    client.predict(args.seed, 200, args.temperature, 0, rng_seed, args.model, api_name="/generate")
    return (time.perf_counter() - t0) * 1000


def match_ms(weights_dir, repeat: int = 5) -> tuple[float, float] | None:
    """Select and match on the Vanilla RNN (JULIET's name, threshold 0.2: one unit, thousands of
    passages): the median click, and
    tracing the same text as the reference; None without the RNN's lookups or the data."""
    from demo.text import analysis, why
    from demo.text.lab import Lab
    try:
        rnn = load_char_model("rnn", weights_dir)
        lab = Lab({"rnn": rnn}, weights_dir=weights_dir)
        if lab.validation_acts("rnn") is None:   # computed once per process: not the click's time
            return None
    except Exception:  # noqa: BLE001 - no RNN weights or lookups here
        return None
    text = "I will not speak.\n\nJULIET:\nO Romeo, Romeo! wherefore art thou Romeo?\n"
    start = text.index("JULIET") + 1
    clicks, traces = [], []
    for _ in range(repeat):
        t0 = time.perf_counter()
        trace = analysis.trace_text(rnn, "ROMEO:\n", text)
        traces.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        why.select_match(lab, trace, "h", start, start + 5, 0.2)
        clicks.append((time.perf_counter() - t0) * 1000)
    return statistics.median(clicks), statistics.median(traces)


def direct_rate(model, args) -> float:
    t0 = time.perf_counter()
    n = sum(1 for _ in model.stream(args.seed, args.length, args.temperature, rng_seed=0, n_top=0))
    return n / (time.perf_counter() - t0)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--weights-dir", help="folder with char_lstm.* / char_rnn.* (default: weights/)")
    p.add_argument("--model", default="lstm", choices=["lstm", "rnn"], help="character model to use")
    p.add_argument("--requests", type=int, default=10, help="requests for the first-character median")
    p.add_argument("--length", type=int, default=3000, help="characters for the throughput runs")
    p.add_argument("--seed", default="ROMEO:\n", help="text to start from")
    p.add_argument("--temperature", type=float, default=0.8, help="sampling temperature")
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads (the app uses 1)")
    args = p.parse_args()
    configure_torch(args.threads)

    app, url = serve(args.weights_dir)
    client = Client(url, verbose=False)
    model = load_char_model(args.model, args.weights_dir)
    fn_index = next(d["id"] for d in client.config["dependencies"] if d.get("api_name") == "generate")
    first_whole, second_whole = whole_ms(client, args, 0), whole_ms(client, args, 1)   # right after start
    http_firsts = [first_char_http_ms(url, fn_index, args, k) for k in range(args.requests)]
    firsts = [first_char_ms(client, args, k) for k in range(args.requests)]
    srv = [server_rate(client, args) for _ in range(3)]
    direct = [direct_rate(model, args) for _ in range(3)]
    same = srv[0][2] == model.generate(args.seed, args.length, args.temperature, rng_seed=0)
    app.close()
    matched = match_ms(args.weights_dir)

    rows = [("first char, HTTP: median (ms)", f"{statistics.median(http_firsts):.1f}", "<= 100"),
            ("first char, HTTP: max (ms)", f"{max(http_firsts):.1f}", ""),
            ("first char, gradio_client (ms)", f"{statistics.median(firsts):.1f}", "<= 100"),
            ("first char, gradio_client max", f"{max(firsts):.1f}", ""),
            ("through the server (chars/s)", f"{statistics.median(r[0] for r in srv):,.0f}", ""),
            ("model.stream directly (chars/s)", f"{statistics.median(direct):,.0f}", ""),
            ("partial outputs per request", f"{statistics.median(r[1] for r in srv):.0f}", ""),
            ("server text == model.generate", str(same), "True"),
            ("1st /generate after start (ms)", f"{first_whole:.0f}", "~2nd"),
            ("2nd /generate (ms)", f"{second_whole:.0f}", "")]
    if matched is not None:
        rows += [("select and match, RNN (ms)", f"{matched[0]:.0f}", "<= 1000"),
                 ("tracing the same text (ms)", f"{matched[1]:.1f}", "")]
    print(f"\n{model!r}, {args.length:,} chars at temperature {args.temperature}, "
          f"{args.requests} requests, torch threads {args.threads}\n")
    print(f"| {'measure':<32} | {'value':>10} | {'target':>6} |\n|{'-' * 34}|{'-' * 12}|{'-' * 8}|")
    for name, value, target in rows:
        print(f"| {name:<32} | {value:>10} | {target:>6} |")


if __name__ == "__main__":
    main()
