"""Saving and opening a whole session (network, optimizer, history, position, lesson, layout) as
one ``.bptt`` file. No Qt here: the window calls it, the tests run it without a display.

Format (version :data:`FORMAT_VERSION`)
---------------------------------------
A ``.bptt`` file is a zip archive (members stored or deflated, like ``np.savez``) holding:

- ``session.json``: UTF-8, indented JSON, readable by hand::

      {
        "format": "BPTT Explorer session",
        "version": 1,
        "config":    {name: str | int | float | bool | null, ...},
        "optimizer": {"name": "adam", "lr": 0.01, "hyper": {"betas": [0.9, 0.999], ...},
                      "state": {param: {"step": 10}}},      # integer state; arrays are members
        "position":  {...},      # JSON: forward_done, visits_done, selection, ...
        "lesson":    {...},      # JSON, may be {}
        "extra":     {...},      # JSON, for future fields
        "compared":  {"changes": {"cell": "lstm"}, "label": "LSTM",       # optional: side B of
                      "optimizer": {...}},                                # an A/B comparison
        "arrays": {              # the index: which member holds which array
          "params":    {"weight_ih_l0": "params/weight_ih_l0.npy", ...},
          "optimizer": {"weight_ih_l0": {"exp_avg": "optimizer/weight_ih_l0/exp_avg.npy", ...}},
          "history":   {"loss": "history/loss.npy", "grad_norm": ..., "clipped": ...,
                        "cosine": ...},
          "layout":    "layout.npy",
          "compared":  {"params": {...}, "optimizer": {...}, "history": {...}}  # B's, under compared/
        }
      }

- one ``.npy`` member per array: parameters (real floating point, finite), optimizer state
  arrays (real floating point), history columns (1-D, equal lengths: ``loss``, ``grad_norm`` and
  ``cosine`` float64, ``clipped`` bool), the window layout blob as a 1-D ``uint8`` array, and the
  user's own data when the session uses it (``arrays.data``: numeric arrays; what they are is
  described in ``extra.data``, :func:`rnn.user_data.data_document`).

Writing (:func:`write_session`) is atomic: the archive goes to a temporary file in the target's
folder, is fsynced, then replaces the target with ``os.replace``; on any failure the old file is
untouched and the temporary file removed. The file is always written in the current format.

Reading (:func:`read_session`) never unpickles (``allow_pickle=False``) and never trusts declared
sizes: every member's declared uncompressed size, and their total, must be within ``max_bytes``
before anything is decompressed, and each ``.npy`` header's shape must match the bytes really
there before an array is allocated. Every problem is a :class:`SessionFileError` with a one-line
message. A file of an older version, or lacking optional parts (``position``, ``lesson``,
``extra``, ``history``, ``layout``, optimizer state), opens with defaults and says what was missing
in :attr:`SessionDocument.notes`; a file of a newer version is refused.

``config`` values are only checked to be JSON scalars; what they mean is the caller's business.
"""

from __future__ import annotations

import io
import json
import math
import os
import re
import stat
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.lib import format as npy_format

from rnn.errors import RnnInputError
from rnn.io import check_output_path, write_atomically
from rnn.optim import optimizer_from_state_dict

FORMAT_VERSION = 1
FORMAT_NAME = "BPTT Explorer session"
SUFFIX = ".bptt"
DEFAULT_MAX_BYTES = 2 * 1024**3
MAX_MEMBERS = 100_000

HISTORY_COLUMNS = ("loss", "grad_norm", "clipped", "cosine")
_HISTORY_DTYPES = {"loss": np.dtype(np.float64), "grad_norm": np.dtype(np.float64),
                   "clipped": np.dtype(np.bool_), "cosine": np.dtype(np.float64)}
_HISTORY_FILL = {"loss": np.nan, "grad_norm": np.nan, "clipped": False, "cosine": np.nan}

