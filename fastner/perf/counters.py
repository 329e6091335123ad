"""Machine-independent work counters: observe what a call really does.

A GPU speedup such as Flair's 2019 one (remove per-token ``.item()`` syncs,
per-token host->device copies, per-token ``clone``/``cat``) can be explained
on a CPU-only machine by counting, for one call, the events that cost time on
a GPU.  Everything below is *observed* while the call runs, never estimated::

    result, counts = count(lambda: tagger.predict(sentences), device="cpu")
    counts.per_1000(n_tokens)

    with Counters(device="cpu") as c:
        tagger.predict(sentences)
    print(c.counts.to_dict())

Observation points
------------------
* ``TorchDispatchMode`` sees every ATen operator call below autograd (after
  CompositeImplicit decompositions such as ``linear -> t + mm``); each one is a
  kernel launch on a GPU, except view/metadata ops (counted apart in
  ``view_ops``).  Under ``torch.inference_mode`` (or on inference tensors)
  composite ops arrive *undecomposed* (``aten.linear``, ``aten.item``,
  ``aten.contiguous``, ``aten.hstack``, ``aten.to.dtype_layout``), so
  ``torch_ops``/``top_ops`` are comparable only between runs in the same grad
  mode; the other counters below are written to be grad-mode independent.
* ``TorchFunctionMode`` sees the torch API calls written in code that runs
  while counting (``x.to(dev)``, ``torch.tensor(..., device=dev)``,
  ``x.tolist()``...).  By design PyTorch hides from the mode the torch calls
  made *inside* a torch function implemented in Python (e.g. inside
  ``nn.utils.rnn.pack_padded_sequence``): their ATen ops and scalar reads are
  still counted (dispatch level), their transfer call sites are not.
* ``sys.setprofile`` sees Python and C function calls.

Verified on torch 2.13 (see ``tests/test_counters.py``): ``item``, ``tolist``,
``numpy``, ``__array__``, ``cpu``, ``to``, ``copy_``, ``__int__``,
``__float__``, ``__bool__``, ``__index__`` (also via ``range(t)``,
``lst[t]``), ``__len__``, ``__getitem__`` and ``__setitem__`` all reach
``__torch_function__``; ``torch.from_numpy`` and legacy constructors
(``torch.LongTensor([...])``) do not, they show up as ``aten.lift_fresh``.
``item`` and every scalar dunder dispatch exactly one scalar-read op
(``aten._local_scalar_dense``; under inference mode ``aten.item``, or
``aten.is_nonzero`` for ``bool``), so do implicit conversions done in C++
that never reach ``__torch_function__`` (``torch.zeros(t)``, ``x.view(t)``,
``x[t]`` with a 0-dim ``t``); ``tolist``/``numpy`` read memory directly and
dispatch no such op.  Scalar reads are therefore counted at the dispatch
level (one observation per read, whatever the Python spelling), bulk reads
and transfers at the function level: no event is seen at both levels.

Residency: host tensors and device tensors
------------------------------------------
``device`` is the model device.  If it is not a CPU device (real accelerator;
``"meta"`` works for tests) a tensor is a *device tensor* iff
``t.device.type != "cpu"``.  If it is a CPU device (the usual CPU-only
benchmark) the counter *simulates* an accelerator distinct from the host and
tracks residency itself, by this rule, which mirrors where the tensor would
live in a real run:

* host tensor: created while counting by a constructor/factory given no
  ``device`` (``torch.tensor(data)``, ``torch.arange(n)``, ``from_numpy``...),
  returned by a device->host move (``.cpu()``), computed only from host
  tensors, or marked with :meth:`Counters.mark_host`;
* device tensor: everything else: tensors that existed before counting began
  (parameters, inputs), created with an explicit ``device=`` argument, moved
  with ``.to(...)``/``.cuda()``, or computed from at least one device tensor
  (except the host metadata outputs of ``_pack_padded_sequence`` /
  ``_pad_packed_sequence``: ``batch_sizes``, ``lengths``).

In simulation an explicit device (``"cpu"`` included) names the model device,
so ``x.to("cpu")`` in the program means "to the model device": write
device->host moves as ``.cpu()``/``.tolist()``/``.numpy()``/``.item()``.  The
one exception is torch's own Python code, which spells the host as the
string ``"cpu"`` and the model device as ``t.device`` (e.g.
``pack_padded_sequence``: ``torch.as_tensor(lengths, device="cpu")`` is host,
``sorted_indices.to(input.device)`` is one H2D): a ``str`` CPU device passed
from a ``torch.*`` module means the host.  A simulated move whose result
would be the very same object (``.to`` of a CPU tensor is a no-op on CPU)
returns instead a copy made with ``aten._to_copy``, the op a real
cross-device ``.to`` dispatches, so host and device copies stay distinct.

Counting rules
--------------
* ``torch_ops``: ATen op calls seen by the dispatch mode; ``top_ops`` the most
  frequent names (``aten.add.Tensor``); ``view_ops`` those with
  ``OpOverload.is_view`` (no kernel launched).
* ``syncs``: the host reads values of a device tensor and must wait for it:
  a scalar-read op on a device tensor (``item``, ``int(t)``,
  ``float(t)``, ``bool(t)``/``if t:``, ``__index__``, implicit C++ scalar
  conversions), ``tolist``, ``numpy``, ``__array__``, ``.cpu()`` /
  ``.to(host)`` / ``copy_`` into a host tensor (unless ``non_blocking=True``),
  each device tensor inside ``torch.tensor([...])`` data.  Each of these is
  also one D2H transfer.  Reads of host tensors are not syncs.
* ``implicit_syncs``: ops on device tensors whose CUDA kernel blocks the host
  because the output shape or value depends on data: ``nonzero``,
  ``masked_select``, ``unique*``, boolean-mask ``index``/``index_put``,
  ``repeat_interleave`` without ``output_size``, ``equal``, ``allclose``.
* ``h2d``/``h2d_bytes``: host data made into a device tensor by a call site:
  ``torch.tensor/as_tensor/asarray(data, device=dev)``, ``t.new_tensor(data)``
  of a device ``t``, ``.to(dev)``/``.cuda()`` of a host tensor,
  ``copy_``/``__setitem__`` of a host tensor into a device tensor, a non-0-dim
  host index tensor used to index a device tensor.  Bytes: ``numel *
  element_size`` of the data landing on the device.  ``torch.zeros(n,
  device=dev)`` is an allocation, not a transfer.
* ``d2h``/``d2h_bytes``: device data read or copied to the host (the
  ``syncs`` list above, ``non_blocking`` moves included); bytes of the data
  read (``element_size`` for a scalar read).
* ``clone_cat_calls``/``clone_cat_bytes``: ``clone``, ``cat``, ``stack``
  calls and their composite spellings (``hstack``, ``concat``...,
  ``.contiguous()`` of a non-contiguous tensor), one per call whatever the grad
  mode; bytes = output ``numel * element_size``.
* ``python_calls``: profiler ``'call'`` events (Python frames entered,
  generator resumptions included) on the counting thread; ``c_calls``:
  ``'c_call'`` events (builtins and torch C bindings; operators such as
  ``a + b`` or ``x[i]`` go through type slots and are not C calls).  The
  counter's own machinery is excluded (its mode handlers,
  ``torch.overrides.handle_torch_function`` and the second execution of a
  Python torch function re-run by the mode), so these equal an uninstrumented
  ``sys.setprofile`` count.  ``count(fn)`` includes the call of ``fn`` itself.

Limits: counting covers the calling thread only (modes and the profiler are
thread-local); ``Counters`` contexts must be exited in LIFO order; while
counting, a previously installed ``sys.setprofile`` function is suspended;
not meant for use under ``torch.compile``.
"""

