"""Turning one raw batch into rows ready to store, plus the rows refused with their reasons.

This is pure (no database): map columns to fields, convert and range-check them column by
column, keep every unmapped column as metadata, and give each row its identity. Identity is
the external id when there is one, else ``h:`` + a hash of the raw row; the content hash also
covers the mapping, so re-ingesting the same file with a corrected mapping updates in place.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from cxloop.ingest import convert
from cxloop.ingest.fields import (
    CUSTOMER_FIELDS,
    FEEDBACK_FIELDS,
    SCORE_FIELDS,
    FieldSpec,
)
from cxloop.ingest.mapping import Resolution
from cxloop.ingest.readers import BadRow, RawBatch


@dataclass
class Prepared:
    #: Rows ready for storage: canonical fields, ``extra``/``attributes``, ``dedup_key``,
    #: ``content_hash``, and ``_row`` (the row number, dropped before writing).
    rows: list[dict[str, Any]] = field(default_factory=list)
    bad: list[BadRow] = field(default_factory=list)
    #: Feedback only: the same rows column by column (``n`` of them), see prepare_feedback.
    cols: dict[str, list[Any]] = field(default_factory=dict)
    n: int = 0
    #: Feedback only: which rows of the batch ``cols`` holds.
    keep: list[int] = field(default_factory=list)


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def row_signature(columns: list[str], row: list[Any], all_text: bool) -> str:
    """A stable text of the raw row (JSON records: key order does not matter)."""
    if all_text:
        return "\x1f".join(row)
    pairs = sorted(
        (c, convert.as_text(v)) for c, v in zip(columns, row, strict=False) if v is not None
    )
    return "\x1f".join(f"{c}\x1d{v}" for c, v in pairs)


def content_fingerprint(res: Resolution, all_text: bool) -> str:
    """What besides the raw values decides what is stored: the whole mapping for a file
    (its header is fixed), only the kind for records, whose keys vary from call to call
    (there each value is hashed together with the field it maps to)."""
    return (res.fingerprint() if all_text else res.kind) + "\x1e"


def _content_hashes(
    batch: RawBatch,
    res: Resolution,
    all_text: bool,
    sigs: list[str],
    fingerprint: str,
    rows: list[int] | None = None,
) -> list[str]:
    if all_text:
        return [_digest(fingerprint + s) for s in sigs]
    targets = [res.mapping.get(c, "") for c in batch.columns]
    out = []
    for i in rows if rows is not None else range(len(batch.rows)):
        row = batch.rows[i]
        pairs = sorted(
            f"{c}\x1d{t}\x1d{convert.as_text(v)}"
            for c, t, v in zip(batch.columns, targets, row, strict=False)
            if v is not None
        )
        out.append(_digest(fingerprint + "\x1f".join(pairs)))
    return out


def raw_payload(columns: list[str], row: list[Any]) -> dict[str, Any]:
    return {c: convert.json_safe(v) for c, v in zip(columns, row, strict=False)}


def _convert_fields(
    batch: RawBatch,
    res: Resolution,
    specs: tuple[FieldSpec, ...],
    all_text: bool,
) -> tuple[dict[str, list[Any]], dict[int, tuple[str, str]]]:
    """Converted columns per field, and ``{row index: (field, message)}`` (first error wins)."""
    n = len(batch.rows)
    index = {c: i for i, c in enumerate(batch.columns)}
    f2c = res.field_to_column
    columns: list[Any] = list(zip(*batch.rows, strict=True)) if n else [()] * len(batch.columns)
    out: dict[str, list[Any]] = {}
    errors: dict[int, tuple[str, str]] = {}
    for spec in specs:
        col = f2c.get(spec.name)
        if col is None or col not in index:
            out[spec.name] = [None] * n
            continue
        raw: Any = columns[index[col]]
        if spec.name in res.value_maps:
            raw = convert.apply_value_map(raw, res.value_maps[spec.name])
        errs: dict[int, str] = {}
        if spec.type == "str":
            out[spec.name] = convert.texts(raw, all_text)
        elif spec.type in ("int", "float"):
            out[spec.name], errs = convert.numbers(raw, spec, col)
        elif spec.type == "datetime":
            out[spec.name], errs = convert.datetimes(raw, col)
        for i, msg in errs.items():
            errors.setdefault(i, (spec.name, msg))
    return out, errors


def _extra_columns(batch: RawBatch, res: Resolution) -> list[tuple[str, int]]:
    mapped = set(res.mapping)
    return [(c, i) for i, c in enumerate(batch.columns) if c not in mapped]


def _bad(
    batch: RawBatch, i: int, fld: str | None, reason: str, dedup_key: str | None = None
) -> BadRow:
    row = batch.rows[i]
    payload = raw_payload(batch.columns, row)
    return BadRow(
        batch.row_numbers[i],
        reason,
        json.dumps(payload, ensure_ascii=False, sort_keys=True),
        payload,
        fld,
        dedup_key,
    )


@dataclass
class Identity:
    """Who each raw row is, computed before any conversion so that rows already stored
    unchanged can be skipped cheaply (that is what makes a re-ingest fast)."""

    sources: list[Any]
    external_ids: list[Any]
    dedup_keys: list[Any]
    content_hashes: list[Any]
    signatures: list[Any]

    def subset(self, keep: list[int]) -> Identity:
        return Identity(
            *(
                [values[i] for i in keep]
                for values in (
                    self.sources,
                    self.external_ids,
                    self.dedup_keys,
                    self.content_hashes,
                    self.signatures,
                )
            )
        )


def feedback_identity(batch: RawBatch, res: Resolution, all_text: bool) -> Identity:
    index = {c: i for i, c in enumerate(batch.columns)}
    f2c = res.field_to_column
    rows = batch.rows
    n = len(rows)

    def raw_column(name: str) -> list[str | None]:
        col = f2c.get(name)
        if col is None or col not in index:
            return [None] * n
        j = index[col]
        return convert.texts([r[j] for r in rows], all_text)

    if all_text:
        sigs = ["\x1f".join(r) for r in rows]
    else:
        sigs = [row_signature(batch.columns, r, all_text) for r in rows]
    ext_ids = [(e.strip()[:255] or None) if e else None for e in raw_column("external_id")]
    fingerprint = content_fingerprint(res, all_text)
    return Identity(
        sources=[(m.strip() or None) if m else None for m in raw_column("source")],
        external_ids=ext_ids,
        dedup_keys=[e if e else "h:" + _digest(s) for e, s in zip(ext_ids, sigs, strict=True)],
        content_hashes=_content_hashes(batch, res, all_text, sigs, fingerprint),
        signatures=sigs,
    )


def prepare_feedback(
    batch: RawBatch,
    res: Resolution,
    all_text: bool,
    default_channel: str | None = None,
    identity: Identity | None = None,
) -> Prepared:
    """Column-oriented output (``Prepared.cols``): a million rows never become a million
    dicts, which is most of what keeps ingestion inside its time budget."""
    ident = identity or feedback_identity(batch, res, all_text)
    values, errors = _convert_fields(batch, res, FEEDBACK_FIELDS, all_text)
    extra_cols = _extra_columns(batch, res)
    prepared = Prepared(bad=list(batch.bad))
    text, title = values["text"], values["title"]
    scores = [values[s] for s in SCORE_FIELDS]
    keep: list[int] = []
    for i in range(len(batch.rows)):
        if i in errors:
            fld, msg = errors[i]
            prepared.bad.append(_bad(batch, i, fld, msg, ident.dedup_keys[i]))
            continue
        t, ti = text[i], title[i]
        if (
            (t and not t.isspace())
            or (ti and not ti.isspace())
            or any(s[i] is not None for s in scores)
        ):
            keep.append(i)
        else:
            prepared.bad.append(
                _bad(
                    batch,
                    i,
                    "text",
                    "the row has neither text nor any score (nps, csat, ces, rating); fill "
                    "one in, or map the column that holds it with --map COLUMN=FIELD",
                    ident.dedup_keys[i],
                )
            )
    if len(keep) == len(batch.rows):
        rows = batch.rows
        cols = values
    else:
        rows = [batch.rows[i] for i in keep]
        cols = {name: [vals[i] for i in keep] for name, vals in values.items()}
        ident = ident.subset(keep)
    if all_text:
        extras = [{c: r[j] for c, j in extra_cols if r[j]} for r in rows]
    else:
        extras = [
            {c: convert.json_safe(r[j]) for c, j in extra_cols if r[j] is not None} for r in rows
        ]
    cols["external_id"] = ident.external_ids
    cols["source"] = ident.sources
    cols["dedup_key"] = ident.dedup_keys
    cols["content_hash"] = ident.content_hashes
    cols["extra"] = extras
    refs = cols.pop("customer_id")
    cols["customer_ref"] = [r.strip() or None if r else None for r in refs]
    if default_channel is not None:
        cols["channel"] = [c if c is not None else default_channel for c in cols["channel"]]
    cols["_row"] = [batch.row_numbers[i] for i in keep]
    prepared.cols = cols
    prepared.n = len(keep)
    prepared.keep = keep
    return prepared


def prepare_customers(batch: RawBatch, res: Resolution, all_text: bool) -> Prepared:
    values, errors = _convert_fields(batch, res, CUSTOMER_FIELDS, all_text)
    extra_cols = _extra_columns(batch, res)
    fingerprint = content_fingerprint(res, all_text)
    prepared = Prepared(bad=list(batch.bad))
    names = [s.name for s in CUSTOMER_FIELDS]
    for i, row in enumerate(batch.rows):
        if i in errors:
            fld, msg = errors[i]
            prepared.bad.append(_bad(batch, i, fld, msg))
            continue
        ext = values["customer_id"][i]
        ext = ext.strip() if ext else None
        if not ext:
            col = res.field_to_column.get("customer_id", "customer_id")
            prepared.bad.append(
                _bad(
                    batch, i, "customer_id", f"column '{col}' is empty; every customer needs an id"
                )
            )
            continue
        rec = {name: values[name][i] for name in names}
        rec.pop("customer_id")
        rec["external_id"] = ext[:255]
        if rec["status"] is None and rec["churned_at"] is not None:
            rec["status"] = "churned"
        if all_text:
            rec["attributes"] = {c: row[j] for c, j in extra_cols if row[j]}
        else:
            rec["attributes"] = {
                c: convert.json_safe(row[j]) for c, j in extra_cols if row[j] is not None
            }
        sig = row_signature(batch.columns, row, all_text)
        rec["content_hash"] = _content_hashes(batch, res, all_text, [sig], fingerprint, [i])[0]
        rec["_row"] = batch.row_numbers[i]
        prepared.rows.append(rec)
    return prepared


def _dims_key(dims: dict[str, Any]) -> str:
    return json.dumps(dims, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def wide_metric_columns(batch: RawBatch, res: Resolution) -> list[str]:
    """In a wide file, the columns that hold numbers (or that the user called metrics)."""
    forced = [c for c, f in res.mapping.items() if f == "metric"]
    if forced:
        return forced
    out = []
    for j, col in enumerate(batch.columns):
        if col in res.mapping:
            continue
        vals = [r[j] for r in batch.rows if not convert.is_blank(r[j])]
        if vals and all(_is_number(v) for v in vals):
            out.append(col)
    return out


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return True
    try:
        float(str(value).strip().replace(",", ""))
    except ValueError:
        return False
    return True


def _to_float(value: Any) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return float(str(value).strip().replace(",", ""))


def prepare_metrics(batch: RawBatch, res: Resolution, wide: list[str] | None) -> Prepared:
    """Long rows give one metric each; wide rows give one per metric column."""
    prepared = Prepared(bad=list(batch.bad))
    index = {c: i for i, c in enumerate(batch.columns)}
    f2c = res.field_to_column
    period_col = f2c["period"]
    name_col, value_col = f2c.get("name"), f2c.get("value")
    skip = {period_col, name_col, value_col, *(wide or [])}
    dim_cols = [(c, i) for c, i in index.items() if c not in skip and c is not None]
    for i, row in enumerate(batch.rows):
        try:
            start, end, grain = convert.period(row[index[period_col]])
        except ValueError as exc:
            prepared.bad.append(_bad(batch, i, "period", f"column '{period_col}': {exc}"))
            continue
        dims = {c: convert.json_safe(row[j]) for c, j in dim_cols if not convert.is_blank(row[j])}
        dims_key = _dims_key(dims)
        if len(dims_key) > 500:
            prepared.bad.append(
                _bad(
                    batch,
                    i,
                    "dimension",
                    "the dimensions of this row are "
                    "longer than 500 characters; map long columns to extra",
                )
            )
            continue
        pairs: list[tuple[str, Any, str]] = []
        if wide is None:
            assert name_col is not None and value_col is not None
            name = convert.as_text(row[index[name_col]])
            if not name or not name.strip():
                prepared.bad.append(
                    _bad(
                        batch,
                        i,
                        "name",
                        f"column '{name_col}' is empty; every metric value needs a name",
                    )
                )
                continue
            pairs.append((name.strip(), row[index[value_col]], value_col))
        else:
            pairs.extend((c, row[index[c]], c) for c in wide if not convert.is_blank(row[index[c]]))
        problem = None
        out = []
        for name, raw, col in pairs:
            if convert.is_blank(raw):
                problem = (col, f"column '{col}' has no value for metric '{name}'")
                break
            if not _is_number(raw):
                problem = (col, f"column '{col}': '{raw}' is not a number for metric '{name}'")
                break
            out.append(
                {
                    "name": name[:120],
                    "period_start": start,
                    "period_end": end,
                    "grain": grain,
                    "value": _to_float(raw),
                    "dimensions": dims,
                    "dims_key": dims_key,
                    "_row": batch.row_numbers[i],
                }
            )
        if problem:
            prepared.bad.append(_bad(batch, i, "value", problem[1]))
            continue
        prepared.rows.extend(out)
    return prepared
