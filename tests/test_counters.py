"""Known functions have known counts (fastner.perf.counters)."""

import contextlib
import json
import sys

import numpy as np
import pytest
import torch
from torch.overrides import _get_current_function_mode_stack
from torch.utils._python_dispatch import _get_current_dispatch_mode_stack

from fastner.perf.counters import Counters, Counts, count

LOCAL_SCALAR = "aten._local_scalar_dense.default"


def fib(n: int) -> int:
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def no_mode_left() -> bool:
    return not _get_current_function_mode_stack() and not _get_current_dispatch_mode_stack()


# ----------------------------------------------------------------------------- torch ops


def test_add_is_one_aten_op():
    a, b = torch.ones(3), torch.ones(3)
    out, c = count(lambda: a + b)
    assert torch.equal(out, torch.full((3,), 2.0))
    assert c.torch_ops == 1
    assert c.top_ops == {"aten.add.Tensor": 1}
    assert (c.syncs, c.h2d, c.d2h, c.clone_cat_calls) == (0, 0, 0, 0)


def test_ops_seen_after_decomposition_and_views_counted_apart():
    x, w = torch.ones(5), torch.ones(3, 5)
    _, c = count(lambda: torch.nn.functional.linear(x, w))
    assert "aten.linear.default" not in c.top_ops  # CompositeImplicit: decomposed (t, unsqueeze, mm...)
    assert c.top_ops["aten.mm.default"] == 1
    assert c.view_ops == c.top_ops["aten.t.default"] + c.top_ops["aten.unsqueeze.default"] == 2


def test_top_n_bounds_top_ops():
    a = torch.ones(2)
    _, c = count(lambda: (a + a, a * a, a - a, a + a), top_n=1)
    assert c.torch_ops == 4
    assert c.top_ops == {"aten.add.Tensor": 2}


# ----------------------------------------------------------------------------- syncs


def test_item_five_times_is_five_syncs():
    x = torch.tensor([1.5, 2.5])  # created before counting: a device tensor

    def loop():
        return [x[0].item() for _ in range(5)]

    out, c = count(loop)
    assert out == [1.5] * 5
    assert c.syncs == 5
    assert (c.d2h, c.d2h_bytes) == (5, 20)
    assert c.top_ops == {LOCAL_SCALAR: 5, "aten.select.int": 5}


@pytest.mark.parametrize(
    "read",
    [
        lambda t: t.item(),
        lambda t: int(t),
        lambda t: float(t),
        lambda t: bool(t),
        lambda t: [0, 1, 2, 3][t],  # __index__
        lambda t: range(t),  # __index__
        lambda t: f"{t:.1f}",  # Tensor.__format__ -> item(), hidden from the function mode
        lambda t: torch.zeros(t),  # C++ argument parsing, never reaches __torch_function__
        lambda t: torch.arange(6.0).view(t, -1),
        lambda t: torch.arange(6.0)[t],
        lambda t: t.tolist(),
    ],
)
def test_each_scalar_read_of_a_device_tensor_is_one_sync(read):
    t = torch.tensor(2)
    _, c = count(lambda: read(t))
    assert (c.syncs, c.d2h, c.d2h_bytes) == (1, 1, 8)


@pytest.mark.parametrize("read", [lambda t: t.tolist(), lambda t: t.numpy(), lambda t: np.asarray(t)])
def test_bulk_reads_are_one_sync_of_all_bytes_without_scalar_op(read):
    t = torch.ones(2, 3)
    _, c = count(lambda: read(t))
    assert (c.syncs, c.d2h, c.d2h_bytes) == (1, 1, 24)
    assert LOCAL_SCALAR not in c.top_ops


def test_reads_of_host_tensors_are_not_syncs():
    def host_work():
        h = torch.tensor([1.0, 2.0])  # no device=: a host tensor
        g = (h * 2).sum()  # computed from host tensors only: host
        return h.tolist(), g.item(), int(h[0]), h.numpy().sum()

    _, c = count(host_work)
    assert (c.syncs, c.d2h, c.h2d) == (0, 0, 0)


def test_data_dependent_shape_ops_are_implicit_syncs():
    x = torch.arange(6.0)

    def work():
        x[x > 2]
        torch.nonzero(x)
        torch.unique(x)
        torch.tensor([3.0])[torch.tensor([True])]  # host tensors: no sync

    _, c = count(work)
    assert c.implicit_syncs == 3
    assert c.syncs == 0


# ----------------------------------------------------------------------------- transfers


def test_tensor_with_device_is_one_h2d():
    _, c = count(lambda: torch.tensor([1.0, 2.0], device="cpu"))
    assert (c.h2d, c.h2d_bytes, c.d2h, c.syncs) == (1, 8, 0, 0)
    _, c = count(lambda: torch.as_tensor([1, 2, 3], device=torch.device("cpu")))
    assert (c.h2d, c.h2d_bytes) == (1, 24)


