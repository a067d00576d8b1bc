"""Reading and writing parameters and arrays without pickle.

Parameters travel in PyTorch's names (``weight_ih_l0``, ``readout.weight``, ...; see
:mod:`rnn.params`) as ``.npz`` archives or PyTorch ``.pt``/``.pth`` state_dicts:

- ``.npz`` is read with ``np.load(allow_pickle=False)``, so a file can never run code;
- ``.pt``/``.pth`` with ``torch.load(weights_only=True)`` (tensors and plain containers only).

Every problem with a file (missing, unreadable, corrupt, pickled objects, wrong keys, shapes, dtypes,
NaN/Inf) is an :class:`~rnn.errors.RnnInputError` with one line naming the file and the problem.
Writes are atomic: the data goes to a temporary file in the same folder, which then replaces the
target in one step, so a failure never leaves a half-written file.
"""

from __future__ import annotations

import os
import stat
import re
import tempfile
import zipfile
from collections import OrderedDict
from pathlib import Path
from typing import NamedTuple

import numpy as np

from .errors import RnnInputError
from .params import GATES, NetworkSpec, spec_from_params

NPZ_SUFFIXES = (".npz",)
TORCH_SUFFIXES = (".pt", ".pth")

# The last dotted component of a recurrent parameter's name in a PyTorch state_dict.
_RECURRENT = re.compile(r"(weight|bias)_(ih|hh)_l\d+")
_READOUT = ("readout.weight", "readout.bias")


def _one_line(exc: BaseException) -> str:
    """The first non-empty line of an exception's text, with its type when the text is bare."""
    text = next((line.strip() for line in str(exc).splitlines() if line.strip()), "")
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _suffix(path) -> str:
    return Path(path).suffix.lower()


def _format_problem(path: Path, exc: ValueError, expected: str) -> str:
    """What a ValueError from ``np.load(allow_pickle=False)`` means, in words."""
    if "object arrays" in str(exc).lower():
        return ("holds pickled Python objects (an object array), which are not read for safety; "
                "save a numeric array")
    try:
        with open(path, "rb") as file:
            head = file.read(6)
    except OSError:
        head = b""
    if head.startswith((b"\x93NUMPY", b"PK")):
        return f"corrupt or cut short ({_one_line(exc)})"
    if head[:1] == b"\x80":  # the opening byte of a pickle (protocol 2 and later)
        return "holds pickled Python objects, which are not read for safety; save numeric arrays"
    return f"not {expected} (unknown format)"


def _import_torch(action: str):
    try:
        import torch
    except ImportError:
        raise RnnInputError(f"install torch to {action} .pt files (or use .npz)") from None
    return torch


# ------------------------------------------------------------------------------------- reading


def _np_load(file, path: Path, label: str, expected: str):
    """``np.load(file, allow_pickle=False)`` with every failure as a one-line RnnInputError."""
    try:
        return np.load(file, allow_pickle=False)
    except ValueError as exc:
        raise RnnInputError(f"{label}: {_format_problem(path, exc, expected)}") from None
    except EOFError:
        raise RnnInputError(f"{label}: the file is empty or cut short") from None
    except Exception as exc:  # OSError, BadZipFile, ...: whatever the bytes were, they are bad input
        raise RnnInputError(f"{label}: cannot read it ({_one_line(exc)})") from None


def _open(path: Path, label: str):
    """The file opened for reading, or RnnInputError (not found, a folder, no permission)."""
    try:
        return open(path, "rb")
    except FileNotFoundError:
        raise RnnInputError(f"{label}: file not found") from None
    except IsADirectoryError:
        raise RnnInputError(f"{label}: is a folder, not a file") from None
    except OSError as exc:
        raise RnnInputError(f"{label}: cannot open it ({_one_line(exc)})") from None