_JSON_MEMBER = "session.json"
_LAYOUT_MEMBER = "layout.npy"
_TOP_KEYS = ("format", "version", "config", "optimizer", "position", "lesson", "extra", "compared", "arrays")
_OPTIONAL_OBJECTS = ("position", "lesson", "extra")
_DATA_KINDS = "fiub"      # the user's data: floats, integers (class indices, characters), booleans
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*\Z")
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # fixed, so the same document gives the same bytes

# What the zip and .npy readers raise on corrupt or cut-short data (not programming errors).
_CORRUPT = (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, struct.error,
            NotImplementedError, zlib.error, KeyError, IndexError, OverflowError, MemoryError,
            RecursionError, UnicodeError, SyntaxError)


class SessionFileError(RnnInputError):
    """A session file cannot be written or read: a one-line message naming the problem."""


@dataclass(eq=False)
class SessionDocument:
    """Everything in one session file. ``eq=False``: compare fields (arrays) yourself.

    ``notes`` is filled by :func:`read_session` (what was missing or ignored) and never written.
    """

    version: int = FORMAT_VERSION
    config: dict = field(default_factory=dict)
    params: dict = field(default_factory=dict)        # name -> real floating-point array
    optimizer: dict = field(default_factory=dict)     # an Optimizer.state_dict()
    history: dict = field(default_factory=dict)       # {} or all of HISTORY_COLUMNS, 1-D
    position: dict = field(default_factory=dict)
    lesson: dict = field(default_factory=dict)
    layout: bytes = b""
    extra: dict = field(default_factory=dict)
    data: dict = field(default_factory=dict)          # the user's own data: name -> numeric array
    compared: "ComparedDocument | None" = None        # side B of an A/B comparison
    notes: list = field(default_factory=list)


@dataclass(eq=False)
class ComparedDocument:
    """Side B of an A/B comparison: the fields it changes from A's configuration (JSON scalars), its
    label, and its own weights, optimizer state and history (the same forms as A's)."""

    changes: dict = field(default_factory=dict)
    label: str = ""
    params: dict = field(default_factory=dict)
    optimizer: dict = field(default_factory=dict)
    history: dict = field(default_factory=dict)


# ------------------------------------------------------------------------------------ helpers


def _one_line(exc: BaseException) -> str:
    text = next((line.strip() for line in str(exc).splitlines() if line.strip()), "")
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _kind(value) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, (list, tuple)):
        return "a list"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (int, float)):
        return "a number"
    return f"a {type(value).__name__}"


def _check_scalar(where: str, value) -> None:
    if value is None or isinstance(value, (bool, str, int)):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise SessionFileError(f"{where} must be finite, got {value!r}")
        return
    raise SessionFileError(f"{where} must be a string, number, true/false or null, "
                           f"got {_kind(value)}")


def _check_json(where: str, value, depth: int = 0) -> None:
    """Raise SessionFileError unless ``value`` is plain JSON (dict keys str, finite floats)."""
    if depth > 64:
        raise SessionFileError(f"{where}: nested too deeply")
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise SessionFileError(f"{where}: key {key!r} is not a string")
            _check_json(f"{where}.{key}", item, depth + 1)
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            _check_json(f"{where}[{i}]", item, depth + 1)
    else:
        _check_scalar(where, value)


def _check_object(where: str, value) -> dict:
    if not isinstance(value, dict):
        raise SessionFileError(f"{where} must be an object, got {_kind(value)}")
    _check_json(where, value)
    return value


def _check_config(where: str, config) -> dict:
    if not isinstance(config, dict):
        raise SessionFileError(f"{where} must be an object, got {_kind(config)}")
    for key, value in config.items():
        if not isinstance(key, str):
            raise SessionFileError(f"{where}: key {key!r} is not a string")
        _check_scalar(f"{where}.{key}", value)
    return config


def _check_name(what: str, name) -> str:
    if not isinstance(name, str) or not _NAME.match(name) or name in (".", ".."):
        raise SessionFileError(f"{what} name {name!r} is not a plain name "
                               "(letters, digits, '_', '.', '-')")
    return name