def test_host_constructors_and_device_allocations_are_not_transfers():
    _, c = count(lambda: (torch.tensor([1.0, 2.0]), torch.zeros(4, device="cpu"), torch.arange(3)))
    assert (c.h2d, c.d2h) == (0, 0)


def test_to_device_and_back():
    def work():
        h = torch.tensor([1, 2, 3])  # host, int64
        d = h.to("cpu")  # every explicit device names the model device: H2D
        assert d is not h  # a simulated move returns a distinct copy
        d.to(torch.float32)  # dtype only: no transfer
        total = d.sum().item()  # device read: sync
        h.tolist()  # host read: nothing
        back = d.cpu()  # D2H
        back.numpy()  # host read: nothing
        return total

    out, c = count(work)
    assert out == 6
    assert (c.h2d, c.h2d_bytes) == (1, 24)
    assert (c.d2h, c.d2h_bytes, c.syncs) == (2, 8 + 24, 2)
    assert c.top_ops["aten._to_copy.default"] == 3  # two moves + one dtype cast


def test_from_numpy_then_to_is_one_h2d():
    arr = np.ones(3, dtype=np.float32)
    _, c = count(lambda: torch.from_numpy(arr).to("cpu"))
    assert (c.h2d, c.h2d_bytes) == (1, 12)
    _, c = count(lambda: torch.LongTensor([1, 2]).to(device="cpu", dtype=torch.int32))
    assert (c.h2d, c.h2d_bytes) == (1, 8)


def test_to_already_on_device_is_not_a_transfer():
    d = torch.ones(4)
    _, c = count(lambda: d.to("cpu"))
    assert (c.h2d, c.d2h, c.torch_ops) == (0, 0, 0)


def test_copy_and_setitem_across_devices():
    dev = torch.zeros(4)

    def work():
        host = torch.ones(4)
        dev.copy_(host)  # H2D 16
        host.copy_(dev)  # D2H 16 + sync
        dev[0] = torch.tensor(5.0)  # H2D 4
        dev[:2] = torch.tensor([1.0, 2.0])  # H2D 8
        dev[1] = 3.0  # scalar fill: nothing
        return dev[torch.tensor([0, 1])]  # host index tensor copied to the device: H2D 16

    _, c = count(work)
    assert (c.h2d, c.h2d_bytes) == (4, 16 + 4 + 8 + 16)
    assert (c.d2h, c.d2h_bytes, c.syncs) == (1, 16, 1)


def test_tensor_of_device_tensors_reads_each_element():
    a, b = torch.tensor(1.0), torch.tensor(2.0)
    _, c = count(lambda: torch.tensor([a, b]))
    assert (c.syncs, c.d2h, c.d2h_bytes, c.h2d) == (2, 2, 8, 0)


def test_mark_host():
    h = torch.ones(2)
    with Counters() as c:
        c.mark_host(h)
        h.to("cpu")
        h.tolist()
    assert (c.counts.h2d, c.counts.syncs) == (1, 0)


def test_real_device_residency_uses_tensor_device():
    def work():
        h = torch.tensor([1.0, 2.0])
        d = h.to("meta")  # H2D 8
        torch.tensor([1.0, 2.0, 3.0], device="meta")  # H2D 12
        torch.zeros(4, device="meta")  # allocation only
        return d.to("meta")  # already there

    _, c = count(work, device="meta")
    assert (c.h2d, c.h2d_bytes, c.d2h) == (2, 20, 0)


def test_pack_pad_sequence_transfers_match_a_real_gpu_run():
    lstm, x = torch.nn.LSTM(4, 3, batch_first=True), torch.randn(3, 5, 4)

    def run():
        # lengths -> torch.as_tensor(lengths, device="cpu") inside torch: host, not a transfer
        packed = torch.nn.utils.rnn.pack_padded_sequence(x, [2, 5, 3], batch_first=True, enforce_sorted=False)
        out, _ = lstm(packed)  # sorted_indices.to(input.device): one H2D of 3 int64
        return torch.nn.utils.rnn.pad_packed_sequence(out, batch_first=True)  # unsorted_indices.cpu(): D2H

    (_, lengths), c = count(run)
    assert lengths.tolist() == [2, 5, 3]
    assert (c.h2d, c.h2d_bytes, c.d2h, c.d2h_bytes, c.syncs) == (1, 24, 1, 24, 1)


GRAD_MODES = [contextlib.nullcontext, torch.no_grad, torch.inference_mode]


