"""An nwipe / ShredOS log file (``nwipe -l FILE``) -> what was wiped, how, and with what result.

Result::

    {
      "version": str|null,                      # "0.33"
      "options": {"method": str|null, "prng": str|null, "verify": str|null ("off"|"last"|"all"),
                  "rounds": int|null, "noblank": bool|null, "sync": int|null},
      "devices": [{
          "device": "/dev/sda", "name": "sda", "bus": str|null, "model": str|null,
          "serial": str|null, "size_text": str|null, "size_bytes": int|null,
          "sector_size": int|null,
          "status": "erased"|"failed"|"aborted"|"insanity"|null,   # Drive Status table
          "status_raw": str|null,
          "pass_errors": int|null, "verify_errors": int|null, "fsync_errors": int|null,
          "bytes_written": int, "bytes_read": int,
          "passes_started": int, "passes_finished": int,
          "blanked": bool, "verified": bool|null,  # a verification ran and succeeded / failed
          "verifications": int,
          "started_at": str|null, "ended_at": str|null,   # ISO, nwipe's local time (no zone)
          "duration": str|null, "throughput": str|null,
          "errors": [str], "lines": [int]           # line numbers that concern this device
      }],
      "aborted": bool,                          # "Nwipe was aborted by the user"
      "completed": bool,                        # the final summary was written
      "first_timestamp": str|null, "last_timestamp": str|null,
      "unrecognized": [[lineno, text]],         # lines that are not nwipe's (a garbled file)
      "warnings": [str]
    }

The parser never raises; whether a log is good enough to record an erasure is decided by the
caller (``refurb.certificates.import_nwipe``), which refuses garbled files naming the line.
"""

from __future__ import annotations

import re
from typing import Any

_LINE = re.compile(
    r"^\[(\d{4})/(\d{2})/(\d{2}) (\d{2}):(\d{2}):(\d{2})\]\s+"
    r"(info|notice|warning|error|fatal|debug|sanity|nomem|command|perror|unknown)?:?\s?(.*)$"
)
_FOUND = re.compile(r"^Found (/dev/\S+?), (.*)$")
_GEOMETRY = re.compile(r"^(/dev/\S+), sect/blk/dev (\d+)/(\d+)/(\d+)")
_WRITTEN = re.compile(r"^(\d+) bytes written to (/dev/\S+)")
_READ = re.compile(r"^(\d+) bytes read from (/dev/\S+)")
_OPTION = re.compile(r"^\s+(\w+)\s+=\s+(.*?)\s*$")
_VERSION = re.compile(r"^nwipe (\d[\w.\-]*)\s*$")
_SUMMARY_TS = re.compile(r"^\[(\d{4})/(\d{2})/(\d{2}) (\d{2}):(\d{2}):(\d{2})\] Total Throughput")
_TABLE_ROW = re.compile(r"^([! ])\s*(\S+)\s*\|(.*)$")
_DEVICE_IN_TEXT = re.compile(r"(/dev/[\w\-/.]+?)(?=[\s',.:]|$)")

_STATUS = {
    "erased": "erased",
    "-failed-": "failed",
    "failed": "failed",
    "uaborted": "aborted",
    "insanity": "insanity",
}


def _device(devices: dict[str, dict[str, Any]], path: str) -> dict[str, Any]:
    path = path.rstrip("'.,:")
    if path not in devices:
        devices[path] = {
            "device": path,
            "name": path.rsplit("/", 1)[-1],
            "bus": None,
            "model": None,
            "serial": None,
            "size_text": None,
            "size_bytes": None,
            "sector_size": None,
            "status": None,
            "status_raw": None,
            "pass_errors": None,
            "verify_errors": None,
            "fsync_errors": None,
            "bytes_written": 0,
            "bytes_read": 0,
            "passes_started": 0,
            "passes_finished": 0,
            "blanked": False,
            "verified": None,
            "verifications": 0,
            "started_at": None,
            "ended_at": None,
            "duration": None,
            "throughput": None,
            "errors": [],
            "lines": [],
        }
    return devices[path]