def _open_npz(path: Path, what: str) -> dict:
    """Every array of an .npz archive, read without pickle."""
    label = f"{what} {path}"
    arrays = {}
    # Our own file handle (closed on every path: np.load leaks its own when the zip is bad).
    with _open(path, label) as file:
        archive = _np_load(file, path, label, "a NumPy .npz archive")
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise RnnInputError(f"{label}: holds a single array (.npy), not an .npz archive of "
                                "named arrays")
        with archive:
            for key in archive.files:
                try:
                    arrays[key] = archive[key]
                except ValueError as exc:
                    if "allow_pickle" in str(exc):
                        raise RnnInputError(f"{label}: {key} is an object array (pickled Python "
                                            "objects), which is not read for safety") from None
                    raise RnnInputError(f"{label}: {key} is corrupt ({_one_line(exc)})") from None
                except Exception as exc:  # EOFError, BadZipFile, zlib.error, ...
                    raise RnnInputError(f"{label}: {key} is corrupt ({_one_line(exc)})") from None
    return arrays


def _open_torch(path: Path, what: str) -> dict:
    """A state_dict read with torch.load(weights_only=True), its tensors as float64 NumPy arrays."""
    torch = _import_torch("read")
    try:
        with _open(path, f"{what} {path}") as file:
            state = torch.load(file, weights_only=True, map_location="cpu")
    except RnnInputError:
        raise
    except Exception as exc:  # torch raises many types for bad files; all mean "bad input" here
        if not zipfile.is_zipfile(path):
            problem = "not a PyTorch file (torch.save writes a zip archive)"
        elif "weights only" in str(exc).lower() or "unpickl" in type(exc).__name__.lower():
            problem = ("holds Python objects besides tensors, which torch.load(weights_only=True) "
                       "refuses; save model.state_dict(), not the model")
        else:
            problem = f"corrupt or unreadable ({_one_line(exc)})"
        raise RnnInputError(f"{what} {path}: {problem}") from None
    if not isinstance(state, dict):
        raise RnnInputError(f"{what} {path}: holds a {type(state).__name__}, not a state_dict "
                            "(a dict of tensors by name)")
    arrays = {}
    for key, value in state.items():
        if isinstance(value, torch.Tensor):
            value = value.detach().cpu()
            if value.is_floating_point():
                value = value.to(torch.float64)
            try:
                value = value.numpy()
            except (TypeError, RuntimeError) as exc:
                raise RnnInputError(f"{what} {path}: {key} cannot be converted ({_one_line(exc)})") from None
        arrays[str(key)] = value
    return arrays


def _strip_prefixes(arrays: dict, what: str, path: Path) -> dict:
    """PyTorch-module names to plain ones: ``rnn.weight_ih_l0`` → ``weight_ih_l0``,
    ``model.readout.bias`` → ``readout.bias``; returns {plain name: (key in the file, value)}.

    The recurrent keys must share one prefix (the recurrent module's name, e.g. ``rnn.``) and the
    readout keys one prefix (e.g. ``model.``); any other key is kept as it is, and is then reported
    as unexpected.
    """
    renamed, prefixes = {}, {"recurrent": set(), "readout": set()}
    for key, value in arrays.items():
        last = key.rsplit(".", 1)[-1]
        if _RECURRENT.fullmatch(last):
            name, group = last, "recurrent"
        elif any(key == r or key.endswith("." + r) for r in _READOUT):
            name, group = "readout." + last, "readout"
        else:
            name, group = key, None
        if group:
            prefixes[group].add(key[: len(key) - len(name)])
        if name in renamed:
            raise RnnInputError(f"{what} {path}: two keys give {name} ({renamed[name][0]} and {key}); "
                                "save the state_dict of one recurrent network")
        renamed[name] = (key, value)
    for group, found in prefixes.items():
        if len(found) > 1:
            shown = ", ".join(repr(p) for p in sorted(found))
            raise RnnInputError(f"{what} {path}: the {group} keys have different prefixes ({shown}); "
                                "save the state_dict of one recurrent network")
    return renamed