@pytest.mark.parametrize("grad_mode", GRAD_MODES, ids=lambda m: m.__name__)
def test_semantic_counters_do_not_depend_on_grad_mode(grad_mode):
    x = torch.arange(6.0).reshape(2, 3)

    def work():
        with grad_mode():
            a = x + 1
            reads = (a[0, 0].item(), int(a[0, 1]), float(a[1, 0]), bool(a[1, 1]))
            copies = (a.t().contiguous(), a.contiguous(), torch.hstack([a, a]), a.clone(), torch.stack([a]))
            return reads, copies

    _, c = count(work)
    assert (c.syncs, c.d2h, c.d2h_bytes) == (4, 4, 16)
    assert c.clone_cat_calls == 4
    assert c.clone_cat_bytes == 24 + 48 + 24 + 24


# ----------------------------------------------------------------------------- copies


def test_cat_of_three_float32x4_is_48_bytes():
    a = torch.ones(4)
    _, c = count(lambda: torch.cat([a, a, a]))
    assert (c.clone_cat_calls, c.clone_cat_bytes) == (1, 48)


def test_clone_stack_contiguous():
    a = torch.ones(2, 3)
    _, c = count(lambda: (a.clone(), torch.stack([a, a]), a.t().contiguous(), a.contiguous()))
    assert c.clone_cat_calls == 3  # contiguous() of a contiguous tensor copies nothing
    assert c.clone_cat_bytes == 24 + 48 + 24


# ----------------------------------------------------------------------------- python calls


def test_python_calls_of_a_pure_recursion_are_exact():
    with Counters() as c:
        fib(10)
    assert c.counts.python_calls == 177
    _, counts = count(lambda: fib(10))
    assert counts.python_calls == 178  # + the lambda itself


def _torch_heavy(model, x):
    y = torch.nn.functional.softmax(model(x), 0)  # Python torch function, re-run by the mode
    parts = y.split(1)  # Python Tensor method
    z = 1 - y  # Python-level __rsub__ wrapper
    return [p.sum().item() for p in parts], z, len(y), list(y)


def test_python_and_c_calls_equal_an_uninstrumented_profile():
    model, x = torch.nn.Linear(5, 3), torch.ones(5)
    _torch_heavy(model, x)  # warm caches (lazy imports, registries)
    plain = {"call": 0, "c_call": 0}

    def profile(frame, event, arg):
        if event in plain:
            plain[event] += 1

    sys.setprofile(profile)
    _torch_heavy(model, x)
    sys.setprofile(None)
    plain["c_call"] -= 1  # the c_call of sys.setprofile(None) itself
    with Counters() as c:
        _torch_heavy(model, x)
    assert c.counts.python_calls == plain["call"] > 5
    assert c.counts.c_calls == plain["c_call"]


def test_python_calls_can_be_disabled():
    _, c = count(lambda: fib(5), python_calls=False)
    assert (c.python_calls, c.c_calls) == (0, 0)


# ----------------------------------------------------------------------------- nesting, errors, API


def test_nested_counters():
    a = torch.ones(3)
    with Counters() as outer:
        a + a
        with Counters() as inner:
            a * a
            a.sum().item()
            fib(4)
        a - a
    assert inner.counts.torch_ops == 3 and inner.counts.syncs == 1
    assert outer.counts.torch_ops == 5 and outer.counts.syncs == 1
    assert inner.counts.python_calls == outer.counts.python_calls == 9
    assert no_mode_left()


def test_exception_leaves_no_mode_and_restores_profiler():
    def previous(frame, event, arg):
        pass

    a = torch.ones(2)
    sys.setprofile(previous)
    try:
        with pytest.raises(ValueError), Counters() as c, Counters():
            a.sum().item()
            raise ValueError("boom")
        assert sys.getprofile() is previous
    finally:
        sys.setprofile(None)
    assert no_mode_left()
    assert c.counts.syncs == 1

    def fails_inside_an_op():
        return torch.ones(2) + torch.ones(3)

    with pytest.raises(RuntimeError):
        count(fails_inside_an_op)
    assert no_mode_left() and sys.getprofile() is None


def test_counters_object_is_not_reentrant():
    c = Counters()
    with c, pytest.raises(RuntimeError), c:
        pass
    assert no_mode_left()


def test_counts_serialise_and_normalise():
    _, c = count(lambda: torch.cat([torch.ones(2), torch.ones(2)]))
    assert isinstance(c, Counts)
    d = json.loads(json.dumps(c.to_dict()))
    assert d["clone_cat_bytes"] == 16 and d["top_ops"]["aten.cat.default"] == 1
    per = c.per_1000(4)
    assert per["clone_cat_bytes"] == 4000.0 and "top_ops" not in per
    with pytest.raises(ValueError):
        c.per_1000(0)
