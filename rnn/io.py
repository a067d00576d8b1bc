"""Reading and writing parameters and arrays without pickle.

Parameters travel in PyTorch's names as ``.npz`` archives or PyTorch ``.pt``/``.pth`` state_dicts
(read: any model's, :mod:`rnn.state_dict`; written: the engine's names, :mod:`rnn.params`):

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
import tempfile
import zipfile
from collections import OrderedDict
from pathlib import Path

import numpy as np

from .errors import RnnInputError
from .params import NetworkSpec
from .state_dict import HeadChoiceError, StateDictMapping, map_state_dict

MAX_ARRAY_BYTES = 2**31        # the most a file's arrays may take in memory (2 GiB)
NPZ_SUFFIXES = (".npz",)
TORCH_SUFFIXES = (".pt", ".pth")

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


def open_input(path, label: str):
    """The file opened for reading, or RnnInputError (not found, a folder, no permission)."""
    try:
        return open(path, "rb")
    except FileNotFoundError:
        raise RnnInputError(f"{label}: file not found") from None
    except IsADirectoryError:
        raise RnnInputError(f"{label}: is a folder, not a file") from None
    except OSError as exc:
        raise RnnInputError(f"{label}: cannot open it ({_one_line(exc)})") from None


def read_npz(path, what: str) -> dict:
    """Every array of an .npz archive, read without pickle; refused before reading if its arrays
    would take more than MAX_ARRAY_BYTES once unpacked (a zip bomb)."""
    path = Path(path)
    label = f"{what} {path}"
    arrays = {}
    # Our own file handle (closed on every path: np.load leaks its own when the zip is bad).
    with open_input(path, label) as file:
        _check_unpacked_size(file, label)
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
    open_input(path, f"{what} {path}").close()       # a missing file says so, with or without torch
    torch = _import_torch("read")
    try:
        with open_input(path, f"{what} {path}") as file:
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
            kind = ("a meta tensor (no data)" if value.is_meta else "a quantized tensor" if value.is_quantized
                    else "a sparse tensor" if value.layout != torch.strided else "")
            if kind:
                raise RnnInputError(f"{what} {path}: {key} is {kind}; save the model's real, dense weights")
            value = value.detach().cpu()
            if value.is_floating_point():
                value = value.to(torch.float64)
            try:
                value = value.numpy()
            except (TypeError, RuntimeError) as exc:
                raise RnnInputError(f"{what} {path}: {key} cannot be converted ({_one_line(exc)})") from None
        arrays[str(key)] = value
    return arrays


def load_params(path, cell: str | None = None, activation: str = "tanh",
                head: str | None = None) -> tuple[NetworkSpec, dict]:
    """Read parameters from ``.npz`` or ``.pt``/``.pth``; return (spec, float64 params).

    The file is a model's state_dict (or the same arrays in an .npz): one recurrent module under
    any prefix and one Linear head under any name (:func:`rnn.state_dict.map_state_dict`, which
    also reads the cell from the gate rows unless ``cell`` is given, and checks every key, shape,
    dtype and value).
    """
    mapping = read_params(path, cell, activation, head)
    return mapping.spec, mapping.params


def read_params(path, cell: str | None = None, activation: str = "tanh",
                head: str | None = None) -> StateDictMapping:
    """:func:`load_params`, also telling which key of the file became which parameter."""
    path = Path(path)
    what = "weights file"
    suffix = _suffix(path)
    if suffix in NPZ_SUFFIXES:
        arrays = read_npz(path, what)
    elif suffix in TORCH_SUFFIXES:
        arrays = _open_torch(path, what)
    else:
        raise RnnInputError(f"{what} {path}: unknown file type {suffix or '(none)'!r}; "
                            "use .npz, .pt or .pth")
    if not arrays:
        raise RnnInputError(f"{what} {path}: it holds no arrays")
    try:
        return map_state_dict(arrays, cell, activation, head)
    except HeadChoiceError as exc:
        raise HeadChoiceError(f"{what} {path}: {exc}", exc.candidates) from None
    except RnnInputError as exc:
        raise RnnInputError(f"{what} {path}: {exc}") from None


def _check_unpacked_size(file, label: str) -> None:
    """Refuse an .npz whose members would unpack to more than MAX_ARRAY_BYTES."""
    try:
        with zipfile.ZipFile(file) as archive:
            total = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        total = 0                                   # not a zip: np.load says what it is
    file.seek(0)
    if total > MAX_ARRAY_BYTES:
        raise RnnInputError(f"{label}: its arrays would take {total / 2**30:.1f} GiB once unpacked; "
                            f"at most {MAX_ARRAY_BYTES / 2**30:.0f} GiB are read")


def _check_declared_size(file, label: str) -> None:
    """Refuse a .npy whose header declares more data than MAX_ARRAY_BYTES or than the file holds
    (before anything is allocated for it)."""
    try:
        version = np.lib.format.read_magic(file)
        read_header = {(1, 0): np.lib.format.read_array_header_1_0,
                       (2, 0): np.lib.format.read_array_header_2_0}.get(version)
        if read_header is None:
            return
        shape, _, dtype = read_header(file)
        declared = int(np.prod(shape, dtype=object)) * dtype.itemsize
        remaining = os.fstat(file.fileno()).st_size - file.tell()
    except Exception:   # not a .npy, or a bad header: np.load says what it is
        return
    finally:
        file.seek(0)
    if dtype.hasobject:
        return
    if declared > MAX_ARRAY_BYTES:
        raise RnnInputError(f"{label}: declares an array of {declared / 2**30:.1f} GiB; at most "
                            f"{MAX_ARRAY_BYTES / 2**30:.0f} GiB are read")
    if declared > remaining:
        raise RnnInputError(f"{label}: declares {declared} bytes of data but holds {remaining}: cut short")


def load_array(path, what: str) -> np.ndarray:
    """One numeric array from a ``.npy`` file, read without pickle; ``what`` names its role."""
    path = Path(path)
    label = f"{what} file {path}"
    with open_input(path, label) as file:
        _check_declared_size(file, label)
        array = _np_load(file, path, label, "a NumPy .npy file")
    if isinstance(array, np.lib.npyio.NpzFile):
        array.close()
        raise RnnInputError(f"{label}: is an .npz archive; give a single array saved with np.save (.npy)")
    if not isinstance(array, np.ndarray):
        raise RnnInputError(f"{label}: does not hold an array")
    if not np.issubdtype(array.dtype, np.number) or np.issubdtype(array.dtype, np.complexfloating) \
            or array.dtype.kind in "mM":
        raise RnnInputError(f"{label}: must hold real numbers, got dtype {array.dtype}")
    if array.dtype.kind == "f" and array.dtype.itemsize > 8:     # long double: may not fit float64
        with np.errstate(over="ignore"):
            if np.any(np.isfinite(array) & ~np.isfinite(array.astype(np.float64))):
                raise RnnInputError(f"{label}: holds values beyond float64's range (±1.8e308)")
    return array


# ------------------------------------------------------------------------------------- writing


def check_output_path(path) -> Path:
    """Raise RnnInputError unless ``path`` can be written: its folder exists, and it is nothing yet
    or a regular file (never a folder, a symbolic link, a FIFO or a device, which a write would
    follow or destroy)."""
    if str(path).endswith(("/", os.sep)):
        raise RnnInputError(f"output file {str(path)!r}: ends with a separator, so names a folder; "
                            "give a file name")
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


def _write_npz(file, arrays: dict) -> None:
    """``np.savez`` for any key (``file`` or ``allow_pickle`` included): one .npy member each."""
    with zipfile.ZipFile(file, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
        for key, value in arrays.items():
            with archive.open(f"{key}.npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, value, allow_pickle=False)


def save_npz(path, arrays: dict) -> None:
    """Write named arrays to an ``.npz`` archive atomically, exactly as given (no pickle)."""
    arrays = _as_arrays(arrays, f"output file {path}")
    write_atomically(path, lambda file: _write_npz(file, arrays))


def save_params(path, params: dict) -> None:
    """Write parameters as float64 to ``.npz`` or a PyTorch ``.pt``/``.pth`` state_dict, atomically."""
    suffix = _suffix(check_params_path(path))
    arrays = {k: v.astype(np.float64) for k, v in _as_arrays(params, f"output file {path}").items()}
    try:
        map_state_dict(arrays)               # what is written must read back: one network, its head
    except RnnInputError as exc:
        raise RnnInputError(f"output file {path}: these are not a network's parameters ({exc}); "
                            "nothing written") from None
    if suffix in NPZ_SUFFIXES:
        save_npz(path, arrays)
        return
    torch = _import_torch("write")
    state = OrderedDict((k, torch.from_numpy(np.ascontiguousarray(v))) for k, v in arrays.items())
    write_atomically(path, lambda file: torch.save(state, file))