def _cell_hint(params: dict, cell: str) -> str:
    """A hint when weight_hh_l0's G·H rows say the weights belong to another cell."""
    shape = np.shape(params.get("weight_hh_l0"))
    if len(shape) != 2 or shape[1] == 0 or shape[0] % shape[1]:
        return ""
    gates = shape[0] // shape[1]
    fits = [c for c, g in GATES.items() if g == gates]
    if not fits or GATES.get(cell) == gates:
        return ""
    other = {"rnn": "a vanilla RNN", "lstm": "an LSTM", "gru": "a GRU"}[fits[0]]
    choice = "a vanilla cell (tanh, relu, sigmoid or linear)" if fits[0] == "rnn" else f"the {fits[0]} cell"
    return (f" (weight_hh_l0 has {gates}·H rows: these look like {other}'s weights; "
            f"choose {choice})")


class LoadedParams(NamedTuple):
    spec: NetworkSpec
    params: dict      # float64 arrays by PyTorch name (weight_ih_l0, ..., readout.bias)
    file_keys: dict   # PyTorch name → the key it had in the file (e.g. "rnn.weight_ih_l0")


def load_params(path, cell: str = "rnn", activation: str = "tanh") -> tuple[NetworkSpec, dict]:
    """Read parameters from ``.npz`` or ``.pt``/``.pth``; return (spec, float64 params).

    Layer count and sizes come from the keys and shapes (:func:`rnn.params.spec_from_params`),
    which also checks every key, shape, dtype and value. A common module prefix is stripped:
    ``rnn.weight_ih_l0`` → ``weight_ih_l0``, ``model.readout.weight`` → ``readout.weight``.
    """
    spec, params, _ = read_params(path, cell, activation)
    return spec, params


def read_params(path, cell: str = "rnn", activation: str = "tanh") -> LoadedParams:
    """:func:`load_params`, also telling which key each parameter had in the file."""
    path = Path(path)
    what = "weights file"
    suffix = _suffix(path)
    if suffix in NPZ_SUFFIXES:
        arrays = _open_npz(path, what)
    elif suffix in TORCH_SUFFIXES:
        arrays = _open_torch(path, what)
    else:
        raise RnnInputError(f"{what} {path}: unknown file type {suffix or '(none)'!r}; "
                            "use .npz, .pt or .pth")
    if not arrays:
        raise RnnInputError(f"{what} {path}: it holds no arrays")
    arrays = _strip_prefixes(arrays, what, path)
    params, file_keys = {}, {}
    for name, (key, value) in arrays.items():
        file_keys[name] = key
        if isinstance(value, np.ndarray) and np.issubdtype(value.dtype, np.floating):
            value = value.astype(np.float64)  # a copy: the arrays are ours to change in place
        params[name] = value  # anything else is left for check_params to name
    try:
        spec = spec_from_params(params, cell, activation)
    except RnnInputError as exc:
        raise RnnInputError(f"{what} {path}: {exc}{_cell_hint(params, cell)}") from None
    return LoadedParams(spec, params, file_keys)


def load_array(path, what: str) -> np.ndarray:
    """One numeric array from a ``.npy`` file, read without pickle; ``what`` names its role."""
    path = Path(path)
    label = f"{what} file {path}"
    with _open(path, label) as file:
        array = _np_load(file, path, label, "a NumPy .npy file")
    if isinstance(array, np.lib.npyio.NpzFile):
        array.close()
        raise RnnInputError(f"{label}: is an .npz archive; give a single array saved with np.save (.npy)")
    if not isinstance(array, np.ndarray):
        raise RnnInputError(f"{label}: does not hold an array")
    if not np.issubdtype(array.dtype, np.number) or np.issubdtype(array.dtype, np.complexfloating):
        raise RnnInputError(f"{label}: must hold real numbers, got dtype {array.dtype}")
    return array


# ------------------------------------------------------------------------------------- writing