from __future__ import annotations

import sys
import types
import weakref
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any, TypeVar

import torch
import torch._library.simple_registry
from torch.overrides import TorchFunctionMode
from torch.utils._python_dispatch import TorchDispatchMode

__all__ = ["Counters", "Counts", "count"]

T = TypeVar("T")

HOST, DEVICE = False, True  # residency values

_INT_FIELDS = (
    "torch_ops",
    "view_ops",
    "syncs",
    "implicit_syncs",
    "h2d",
    "h2d_bytes",
    "d2h",
    "d2h_bytes",
    "clone_cat_calls",
    "clone_cat_bytes",
    "python_calls",
    "c_calls",
)


@dataclass
class Counts:
    """Counters observed during one counted region (plain ints; see module docstring)."""

    torch_ops: int = 0
    view_ops: int = 0
    syncs: int = 0
    implicit_syncs: int = 0
    h2d: int = 0
    h2d_bytes: int = 0
    d2h: int = 0
    d2h_bytes: int = 0
    clone_cat_calls: int = 0
    clone_cat_bytes: int = 0
    python_calls: int = 0
    c_calls: int = 0
    top_ops: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable copy."""
        return asdict(self)

    def per_1000(self, n_tokens: int) -> dict[str, float]:
        """Every integer counter normalised per 1000 tokens."""
        if n_tokens <= 0:
            raise ValueError("n_tokens must be positive")
        return {name: getattr(self, name) * 1000.0 / n_tokens for name in _INT_FIELDS}


# --------------------------------------------------------------------------- helpers


def _tensors(obj: Any) -> Iterator[torch.Tensor]:
    """Tensors in obj, looking inside (nested) lists, tuples and dicts."""
    if isinstance(obj, torch.Tensor):
        yield obj
    elif isinstance(obj, (list, tuple)):
        for item in obj:
            yield from _tensors(item)
    elif isinstance(obj, dict):
        for item in obj.values():
            yield from _tensors(item)


def _nbytes(t: torch.Tensor) -> int:
    return t.numel() * t.element_size()


class _Tag(weakref.ref):
    """Weak reference to a tagged tensor, carrying its residency and its dict slot."""

    __slots__ = ("key", "residency", "tags")


def _drop_tag(ref: _Tag) -> None:
    """Weakref callback: forget a dead tensor's tag."""
    if ref.tags.get(ref.key) is ref:
        del ref.tags[ref.key]


