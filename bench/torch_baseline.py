#!/usr/bin/env python3
"""PyTorch baselines for `npm run bench`: the same training step (B = 32, one-hot input of a
32-token vocabulary, LSTM with H units, dense read-out to 32 logits, softmax cross-entropy at
every step, backward, Adam) as nn.LSTM, and as an LSTMCell loop that records what the RNN
Debugger records (retain_grad on h_t and c_t, gates of the traced sample). One variant per
process; prints one line `RESULT {json}` like bench/worker.ts.

Usage: python3 bench/torch_baseline.py <nnlstm|cell> <H> <T> [opts JSON]
Threads: torch.set_num_threads(1) while OpenBLAS (pthread build) runs its own 2 threads; this
was the fastest setting on 2 cores (set_num_threads(2) oversubscribes them)."""
import json
import resource
import sys
import time


def blas_library():
    """Which BLAS shared object torch actually mapped (from /proc/self/maps)."""
    libs = set()
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                p = line.split()[-1]
                if "blas" in p.lower() or "mkl" in p.lower():
                    libs.add(p)
    except OSError:
        pass
    return sorted(libs)


def main():
    variant, H, T = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    opts = json.loads(sys.argv[4]) if len(sys.argv) > 4 else {}
    B, V = opts.get("B", 32), 32
    cap = opts.get("capSeconds", 40)
    import torch

    torch.set_num_threads(1)
    torch.manual_seed(0)
    libs = blas_library()
    note = "torch %s, BLAS: %s" % (torch.__version__, ", ".join(libs) or "unknown")
    warn = None
    if libs and not any("openblas" in l for l in libs) and not any("mkl" in l for l in libs):
        warn = ("libblas.so.3 resolves to the reference BLAS (slow); install OpenBLAS: "
                "apt-get install python3-torch libopenblas0-pthread")

    g = torch.Generator().manual_seed(1234)
    tokens = torch.randint(0, V, (B, T), generator=g)
    targets = torch.randint(0, V, (B, T), generator=g)
    x = torch.nn.functional.one_hot(tokens, V).float()  # [B, T, V]
    readout = torch.nn.Linear(H, V)
    ce = torch.nn.CrossEntropyLoss()

    if variant == "nnlstm":
        lstm = torch.nn.LSTM(V, H, batch_first=True)
        params = list(lstm.parameters()) + list(readout.parameters())

        def step():
            out, _ = lstm(x)  # [B, T, H]
            loss = ce(readout(out).reshape(B * T, V), targets.reshape(B * T))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            return loss.item()
    elif variant in ("nngru", "nnrnn"):
        # The other cells' rows: nn.GRU / nn.RNN (tanh), same workload as nn.LSTM.
        rnn = (torch.nn.GRU if variant == "nngru" else torch.nn.RNN)(V, H, batch_first=True)
        params = list(rnn.parameters()) + list(readout.parameters())

        def step():
            out, _ = rnn(x)
            loss = ce(readout(out).reshape(B * T, V), targets.reshape(B * T))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            return loss.item()
    elif variant == "cell":
        cell = torch.nn.LSTMCell(V, H)
        params = list(cell.parameters()) + list(readout.parameters())
        xs = x.transpose(0, 1).contiguous()  # [T, B, V]

        def step():
            h = torch.zeros(B, H)
            c = torch.zeros(B, H)
            hs, cs, gates = [], [], []
            for t in range(T):
                # Gates of the traced sample 0 (what the gate views show), recomputed without grad.
                with torch.no_grad():
                    z = xs[t, :1] @ cell.weight_ih.T + h[:1] @ cell.weight_hh.T + cell.bias_ih + cell.bias_hh
                    i_, f_, g_, o_ = z.chunk(4, 1)
                    gates.append(torch.cat([f_.sigmoid(), i_.sigmoid(), g_.tanh(), o_.sigmoid()], 1))
                h, c = cell(xs[t], (h, c))
                h.retain_grad()
                c.retain_grad()
                hs.append(h)
                cs.append(c)
            out = torch.stack(hs, 0)  # [T, B, H]
            loss = ce(readout(out).reshape(T * B, V), targets.t().reshape(T * B))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            # ‖∂L/∂h_t‖, ‖∂L/∂c_t‖ of sample 0 and its trace, copied out as the recorder would.
            dh = torch.stack([t.grad[0] for t in hs]).norm(dim=1)
            dc = torch.stack([t.grad[0] for t in cs]).norm(dim=1)
            _ = (torch.stack(gates).numpy(), dh.numpy(), dc.numpy(), out[:, 0].detach().numpy())
            opt.step()
            return loss.item()
    else:
        raise SystemExit("variant must be nnlstm, nngru, nnrnn or cell")

    opt = torch.optim.Adam(params, lr=1e-3)
    res = {"variant": "torch-" + variant, "H": H, "T": T, "B": B, "times": [], "median": None,
           "first": None, "rssMB": 0, "backend": "torch", "note": note}
    if warn:
        res["warning"] = warn

    cpu = []

    def timed():
        c0 = time.process_time()
        t0 = time.perf_counter()
        step()
        dt = time.perf_counter() - t0
        cpu.append(time.process_time() - c0)
        return dt

    res["first"] = timed()
    if res["first"] > cap:
        res["skipped"] = "first step took %.1f s > cap %s s" % (res["first"], cap)
    else:
        for _ in range(opts.get("warmup", 2 if res["first"] < 1 else 1)):
            timed()
        min_reps, min_s, max_reps = opts.get("minReps", 3), opts.get("minSeconds", 6), opts.get("maxReps", 30)
        t0 = time.perf_counter()
        while len(res["times"]) < max_reps and (len(res["times"]) < min_reps or time.perf_counter() - t0 < min_s):
            res["times"].append(timed())
        s = sorted(res["times"])
        n = len(s)
        res["median"] = s[(n - 1) // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2
        c = sorted(cpu[len(cpu) - n:])
        res["cpuMedian"] = c[(n - 1) // 2] if n % 2 else (c[n // 2 - 1] + c[n // 2]) / 2
    res["rssMB"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("RESULT " + json.dumps(res), flush=True)


if __name__ == "__main__":
    main()