def _restore_optimizer(where: str, state: dict, params: dict) -> dict:
    """The optimizer state dict, validated and normalised; its arrays must fit ``params``."""
    try:
        normalised = optimizer_from_state_dict(state).state_dict()
    except RnnInputError as exc:
        raise SessionFileError(f"{where}: {exc}") from None
    for name, entry in normalised["state"].items():
        if name not in params:
            raise SessionFileError(f"{where}: state for {name!r}, which is not a parameter")
        for key, value in entry.items():
            if isinstance(value, np.ndarray) and value.shape != params[name].shape:
                raise SessionFileError(f"{where}: {name}.{key} has shape {value.shape}, "
                                       f"the parameter {params[name].shape}")
    return normalised


# ------------------------------------------------------------------------------------ writing


def check_session_target(path) -> Path:
    """``path`` as a Path, or SessionFileError unless a session file may be written there."""
    try:
        return check_output_path(path)
    except RnnInputError as error:
        raise SessionFileError(str(error).replace("output file", "session file", 1)) from None


def _npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    npy_format.write_array(buffer, np.ascontiguousarray(array), allow_pickle=False)
    return buffer.getvalue()


def _plan(document: SessionDocument) -> tuple[dict, list]:
    """Validate ``document``: the session.json dict and the (member, array) list to write."""
    if not isinstance(document, SessionDocument):
        raise SessionFileError(f"not a SessionDocument: {type(document).__name__}")
    config = _check_config("config", document.config)
    objects = {key: _check_object(key, getattr(document, key)) for key in _OPTIONAL_OBJECTS}

    members: list[tuple[str, np.ndarray]] = []
    index, optimizer = _plan_network("", document, members)
    index["layout"] = _LAYOUT_MEMBER
    compared = document.compared
    if compared is not None:
        if not isinstance(compared, ComparedDocument):
            raise SessionFileError(f"compared must be a ComparedDocument, got {type(compared).__name__}")
        index["compared"], b_optimizer = _plan_network("compared/", compared, members)
        if not isinstance(compared.label, str):
            raise SessionFileError(f"compared label must be a string, got {_kind(compared.label)}")
        objects["compared"] = {"changes": _check_config("compared changes", compared.changes),
                               "label": compared.label, "optimizer": b_optimizer}

    if not isinstance(document.data, dict):
        raise SessionFileError(f"data must be a dict, got {type(document.data).__name__}")
    for name, value in document.data.items():
        _check_name("data array", name)
        if not isinstance(value, np.ndarray) or value.dtype.kind not in _DATA_KINDS:
            raise SessionFileError(f"data array {name}: must be a numeric array")
        index.setdefault("data", {})[name] = member = f"data/{name}.npy"
        members.append((member, value))

    if not isinstance(document.layout, (bytes, bytearray, memoryview)):
        raise SessionFileError(f"layout must be bytes, got {type(document.layout).__name__}")
    members.append((_LAYOUT_MEMBER, np.frombuffer(bytes(document.layout), dtype=np.uint8)))

    text = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "config": config,
        "optimizer": optimizer,
        **objects,
        "arrays": index,
    }
    return text, members