class _Residency:
    """Host/device tags keyed by tensor identity; entries vanish with their tensor."""

    def __init__(self) -> None:
        self._tags: dict[int, _Tag] = {}

    def get(self, t: torch.Tensor) -> bool:
        ref = self._tags.get(id(t))
        if ref is not None and ref() is t:
            return ref.residency
        return DEVICE  # unknown: existed before counting (parameters, inputs)

    def set(self, t: torch.Tensor, residency: bool) -> None:
        ref = _Tag(t, _drop_tag)
        ref.key, ref.residency, ref.tags = id(t), residency, self._tags
        self._tags[ref.key] = ref


# --------------------------------------------------------------------------- profiler


class _Profiler:
    """One sys.setprofile callback shared by all active Counters (so they nest).

    Frames of the counting machinery raise ``depth`` and nothing is counted
    while it is positive.  A mode handler that re-runs a Python torch function
    sets ``pending`` to its code: that re-run frame (already counted once, at
    its first execution) resets depth to 0 so that its body is counted, and its
    first ``has_torch_function*`` C call (a repeat of the first execution's)
    is skipped.
    """

    def __init__(self) -> None:
        self.counters: list[Counters] = []
        self.depth = 0
        self.stack: list[tuple[types.FrameType, int]] = []
        self.pending: types.CodeType | None = None
        self.skip_check_in: types.FrameType | None = None
        self.previous: Any = None

    def add(self, counter: Counters) -> None:
        if not self.counters:
            self.previous = sys.getprofile()
            self.depth, self.stack, self.pending, self.skip_check_in = 0, [], None, None
        self.counters.append(counter)
        sys.setprofile(self.callback)  # last statement: nothing of add() is counted

    def remove(self, counter: Counters) -> None:
        self.counters.remove(counter)
        if not self.counters:
            sys.setprofile(self.previous)
            self.previous = None

    def callback(self, frame: types.FrameType, event: str, arg: Any) -> None:
        if event == "call":
            code = frame.f_code
            if self.depth:
                if code is self.pending:
                    self.pending = None
                    self.stack.append((frame, self.depth))
                    self.depth = 0
                    self.skip_check_in = frame
                elif code in _MACHINERY:
                    self.stack.append((frame, self.depth))
                    self.depth += 1
            elif code in _MACHINERY:
                self.stack.append((frame, 0))
                self.depth = 1
            else:
                for counter in self.counters:
                    counter._python_calls += 1
        elif event == "return":
            if self.stack and self.stack[-1][0] is frame:
                self.depth = self.stack.pop()[1]
        elif event == "c_call" and not self.depth:
            if self.skip_check_in is frame and arg in _TORCH_FUNCTION_CHECKS:
                self.skip_check_in = None
                return
            for counter in self.counters:
                counter._c_calls += 1