def parse(text: str) -> dict[str, Any]:
    """Parse an nwipe log; never raises."""
    result: dict[str, Any] = {
        "version": None,
        "options": {
            "method": None,
            "prng": None,
            "verify": None,
            "rounds": None,
            "noblank": None,
            "sync": None,
        },
        "devices": [],
        "aborted": False,
        "completed": False,
        "first_timestamp": None,
        "last_timestamp": None,
        "unrecognized": [],
        "warnings": [],
    }
    if not isinstance(text, str) or not text.strip():
        result["warnings"].append("empty nwipe log")
        return result
    devices: dict[str, dict[str, Any]] = {}
    table: str | None = None
    in_options = False
    for lineno, raw in enumerate(text.replace("\r\n", "\n").split("\n"), start=1):
        line = raw.rstrip()
        if not line.strip():
            continue
        if "\x00" in line or any(ord(c) < 32 and c != "\t" for c in line):
            result["unrecognized"].append([lineno, line[:120]])
            continue
        if m := _SUMMARY_TS.match(line):
            ts = _iso(m.groups())
            result["last_timestamp"] = ts
            result["completed"] = True
            mode = line.rsplit(",", 1)[-1].strip()
            for dev in devices.values():
                dev["ended_at"] = dev["ended_at"] or ts
            if "NB" in mode.split("+"):
                result["options"]["noblank"] = True
            continue
        m = _LINE.match(line)
        if m:
            table = None
            ts = _iso(m.groups()[:6])
            result["first_timestamp"] = result["first_timestamp"] or ts
            result["last_timestamp"] = ts
            level, message = m.group(7) or "", m.group(8)
            if message.startswith("Program options are set as follows"):
                in_options = True
                continue
            if in_options and message[:1].isspace():
                if o := _OPTION.match(message):
                    _option(result["options"], o.group(1), o.group(2))
                    if o.group(1) == "banner" and (v := re.search(r"(\d[\w.\-]*)", o.group(2))):
                        result["version"] = result["version"] or v.group(1)
                continue
            in_options = False
            _message(result, devices, level, message, ts, lineno)
            continue
        stripped = line.strip()
        if stripped.startswith("*") and "Error Summary" in stripped:
            table = "errors"
            continue
        if stripped.startswith("*") and "Drive Status" in stripped:
            table = "status"
            continue
        if set(stripped) <= set("*-"):
            continue
        if stripped.startswith("!") and "Device |" in stripped:
            continue
        if table and (row := _TABLE_ROW.match(line)) and "|" in row.group(3):
            _table_row(devices, table, row.group(2), row.group(3), lineno)
            continue
        if raw[:1] == " " and result["last_timestamp"]:
            continue  # a wrapped continuation of the previous message (nwipe wraps at 80)
        result["unrecognized"].append([lineno, line[:120]])
    result["devices"] = list(devices.values())
    if not result["devices"]:
        result["warnings"].append("the log names no device")
    if not result["completed"]:
        result["warnings"].append("the log has no final summary: nwipe did not finish")
    return result


def _iso(parts: tuple[str, ...]) -> str:
    y, mo, d, h, mi, s = parts
    return f"{y}-{mo}-{d}T{h}:{mi}:{s}"


def _option(options: dict[str, Any], key: str, value: str) -> None:
    if key == "method":
        options["method"] = value
    elif key == "prng":
        options["prng"] = value
    elif key == "rounds":
        options["rounds"] = _int(value)
    elif key == "sync":
        options["sync"] = _int(value)
    elif key == "verify":
        lowered = value.lower()
        if "last" in lowered:
            options["verify"] = "last"
        elif "all" in lowered:
            options["verify"] = "all"
        elif "off" in lowered or lowered.startswith("0"):
            options["verify"] = "off"
    elif key == "noblank":
        options["noblank"] = value.startswith("1")


def _int(text: str) -> int | None:
    m = re.match(r"\s*(\d+)", text)
    return int(m.group(1)) if m else None