def _plan_network(prefix: str, part, members: list) -> tuple[dict, dict]:
    """Validate one network's ``params``, ``optimizer`` and ``history`` (of a SessionDocument, or
    ``prefix`` "compared/": side B's) and add their arrays to ``members``: its part of the index and
    the optimizer's JSON (its scalars; its arrays are members)."""
    index: dict = {"params": {}, "optimizer": {}, "history": {}}
    what = "compared " if prefix else ""
    if not isinstance(part.params, dict):
        raise SessionFileError(f"{what}params must be a dict, got {type(part.params).__name__}")
    params = {}
    for name, value in part.params.items():
        _check_name(f"{what}parameter", name)
        if not isinstance(value, np.ndarray) or value.dtype.kind != "f":
            raise SessionFileError(f"{what}parameter {name}: must be a real floating-point array")
        if not np.all(np.isfinite(value)):
            raise SessionFileError(f"{what}parameter {name}: holds NaN or Inf")
        params[name] = value
        index["params"][name] = member = f"{prefix}params/{name}.npy"
        members.append((member, value))

    optimizer = _restore_optimizer(f"{what}optimizer", part.optimizer, params)
    scalars: dict = {}
    for name, entry in optimizer["state"].items():
        for key, value in entry.items():
            if isinstance(value, np.ndarray):
                member = f"{prefix}optimizer/{name}/{key}.npy"
                index["optimizer"].setdefault(name, {})[key] = member
                members.append((member, value))
            else:
                scalars.setdefault(name, {})[key] = value
        if not entry:
            scalars.setdefault(name, {})

    history = part.history
    if not isinstance(history, dict):
        raise SessionFileError(f"{what}history must be a dict, got {type(history).__name__}")
    if history:
        if set(history) != set(HISTORY_COLUMNS):
            raise SessionFileError(f"{what}history must have exactly the columns "
                                   f"{', '.join(HISTORY_COLUMNS)} (or none), got "
                                   f"{', '.join(map(str, history))}")
        lengths = set()
        for column in HISTORY_COLUMNS:
            value = history[column]
            if not isinstance(value, np.ndarray) or value.ndim != 1 \
                    or value.dtype != _HISTORY_DTYPES[column]:
                raise SessionFileError(f"{what}history {column}: must be a 1-D "
                                       f"{_HISTORY_DTYPES[column]} array")
            lengths.add(len(value))
            index["history"][column] = member = f"{prefix}history/{column}.npy"
            members.append((member, value))
        if len(lengths) > 1:
            raise SessionFileError(f"{what}history columns have different lengths {sorted(lengths)}")
    return index, {"name": optimizer["name"], "lr": optimizer["lr"], "hyper": optimizer["hyper"], "state": scalars}


def write_session(path, document: SessionDocument) -> None:
    """Write ``document`` to ``path`` (a ``.bptt`` zip, see the module docstring), atomically.

    SessionFileError for an invalid document, a target that is a symlink, FIFO, device or folder,
    a folder that does not exist, or an OS error while writing; the old file is then untouched.
    """
    text, members = _plan(document)
    path = check_session_target(path)
    blob = json.dumps(text, indent=2, ensure_ascii=False, allow_nan=False).encode("utf-8") + b"\n"

    def write(file):
        with zipfile.ZipFile(file, "w") as archive:
            for name, data in [(_JSON_MEMBER, blob)] + [(m, _npy_bytes(a)) for m, a in members]:
                info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                archive.writestr(info, data)
    try:
        write_atomically(path, write)
    except RnnInputError as error:
        raise SessionFileError(str(error).replace("output file", "session file", 1)) from None


# ------------------------------------------------------------------------------------ reading