_PROFILER = _Profiler()
_TORCH_FUNCTION_CHECKS = frozenset(
    {torch._C._has_torch_function, torch._C._has_torch_function_unary, torch._C._has_torch_function_variadic}
)


def _called_from_torch(func: Any) -> bool:
    """Whether the code calling func (outside this module and the mode machinery) is torch's own."""
    code = getattr(func, "__code__", None)
    frame = sys._getframe(2)
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if module != __name__ and module != "torch.overrides" and frame.f_code is not code:
            return module == "torch" or module.startswith("torch.")
        frame = frame.f_back
    return False


# --------------------------------------------------------------------------- modes


class _FunctionMode(TorchFunctionMode):
    def __init__(self, counters: Counters) -> None:
        super().__init__()
        self.counters = counters

    def __torch_function__(self, func, types_, args=(), kwargs=None):
        kwargs = kwargs or {}
        if isinstance(func, types.FunctionType):
            _PROFILER.pending = func.__code__
        try:
            out = func(*args, **kwargs)
        finally:
            _PROFILER.pending = None
        return self.counters._on_function(func, args, kwargs, out)


class _DispatchMode(TorchDispatchMode):
    @classmethod
    def _should_skip_dynamo(cls) -> bool:
        # No torch._dynamo.disable wrapper: it imports dynamo (~1 s) and adds frames per op.
        return False

    def __init__(self, counters: Counters) -> None:
        super().__init__()
        self.counters = counters

    def __torch_dispatch__(self, func, types_, args=(), kwargs=None):
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        self.counters._on_op(func, args, kwargs, out)
        return out


_aten = torch.ops.aten
_T = torch.Tensor
# torch API call -> Counters method handling it at the function level
_RULES: dict[Any, str] = {
    **dict.fromkeys((_T.tolist, _T.numpy, _T.__array__), "_on_read"),
    **dict.fromkeys((torch.tensor, torch.as_tensor, torch.asarray, _T.new_tensor), "_on_constructor"),
    **dict.fromkeys((_T.__getitem__, _T.__setitem__), "_on_indexing"),
    _T.cpu: "_on_cpu",
    _T.cuda: "_on_cuda",
    _T.to: "_on_to",
    _T.copy_: "_on_copy",
}
_OP_INFO: dict[Any, tuple[str, str, bool]] = {}
# Op packets that copy their inputs into a new tensor.  Under torch.inference_mode the composite
# ones (hstack, concat, ...) reach the dispatch mode undecomposed instead of as aten.cat.
_CLONE_CAT = frozenset(
    {
        "clone",
        "cat",
        "stack",
        "concat",
        "concatenate",
        "hstack",
        "vstack",
        "dstack",
        "column_stack",
        "row_stack",
    }
)
# Ops taking device data and host metadata whose output at this index stays on the host.
_HOST_OUTPUTS = {"_pack_padded_sequence": 1, "_pad_packed_sequence": 1}  # batch_sizes, lengths
# Scalar reads: aten._local_scalar_dense, or (inference mode) the undecomposed item / is_nonzero.
_SCALAR_READS = frozenset({"_local_scalar_dense", "item", "is_nonzero"})
_DATA_DEPENDENT = frozenset(
    {
        "nonzero",
        "masked_select",
        "_unique",
        "_unique2",
        "unique_dim",
        "unique_consecutive",
        "equal",
        "allclose",
    }
)