def _message(
    result: dict[str, Any],
    devices: dict[str, dict[str, Any]],
    level: str,
    message: str,
    ts: str,
    lineno: int,
) -> None:
    if m := _VERSION.match(message):
        result["version"] = m.group(1)
        return
    if "aborted by the user" in message:
        result["aborted"] = True
        return
    if m := _FOUND.match(message):
        dev = _device(devices, m.group(1))
        dev["lines"].append(lineno)
        rest = m.group(2)
        serial = None
        if ", S/N=" in rest:
            rest, serial = rest.rsplit(", S/N=", 1)
        parts = [p.strip() for p in rest.split(",")]
        dev["bus"] = parts[0] if parts else None
        if len(parts) >= 3:
            dev["size_text"] = parts[-1]
            dev["model"] = ", ".join(parts[1:-1]) or None
        elif len(parts) == 2:
            dev["model"] = parts[1] or None
        serial = (serial or "").strip()
        dev["serial"] = None if not serial or set(serial) <= set("X?") else serial
        return
    if m := _GEOMETRY.match(message):
        dev = _device(devices, m.group(1))
        dev["lines"].append(lineno)
        dev["sector_size"] = int(m.group(2))
        dev["size_bytes"] = int(m.group(4))
        return
    if m := _WRITTEN.match(message):
        dev = _device(devices, m.group(2))
        dev["lines"].append(lineno)
        dev["bytes_written"] += int(m.group(1))
        return
    if m := _READ.match(message):
        dev = _device(devices, m.group(2))
        dev["lines"].append(lineno)
        dev["bytes_read"] += int(m.group(1))
        return
    found = _DEVICE_IN_TEXT.search(message)
    if not found or found.group(1).rstrip("'.,:") not in devices:
        return  # only devices nwipe announced ("Found ...") count, not /dev/urandom
    dev = devices[found.group(1).rstrip("'.,:")]
    dev["lines"].append(lineno)
    lowered = message.lower()
    if message.startswith("Invoking method"):
        dev["started_at"] = dev["started_at"] or ts
    elif message.startswith("Starting pass"):
        dev["passes_started"] += 1
    elif message.startswith("Finished pass"):
        dev["passes_finished"] += 1
    elif message.startswith("Verifying"):
        dev["verifications"] += 1
    elif "[success] verified" in lowered or message.startswith("Verified pass"):
        dev["verified"] = dev["verified"] is not False
    elif "[success] blanked" in lowered:
        dev["blanked"] = True
    elif (
        "[failure]" in lowered
        or ">>> failure" in lowered
        or (
            "verif" in lowered
            and ("fail" in lowered or "errors on" in lowered)
            and not message.startswith("Status:")
        )
    ):
        if "verif" in lowered:
            dev["verified"] = False
        dev["errors"].append(message)
    elif level in ("error", "fatal"):
        dev["errors"].append(message)
    dev["ended_at"] = ts


def _table_row(
    devices: dict[str, dict[str, Any]], table: str, name: str, rest: str, lineno: int
) -> None:
    match = [d for d in devices.values() if d["name"] == name]
    dev = match[0] if match else _device(devices, "/dev/" + name)
    dev["lines"].append(lineno)
    cells = [c.strip() for c in rest.split("|")]
    if table == "errors" and len(cells) >= 3:
        dev["pass_errors"], dev["verify_errors"], dev["fsync_errors"] = (_int(c) for c in cells[:3])
    elif table == "status" and cells:
        dev["status_raw"] = cells[0]
        dev["status"] = _STATUS.get(cells[0].lower())
        if len(cells) > 1:
            dev["throughput"] = cells[1] or None
        if len(cells) > 2:
            dev["duration"] = cells[2] or None
        if len(cells) > 3 and not dev["model"]:
            model, _, serial = cells[3].rpartition("/")
            dev["model"] = model.strip() or None
            dev["serial"] = dev["serial"] or (serial.strip() or None)