class _Archive:
    """The zip's members, every one checked against the size limit before anything is read."""

    def __init__(self, archive: zipfile.ZipFile, max_bytes: int) -> None:
        self.archive = archive
        infos = archive.infolist()
        if len(infos) > MAX_MEMBERS:
            raise SessionFileError(f"has {len(infos)} members, more than {MAX_MEMBERS}")
        total = 0
        self.infos: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            if info.file_size > max_bytes:
                raise SessionFileError(f"member {info.filename} declares {info.file_size} bytes "
                                       f"uncompressed, more than the limit of {max_bytes}")
            total += info.file_size
            if total > max_bytes:
                raise SessionFileError(f"members declare more than the limit of {max_bytes} "
                                       "bytes uncompressed in total")
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise SessionFileError(f"member {info.filename} uses an unsupported "
                                       f"compression method ({info.compress_type})")
            if info.flag_bits & 0x1:
                raise SessionFileError(f"member {info.filename} is encrypted")
            self.infos[info.filename] = info
        self.used: set[str] = set()

    def read(self, member: str) -> bytes:
        if not isinstance(member, str):
            raise SessionFileError(f"session.json: member name {member!r} is not a string")
        info = self.infos.get(member)
        if info is None:
            raise SessionFileError(f"member {member} is missing")
        self.used.add(member)
        try:
            data = self.archive.read(info)  # zipfile stops at the declared size and checks CRC
        except _CORRUPT as exc:
            raise SessionFileError(f"member {member} is corrupt or cut short "
                                   f"({_one_line(exc)})") from None
        if len(data) != info.file_size:
            raise SessionFileError(f"member {member} holds {len(data)} bytes, "
                                   f"its entry says {info.file_size}")
        return data

    def array(self, member: str, kinds: str, what: str) -> np.ndarray:
        """The array in ``member``; its dtype kind must be in ``kinds`` (e.g. "f", "b", "u")."""
        data = self.read(member)
        buffer = io.BytesIO(data)
        try:
            version = npy_format.read_magic(buffer)
            if version == (1, 0):
                shape, fortran, dtype = npy_format.read_array_header_1_0(buffer)
            elif version == (2, 0):
                shape, fortran, dtype = npy_format.read_array_header_2_0(buffer)
            else:
                raise SessionFileError(f"member {member}: unsupported .npy version {version}")
        except SessionFileError:
            raise
        except (*_CORRUPT, TypeError) as exc:  # a malformed header
            raise SessionFileError(f"member {member}: not a valid .npy array "
                                   f"({_one_line(exc)})") from None
        if dtype.hasobject:
            raise SessionFileError(f"member {member}: {what} holds pickled Python objects "
                                   "(an object array), which are not read for safety")
        if dtype.kind not in kinds or dtype.fields is not None or dtype.subdtype is not None:
            raise SessionFileError(f"member {member}: {what} has the wrong dtype {dtype}")
        count = math.prod(shape)
        if any(n < 0 for n in shape) or count * dtype.itemsize != len(data) - buffer.tell():
            raise SessionFileError(f"member {member}: its header declares shape {shape} "
                                   f"({count * dtype.itemsize} bytes) but "
                                   f"{len(data) - buffer.tell()} bytes follow")
        buffer.seek(0)
        try:
            array = npy_format.read_array(buffer, allow_pickle=False)
        except (*_CORRUPT, TypeError) as exc:
            raise SessionFileError(f"member {member}: not a valid .npy array "
                                   f"({_one_line(exc)})") from None
        if not array.dtype.isnative:
            array = array.astype(array.dtype.newbyteorder("="))
        return array


def _reject_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


def _parse_json(data: bytes) -> dict:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise SessionFileError(f"{_JSON_MEMBER}: not UTF-8 text") from None
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise SessionFileError(f"{_JSON_MEMBER}: not valid JSON (line {exc.lineno})") from None
    except (ValueError, RecursionError) as exc:
        raise SessionFileError(f"{_JSON_MEMBER}: not valid JSON ({_one_line(exc)})") from None
    if not isinstance(value, dict):
        raise SessionFileError(f"{_JSON_MEMBER}: must hold a JSON object, got {_kind(value)}")
    return value


def _index_part(arrays: dict, key: str, notes: list, missing_note: str) -> dict:
    if key not in arrays:
        notes.append(missing_note)
        return {}
    part = arrays[key]
    if not isinstance(part, dict):
        raise SessionFileError(f"{_JSON_MEMBER}: arrays.{key} must be an object, got {_kind(part)}")
    return part