class Counters:
    """Context manager counting torch ops, syncs, transfers, copies and Python calls.

    ``device`` is the model device (see module docstring for the residency rule);
    ``python_calls=False`` skips the profiler (faster; python/c calls stay 0);
    ``top_n`` bounds ``Counts.top_ops`` (``None``: all op names).  Re-entering
    the same object accumulates; read the result with :attr:`counts`.
    """

    def __init__(
        self, device: str | torch.device = "cpu", *, python_calls: bool = True, top_n: int | None = 20
    ) -> None:
        self.device = torch.device(device)
        self.simulated = self.device.type == "cpu"
        self.python_calls = python_calls
        self.top_n = top_n
        self._ints = dict.fromkeys(_INT_FIELDS, 0)
        self._python_calls = 0
        self._c_calls = 0
        self._ops: Counter[str] = Counter()
        self._tags = _Residency()
        self._function_mode = _FunctionMode(self)
        self._dispatch_mode = _DispatchMode(self)
        self._active = False

    # ---------------------------------------------------------------- public API

    def __enter__(self) -> Counters:
        if self._active:
            raise RuntimeError("this Counters object is already active")
        self._function_mode.__enter__()
        try:
            self._dispatch_mode.__enter__()
        except BaseException:
            self._function_mode.__exit__(None, None, None)
            raise
        self._active = True
        if self.python_calls:
            _PROFILER.add(self)  # last: nothing of __enter__ is counted
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if self.python_calls:
                _PROFILER.remove(self)
        finally:
            self._active = False
            try:
                self._dispatch_mode.__exit__(None, None, None)
            finally:
                self._function_mode.__exit__(None, None, None)

    @property
    def counts(self) -> Counts:
        """Snapshot of everything counted so far."""
        values = dict(self._ints, python_calls=self._python_calls, c_calls=self._c_calls)
        top = sorted(self._ops.items(), key=lambda kv: (-kv[1], kv[0]))
        if self.top_n is not None:
            top = top[: self.top_n]
        return Counts(**values, top_ops=dict(top))

    def mark_host(self, *tensors: torch.Tensor) -> None:
        """Declare tensors created before counting as host tensors (simulation only)."""
        for t in tensors:
            self._tags.set(t, HOST)

    # ---------------------------------------------------------------- residency

    def residency(self, t: torch.Tensor) -> bool:
        """``True`` for a device tensor, ``False`` for a host tensor."""
        if self.simulated:
            return self._tags.get(t)
        return DEVICE if t.device.type != "cpu" else HOST

    def _target(self, device: Any, func: Any) -> bool:
        """Residency named by an explicit device argument of a call to func."""
        if not self.simulated:
            return HOST if torch.device(device).type == "cpu" else DEVICE
        if isinstance(device, str) and torch.device(device).type == "cpu" and _called_from_torch(func):
            return HOST  # torch's own code spells the host "cpu" (and the input's device t.device)
        return DEVICE

    def _tag(self, outputs: Any, residency: bool, inputs: list[torch.Tensor]) -> None:
        if self.simulated:
            input_ids = {id(t) for t in inputs}
            for t in _tensors(outputs):
                if id(t) not in input_ids:
                    self._tags.set(t, residency)

    def _h2d(self, nbytes: int) -> None:
        self._ints["h2d"] += 1
        self._ints["h2d_bytes"] += nbytes

    def _d2h(self, nbytes: int, sync: bool = True) -> None:
        self._ints["d2h"] += 1
        self._ints["d2h_bytes"] += nbytes
        self._ints["syncs"] += sync

    # ---------------------------------------------------------------- dispatch level

    def _on_op(self, func: Any, args: tuple, kwargs: dict, out: Any) -> None:
        info = _OP_INFO.get(func)
        if info is None:  # (full name, packet name, is_view), cached: computing them costs Python calls
            info = _OP_INFO[func] = (str(func), func.overloadpacket.__name__, bool(func.is_view))
        full_name, name, is_view = info
        ints = self._ints
        ints["torch_ops"] += 1
        ints["view_ops"] += is_view
        self._ops[full_name] += 1
        inputs = [*_tensors(args), *_tensors(kwargs)]
        on_device = any(self.residency(t) for t in inputs)
        if name in _CLONE_CAT or (name == "contiguous" and out is not args[0]):
            ints["clone_cat_calls"] += 1
            ints["clone_cat_bytes"] += sum(_nbytes(t) for t in _tensors(out))
        elif name in _SCALAR_READS:
            if on_device:
                self._d2h(inputs[0].element_size())
        elif on_device and self._data_dependent(func, name, args, kwargs):
            ints["implicit_syncs"] += 1
        if not self.simulated:
            return
        if name == "lift_fresh":  # tensor built from host data (torch.tensor, from_numpy, ...)
            self._tags.set(out, HOST)
        elif inputs:
            self._tag(out, on_device, inputs)
            if name in _HOST_OUTPUTS:
                self._tag(out[_HOST_OUTPUTS[name]], HOST, inputs)
        else:
            self._tag(out, HOST, inputs)  # factory; an explicit device= is applied by _on_function

    @staticmethod
    def _data_dependent(func: Any, name: str, args: tuple, kwargs: dict) -> bool:
        if name in _DATA_DEPENDENT:
            return True
        if name in ("index", "index_put", "index_put_", "_index_put_impl_"):
            indices = args[1] if len(args) > 1 else kwargs.get("indices", ())
            return any(t.dtype in (torch.bool, torch.uint8) for t in _tensors(indices))
        if name == "repeat_interleave":
            return func is not _aten.repeat_interleave.self_int and kwargs.get("output_size") is None
        return False

    # ---------------------------------------------------------------- function level

    def _on_function(self, func: Any, args: tuple, kwargs: dict, out: Any) -> Any:
        try:
            rule = _RULES.get(func)
        except TypeError:  # unhashable callable
            rule = None
        if rule is not None:
            return getattr(self, rule)(func, args, kwargs, out)
        device = kwargs.get("device")
        if device is not None:  # otherwise the dispatch level already tagged the outputs
            self._tag(out, self._target(device, func), [*_tensors(args), *_tensors(kwargs)])
        return out

    def _on_read(self, func: Any, args: tuple, kwargs: dict, out: Any) -> Any:
        if self.residency(args[0]):
            self._d2h(_nbytes(args[0]))
        return out

    def _on_cpu(self, func: Any, args: tuple, kwargs: dict, out: Any) -> Any:
        return self._move(args[0], out, HOST, non_blocking=False)

    def _on_cuda(self, func: Any, args: tuple, kwargs: dict, out: Any) -> Any:
        return self._move(args[0], out, DEVICE, non_blocking=bool(kwargs.get("non_blocking", False)))

    def _on_copy(self, func: Any, args: tuple, kwargs: dict, out: Any) -> Any:
        dst, src = args[0], args[1]
        non_blocking = bool(args[2] if len(args) > 2 else kwargs.get("non_blocking", False))
        self._cross(dst, src, _nbytes(src), non_blocking)
        return out

    def _cross(self, dst: torch.Tensor, src: torch.Tensor, nbytes: int, non_blocking: bool) -> None:
        """Data of src written into dst."""
        dst_res, src_res = self.residency(dst), self.residency(src)
        if dst_res == DEVICE and src_res == HOST:
            self._h2d(nbytes)
        elif dst_res == HOST and src_res == DEVICE:
            self._d2h(nbytes, sync=not non_blocking)

    def _move(self, src: torch.Tensor, out: torch.Tensor, target: bool, non_blocking: bool) -> torch.Tensor:
        source = self.residency(src)
        if source == target:
            if out is not src:
                self._tag(out, target, [src])
            return out
        if self.simulated and out is src:
            out = _aten._to_copy.default(src)  # what a real cross-device move dispatches
        if target == DEVICE:
            self._h2d(_nbytes(out))
        else:
            self._d2h(_nbytes(out), sync=not non_blocking)
        self._tag(out, target, [src])
        return out

    def _on_to(self, func: Any, args: tuple, kwargs: dict, out: Any) -> Any:
        src, rest = args[0], args[1:]
        other = rest[0] if rest and isinstance(rest[0], torch.Tensor) else kwargs.get("other")
        if isinstance(other, torch.Tensor):
            target = self.residency(other)
            non_blocking = bool(rest[1] if len(rest) > 1 else kwargs.get("non_blocking", False))
        else:
            device, _dtype, non_blocking, _fmt = torch._C._nn._parse_to(*rest, **kwargs)
            if device is None:
                if out is not src:
                    self._tag(out, self.residency(src), [src])
                return out
            raw = kwargs.get("device", next((a for a in rest if isinstance(a, str)), device))
            target = self._target(raw, func)
        return self._move(src, out, target, non_blocking)

    def _on_constructor(self, func: Any, args: tuple, kwargs: dict, out: Any) -> Any:
        if func is _T.new_tensor:
            data = args[1] if len(args) > 1 else kwargs.get("data")
        else:
            data = args[0] if args else kwargs.get("data", kwargs.get("obj"))
        device = kwargs.get("device")
        if device is None and func is torch.as_tensor and len(args) > 2:
            device = args[2]
        if not self.simulated:
            target = self.residency(out)
        elif device is not None:
            target = self._target(device, func)
        elif func is _T.new_tensor:
            target = self.residency(args[0])  # new_tensor keeps self's device
        elif isinstance(data, torch.Tensor):
            target = self.residency(data)  # torch.tensor(t) keeps t's device
        else:
            target = HOST
        if isinstance(data, torch.Tensor):
            return self._move(data, out, target, non_blocking=False)
        if isinstance(data, (list, tuple)):
            for t in _tensors(data):  # torch.tensor([t0, t1]) reads each element on the host
                if self.residency(t):
                    self._d2h(_nbytes(t))
        if target == DEVICE:
            self._h2d(_nbytes(out))
        if self.simulated:
            self._tags.set(out, target)
        return out

    def _on_indexing(self, func: Any, args: tuple, kwargs: dict, out: Any) -> Any:
        dst, index = args[0], args[1]
        dst_res = self.residency(dst)
        for t in _tensors(index):  # CPU index tensors are copied to the indexed tensor's device
            if dst_res == DEVICE and t.dim() > 0 and self.residency(t) == HOST:
                self._h2d(_nbytes(t))
        if func is _T.__setitem__:
            value = args[2]
            if isinstance(value, torch.Tensor):  # other values can only be Python scalars (a fill)
                self._cross(dst, value, _nbytes(value), non_blocking=False)
        else:
            self._tag(out, dst_res, [dst])
        return out


# Frames of the counting machinery: never counted as Python calls, nor is anything they call.
_MACHINERY = frozenset(
    {
        _FunctionMode.__torch_function__.__code__,
        _DispatchMode.__dict__["__torch_dispatch__"].__code__,
        Counters.__init__.__code__,  # a nested Counters' set-up is not the counted program's work
        Counters.__enter__.__code__,
        Counters.__exit__.__code__,
        _drop_tag.__code__,
        torch.overrides.handle_torch_function.__code__,
        # called from C++ before each __torch_dispatch__ of a mode, to look up per-op rules
        torch._library.simple_registry.find_torch_dispatch_rule.__code__,
    }
)


def count(
    fn: Callable[[], T],
    *,
    device: str | torch.device = "cpu",
    python_calls: bool = True,
    top_n: int | None = 20,
) -> tuple[T, Counts]:
    """Call ``fn()`` once under a fresh :class:`Counters`; return its result and the counts."""
    counters = Counters(device, python_calls=python_calls, top_n=top_n)
    with counters:
        result = fn()
    return result, counters.counts
