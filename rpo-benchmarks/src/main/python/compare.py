"""Runs rpo4j's Throughput and the PyTorch peer (torch_peer.py) back to back and prints the ratio table.

For each configuration in turn: rpo4j in a fresh JVM, then the peer with 1 thread and with 2 threads,
each a fresh process, the load average recorded before each. The peer's figure for a ratio is the
better of its two thread settings, per figure. Every JSON line is printed as it comes (with the load
average added), then a Markdown table.

Usage, from the repository root after `mvn -q -B package -DskipTests`:
    python3 rpo-benchmarks/src/main/python/compare.py [--train-steps N] [--peer-threads 1 2] S M L G
    python3 rpo-benchmarks/src/main/python/compare.py --table-from saved.jsonl S M L G   # table only

On a shared machine wall time moves with the other jobs; the CPU-time columns (rpo4j's process CPU
time per training step, all its threads, against the 1-thread peer's process CPU time) move far less.
rpo4j trains as its trainers do: each batch in gradient shards (default 2) on as many threads as cores
(--train-shards, --train-threads pass -Dtrain.shards / -Dtrain.threads on); its sampling is one Sampler
on one thread.

OpenBLAS: both sides read OPENBLAS_CORETYPE from the environment when their OpenBLAS loads.
--openblas-coretype NAME sets it for both. When it is unset, rpo4j may request a kernel set itself
(OpenBlasCore: SKYLAKEX on AMD processors with AVX-512, which its OpenBLAS 0.3.19 does not know);
the peer is then given the same one so that both sides run the same kernels, unless
--peer-blas-default leaves the peer's OpenBLAS to its own detection. Each JSON line says which
kernel set its side ran (openblas_coretype).
"""
import argparse
import json
import os
import platform
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", "..", ".."))
JAR = os.path.join(ROOT, "rpo-benchmarks", "target", "benchmarks.jar")
# Off-heap limits large enough for G (124M parameters: weights, gradients and two AdamW moments are 2 GB).
JVM = ["-Xmx4g", "-Dorg.bytedeco.javacpp.maxbytes=10G", "-Dorg.bytedeco.javacpp.maxphysicalbytes=14G",
       "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"]


def load():
    return os.getloadavg()[0]


def run_json(cmd, env=None):
    before = load()
    t0 = time.time()
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr[-4000:])
        raise SystemExit("failed (exit %d): %s" % (proc.returncode, " ".join(cmd)))
    lines = [json.loads(l) for l in proc.stdout.splitlines() if l.startswith("{")]
    for r in lines:
        r["load_before"] = round(before, 2)
        r["load_after"] = round(load(), 2)
        r["utc"] = time.strftime("%H:%M", time.gmtime(t0))
        print(json.dumps(r), flush=True)
    return lines[-1]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--train-steps", type=int, default=10)
    p.add_argument("--peer-threads", type=int, nargs="+", default=[1, 2])
    p.add_argument("--train-shards", type=int, help="rpo4j's gradient shards per batch (default: its trainers')")
    p.add_argument("--train-threads", type=int, help="rpo4j's training threads (default: every core)")
    p.add_argument("--peer-blas-default", action="store_true")
    p.add_argument("--openblas-coretype", help="OPENBLAS_CORETYPE for both sides")
    p.add_argument("--python", default="/usr/bin/python3")
    p.add_argument("--table-from", help="print the table from a file of this script's JSON lines instead of running")
    p.add_argument("--jar", default=JAR, help="the benchmarks jar (default: the one mvn package builds)")
    p.add_argument("sizes", nargs="*", default=["S", "M", "L"])
    a = p.parse_args()
    if not os.path.exists(a.jar):
        raise SystemExit("no %s: run mvn -q -B package -DskipTests first" % a.jar)

    if a.table_from:
        with open(a.table_from) as f:
            lines = [json.loads(l) for l in f if l.startswith("{")]
        rows = []
        for size in a.sizes:
            mine = [r for r in lines if r["config"] == size and "threads" not in r]
            peers = [r for r in lines if r["config"] == size and "threads" in r]
            if mine and peers:
                rows.append((size, mine[-1], peers))
        print_table(rows)
        return
    base_env = dict(os.environ)
    if a.openblas_coretype:
        base_env["OPENBLAS_CORETYPE"] = a.openblas_coretype
    rows = []
    for size in a.sizes:
        props = ["-Dtrain.steps=%d" % a.train_steps]
        if a.train_shards:
            props.append("-Dtrain.shards=%d" % a.train_shards)
        if a.train_threads:
            props.append("-Dtrain.threads=%d" % a.train_threads)
        ours = run_json(["java"] + JVM + props + ["-cp", a.jar, "io.github.rpo4j.benchmarks.Throughput", size],
                        base_env)
        env = dict(base_env)
        core = ours.get("openblas_coretype_requested", "null")
        if core != "null" and not a.peer_blas_default:
            env["OPENBLAS_CORETYPE"] = core
        peers = [run_json([a.python, os.path.join(HERE, "torch_peer.py"), "--threads", str(t),
                           "--train-steps", str(a.train_steps), size], env) for t in a.peer_threads]
        rows.append((size, ours, peers))
    print_table(rows)


def print_table(rows):
    """Wall-time ratios against the peer's better thread setting, and CPU-time ratios against its 1-thread run."""
    print()
    print("CPU: %s; %s; %s UTC" % (cpu_model(), platform.platform(), time.strftime("%Y-%m-%d %H:%M", time.gmtime())))
    print()
    print("| config (rpo4j training shards, threads) | train tok/s rpo4j / PyTorch (threads) | ratio "
          "| sample tok/s rpo4j / PyTorch (threads) | ratio "
          "| train CPU ms/step rpo4j process / PyTorch 1 thr | ratio | sample tok/s of CPU rpo4j / PyTorch 1 thr | ratio "
          "| peak RSS MiB rpo4j / PyTorch | load (rpo4j, peers) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for size, ours, peers in rows:
        bt = max(peers, key=lambda r: r["train_tokens_per_s"])
        bs = max(peers, key=lambda r: r.get("sample_tokens_per_s", 0))
        one = [r for r in peers if r["threads"] == 1] or peers
        one = one[0]
        loads = ", ".join("%.1f" % r["load_before"] for r in [ours] + peers)
        # Lines from before training threads have only the calling thread's CPU time, then all of the work.
        cpu = ours.get("train_process_cpu_ms_per_step", ours["train_cpu_ms_per_step"])
        label = "%s (%s, %s)" % (size, ours.get("train_shards", 1), ours.get("train_threads", 1))
        print("| %s | %d / %d (%d) | %.2fx | %d / %d (%d) | %.2fx | %.0f / %.0f | %.2fx | %d / %d | %.2fx | %d / %d | %s |" % (
            label, ours["train_tokens_per_s"], bt["train_tokens_per_s"], bt["threads"],
            ours["train_tokens_per_s"] / bt["train_tokens_per_s"],
            ours.get("sample_tokens_per_s", 0), bs.get("sample_tokens_per_s", 0), bs["threads"],
            ours.get("sample_tokens_per_s", 0) / max(1, bs.get("sample_tokens_per_s", 0)),
            cpu, one["train_cpu_ms_per_step"], one["train_cpu_ms_per_step"] / cpu,
            ours.get("sample_cpu_tokens_per_s", 0), one.get("sample_cpu_tokens_per_s", 0),
            ours.get("sample_cpu_tokens_per_s", 0) / max(1, one.get("sample_cpu_tokens_per_s", 0)),
            ours["peak_rss_mib"], bt["peak_rss_mib"], loads))


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


if __name__ == "__main__":
    main()