def _read_document(archive: _Archive) -> SessionDocument:
    doc = _parse_json(archive.read(_JSON_MEMBER))
    where = _JSON_MEMBER
    notes: list[str] = []

    if "format" in doc and doc["format"] != FORMAT_NAME:
        raise SessionFileError(f"{where}: format is {doc['format']!r}, not {FORMAT_NAME!r}")
    if "version" not in doc:
        raise SessionFileError(f"{where}: has no version")
    version = doc["version"]
    if isinstance(version, bool) or not isinstance(version, int):
        raise SessionFileError(f"{where}: version must be an integer, got {version!r}")
    if version > FORMAT_VERSION:
        raise SessionFileError(f"made by a newer version of BPTT Explorer (format {version}; "
                               f"this one reads up to {FORMAT_VERSION})")
    if version < 0:
        raise SessionFileError(f"{where}: version {version} is not valid")
    if version < FORMAT_VERSION:
        notes.append(f"written in the older format {version}; opened as format {FORMAT_VERSION}")
    unknown = [key for key in doc if key not in _TOP_KEYS]
    if unknown:
        notes.append(f"{where}: ignored unknown key(s) {', '.join(map(str, unknown))}")

    for key in ("config", "optimizer", "arrays"):
        if key not in doc:
            raise SessionFileError(f"{where}: has no {key}")
    config = _check_config(f"{where}: config", doc["config"])
    objects = {}
    for key in _OPTIONAL_OBJECTS:
        if key in doc:
            objects[key] = _check_object(f"{where}: {key}", doc[key])
        else:
            objects[key] = {}
            notes.append(f"{where} has no {key}; using an empty one")
    arrays = doc["arrays"]
    if not isinstance(arrays, dict):
        raise SessionFileError(f"{where}: arrays must be an object, got {_kind(arrays)}")
    if "params" not in arrays:
        raise SessionFileError(f"{where}: arrays has no params")

    params, optimizer, history = _read_network(archive, arrays, doc["optimizer"], "", notes)
    compared = None
    if "compared" in doc:                 # side B of an A/B comparison
        part = _check_object(f"{where}: compared", doc["compared"])
        for key in ("changes", "label", "optimizer"):
            if key not in part:
                raise SessionFileError(f"{where}: compared has no {key}")
        if not isinstance(part["label"], str):
            raise SessionFileError(f"{where}: compared.label must be a string, got {_kind(part['label'])}")
        b_arrays = _index_part(arrays, "compared", notes, "")
        if "params" not in b_arrays:
            raise SessionFileError(f"{where}: arrays.compared has no params")
        b_params, b_optimizer, b_history = _read_network(archive, b_arrays, part["optimizer"], "compared ", notes)
        compared = ComparedDocument(_check_config(f"{where}: compared.changes", part["changes"]), part["label"],
                                    b_params, b_optimizer, b_history)

    layout = b""
    if "layout" in arrays:
        member = arrays["layout"]
        array = archive.array(member, "u", "the layout")
        if array.ndim != 1 or array.dtype != np.uint8:
            raise SessionFileError(f"member {member}: the layout must be a 1-D uint8 array")
        layout = array.tobytes()
    else:
        notes.append("the file has no window layout; using the default one")
    data = {}
    if "data" in arrays:               # the user's own data (absent for the ready-made tasks)
        for name, member in _index_part(arrays, "data", notes, "").items():
            data[_check_name(f"{where}: data array", name)] = archive.array(member, _DATA_KINDS, f"data array {name}")
    unknown = [key for key in arrays if key not in ("params", "optimizer", "history", "layout", "data", "compared")]
    if unknown:
        notes.append(f"{where}: ignored unknown arrays {', '.join(map(str, unknown))}")
    unused = sorted(set(archive.infos) - archive.used)
    if unused:
        notes.append(f"ignored {len(unused)} member(s) not in the index: {', '.join(unused[:5])}")

    return SessionDocument(version=version, config=config, params=params, optimizer=optimizer,
                           history=history, layout=layout, data=data, compared=compared, notes=notes, **objects)