def check_output_path(path) -> Path:
    """Raise RnnInputError unless ``path`` can be written: its folder exists, and it is nothing yet
    or a regular file (never a folder, a symbolic link, a FIFO or a device, which a write would
    follow or destroy)."""
    path = Path(path)
    folder = path.parent
    if str(path) == "" or path.name in ("", ".", ".."):
        raise RnnInputError(f"output file {str(path)!r}: not a file name")
    if not folder.is_dir():
        raise RnnInputError(f"output file {path}: the folder {folder} does not exist")
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return path
    except OSError as exc:
        raise RnnInputError(f"output file {path}: cannot check it ({_one_line(exc)})") from None
    if stat.S_ISLNK(info.st_mode):
        raise RnnInputError(f"output file {path}: is a symbolic link; not writing through it")
    if stat.S_ISDIR(info.st_mode):
        raise RnnInputError(f"output file {path}: is a folder")
    if not stat.S_ISREG(info.st_mode):
        raise RnnInputError(f"output file {path}: is not a regular file (a FIFO, device or socket)")
    return path


def check_params_path(path) -> Path:
    """:func:`check_output_path` for :func:`save_params`: also a known suffix, and torch for .pt."""
    path = check_output_path(path)
    suffix = _suffix(path)
    if suffix not in NPZ_SUFFIXES + TORCH_SUFFIXES:
        raise RnnInputError(f"output file {path}: unknown file type {suffix or '(none)'!r}; "
                            "use .npz, .pt or .pth")
    if suffix in TORCH_SUFFIXES:
        _import_torch("write")
    return path


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _umask()  # read once, at import: os.umask can only be read by setting it


def write_atomically(path, write) -> None:
    """Call ``write(file)`` on a temporary file next to ``path``, fsync it, then move it onto
    ``path`` (checked again just before: :func:`check_output_path`). On any failure the old file
    is untouched and the temporary file removed; RnnInputError says why."""
    path = check_output_path(path)
    try:
        handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise RnnInputError(f"output file {path}: cannot write in {path.parent} ({_one_line(exc)})") from None
    try:
        with os.fdopen(handle, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temp, 0o666 & ~_UMASK)  # mkstemp makes it private (0600); give the usual mode
        check_output_path(path)          # still not a symlink, FIFO or folder
        os.replace(temp, path)
        _fsync_folder(path.parent)
    except OSError as exc:
        raise RnnInputError(f"output file {path}: cannot write it ({_one_line(exc)})") from None
    finally:
        if os.path.lexists(temp):
            os.unlink(temp)


def _fsync_folder(folder: Path) -> None:
    """Make the rename durable where the platform allows it (best effort)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _as_arrays(arrays: dict, what: str) -> dict:
    out = {}
    for key, value in arrays.items():
        value = np.asarray(value)
        if not (np.issubdtype(value.dtype, np.number) or value.dtype == bool):
            raise RnnInputError(f"{what}: {key} is not a numeric array (dtype {value.dtype})")
        out[str(key)] = value
    return out


def save_npz(path, arrays: dict) -> None:
    """Write named arrays to an ``.npz`` archive atomically, exactly as given (no pickle)."""
    arrays = _as_arrays(arrays, f"output file {path}")
    write_atomically(path, lambda file: np.savez(file, **arrays))


def save_params(path, params: dict) -> None:
    """Write parameters as float64 to ``.npz`` or a PyTorch ``.pt``/``.pth`` state_dict, atomically."""
    suffix = _suffix(check_params_path(path))
    arrays = {k: v.astype(np.float64) for k, v in _as_arrays(params, f"output file {path}").items()}
    if suffix in NPZ_SUFFIXES:
        save_npz(path, arrays)
        return
    torch = _import_torch("write")
    state = OrderedDict((k, torch.from_numpy(np.ascontiguousarray(v))) for k, v in arrays.items())
    write_atomically(path, lambda file: torch.save(state, file))