def _read_network(archive: _Archive, arrays: dict, optimizer, what: str, notes: list) -> tuple[dict, dict, dict]:
    """One network's weights, optimizer state and history (``what``: "" for A's, "compared " for
    side B's), from its part of the index ``arrays`` and its optimizer's JSON."""
    where = _JSON_MEMBER
    params = {}
    for name, member in _index_part(arrays, "params", notes, "").items():
        _check_name(f"{where}: {what}parameter", name)
        array = archive.array(member, "f", f"{what}parameter {name}")
        if not np.all(np.isfinite(array)):
            raise SessionFileError(f"member {member}: {what}parameter {name} holds NaN or Inf")
        params[name] = array

    if not isinstance(optimizer, dict):
        raise SessionFileError(f"{where}: {what}optimizer must be an object, got {_kind(optimizer)}")
    optimizer = dict(optimizer)
    scalars = optimizer.get("state", {})
    if not isinstance(scalars, dict):
        raise SessionFileError(f"{where}: optimizer.state must be an object, got {_kind(scalars)}")
    state: dict = {}
    for name, entry in scalars.items():
        if not isinstance(entry, dict):
            raise SessionFileError(f"{where}: optimizer.state.{name} must be an object, "
                                   f"got {_kind(entry)}")
        state[name] = dict(entry)
    stored = _index_part(arrays, "optimizer", notes,
                         f"the file has no {what}optimizer state; the optimizer starts afresh")
    for name, entry in stored.items():
        if not isinstance(entry, dict):
            raise SessionFileError(f"{where}: arrays.optimizer.{name} must be an object, "
                                   f"got {_kind(entry)}")
        for key, member in entry.items():
            if key in state.get(name, {}):
                raise SessionFileError(f"{where}: optimizer state {name}.{key} is given twice")
            state.setdefault(name, {})[key] = archive.array(member, "f", f"{what}optimizer {name}.{key}")
    optimizer["state"] = state
    optimizer = _restore_optimizer(f"{where}: {what}optimizer", optimizer, params)

    history = {}
    columns = _index_part(arrays, "history", notes, f"the file has no {what}training history")
    for column, member in columns.items():
        if column not in HISTORY_COLUMNS:
            notes.append(f"ignored the unknown history column {column!r}")
            continue
        dtype = _HISTORY_DTYPES[column]
        array = archive.array(member, dtype.kind, f"{what}history {column}")
        if array.ndim != 1 or array.dtype != dtype:
            raise SessionFileError(f"member {member}: history {column} must be a 1-D {dtype} "
                                   f"array, got {array.ndim}-D {array.dtype}")
        history[column] = array
    lengths = {len(a) for a in history.values()}
    if len(lengths) > 1:
        raise SessionFileError(f"{what}history columns have different lengths {sorted(lengths)}")
    if history and len(history) < len(HISTORY_COLUMNS):
        length = lengths.pop()
        for column in HISTORY_COLUMNS:
            if column not in history:
                history[column] = np.full(length, _HISTORY_FILL[column], _HISTORY_DTYPES[column])
                notes.append(f"the history has no {column} column; filled with "
                             f"{_HISTORY_FILL[column]}")
        history = {column: history[column] for column in HISTORY_COLUMNS}
    return params, optimizer, history


def _open_regular(path: Path) -> int:
    """A read-only descriptor on ``path``, or SessionFileError unless it is a regular file."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise SessionFileError(f"session file {path}: no such file") from None
    except OSError as exc:
        raise SessionFileError(f"session file {path}: cannot open it ({_one_line(exc)})") from None
    if stat.S_ISDIR(info.st_mode):
        raise SessionFileError(f"session file {path}: is a folder")
    if not stat.S_ISREG(info.st_mode):
        raise SessionFileError(f"session file {path}: is not a regular file")
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)  # non-blocking: a FIFO swapped in now cannot hang us
    except OSError as exc:
        raise SessionFileError(f"session file {path}: cannot open it ({_one_line(exc)})") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise SessionFileError(f"session file {path}: is not a regular file")
    return fd


def read_session(path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> SessionDocument:
    """Open the session file at ``path`` (see the module docstring); SessionFileError if bad.

    ``max_bytes`` bounds each member's and all members' declared uncompressed size.
    """
    path = Path(path)
    fd = _open_regular(path)
    try:
        with os.fdopen(fd, "rb") as file:
            try:
                archive = zipfile.ZipFile(file)
            except _CORRUPT as exc:
                raise SessionFileError(f"session file {path}: not a session file, or corrupt or "
                                       f"cut short ({_one_line(exc)})") from None
            with archive:
                return _read_document(_Archive(archive, max_bytes))
    except SessionFileError as exc:
        text = str(exc)
        if text.startswith(f"session file {path}:"):
            raise
        raise SessionFileError(f"session file {path}: {text}") from None
    except _CORRUPT as exc:  # corrupt data met outside the guarded reads
        raise SessionFileError(f"session file {path}: corrupt ({_one_line(exc)})") from None
