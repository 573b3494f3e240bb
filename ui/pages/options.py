"""Options page: the enterprise's options in an editable table, validated as on import.

Nothing is saved until every cell is valid (``store.edits.save_options`` validates as on import,
all-or-nothing); bad cells are shown in red beside a table that says why.  A save based on options
that someone else saved meanwhile is refused: the page says what changed and keeps the edit to
reapply or discard (optimistic concurrency, see ``store.edits``).  Options are deleted (with their scores and
stored appraisals, ``store.io.delete_options``) after an explicit confirmation.  Files (CSV, XLSX, Parquet, an IAC workbook)
are imported through the same path; the table downloads in the same formats.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st

from screening.schema import CATEGORIES, STATUSES, ValidationError, columns
from store.errors import StoreError
from store.io import (
    ImportFileError,
    UnknownOptionError,
    read_files,
    to_export_frame,
)
from store.edits import SaveConflictError, StaleEditError, describe_changes, edit_changes, reapply
from store.readers import read_bytes_limit_message
from store.seed import DEMO_FILES
from ui import data
from ui.roles import may_import, read_only_reason
from ui.state import db_cursor, enterprise_id, scoped
from ui.widgets import MIME, column_config, error_table, highlight_errors, md_text

st.title("Options")
cur = db_cursor()
version = data.data_version(cur)
eid = enterprise_id()
_grants = cur.grants()
can_import = may_import(_grants)
writable = eid is not None and cur.may_write(eid)  # asked per user: never from a shared cache

# --- upload -------------------------------------------------------------------------------
if can_import:
    with st.expander("Import files (CSV, XLSX, Parquet, or an IAC workbook)", expanded=eid is None):
        st.caption("Each file's kind (enterprises, options, assessors' scores) is recognised from its columns. "
                   "All files go in together: one bad cell anywhere and nothing is stored.")
        uploads = st.file_uploader("Files", type=["csv", "xlsx", "xlsm", "parquet"], accept_multiple_files=True,
                                   key=f"upload_files-{st.session_state.get('upload_round', 0)}")
        if st.button("Import", disabled=not uploads, key="import_button"):
            bar = st.progress(0.0, text="Reading files")
            try:
                too_big = read_bytes_limit_message(sum(up.size for up in uploads))
                if too_big:
                    raise ImportFileError(f"the files are {too_big}")
                with tempfile.TemporaryDirectory() as tmp:
                    paths = []
                    for up in uploads:
                        p = Path(tmp) / Path(up.name).name
                        p.write_bytes(up.getvalue())
                        paths.append(p)
                    batch = read_files(paths)
                    bar.progress(0.4, text="Validating and storing")
                    report = cur.import_batch(batch)
                bar.progress(1.0, text="Done")
                st.session_state["upload_round"] = st.session_state.get("upload_round", 0) + 1  # empty the uploader
                st.session_state["import_message"] = (
                    f"Imported {report.enterprises} enterprise(s), {report.options} option(s), "
                    f"{report.assessor_scores} assessor score(s)."
                    + ("  " + " ".join(report.notes) if report.notes else "")
                )
                st.rerun()
            except ValidationError as exc:
                bar.empty()
                errs = exc.frame()
                shown_n = min(len(errs), 1000)
                st.error(f"Nothing was imported: {exc.count:,} bad cell(s). Fix them in the file and import again."
                         + (f" The first {shown_n:,} are shown; download the list for all of them." if shown_n < len(errs) else ""))
                st.dataframe(errs.head(shown_n), hide_index=True, width="stretch")
                st.download_button("Download every bad cell (CSV)", data=errs.to_csv(index=False).encode("utf-8"),
                                   file_name="import_errors.csv", mime=MIME["csv"], key="download_import_errors")
            except (ImportFileError, StoreError) as exc:
                bar.empty()
                st.error(f"Nothing was imported: {exc}")
            except duckdb.TransactionException:  # a write-write conflict with a save in another session
                bar.empty()
                st.error("Nothing was imported: another session was saving the same options at that moment. Import again.")
else:
    st.caption("Importing files needs a member role for an enterprise (or an administrator's): your role reads data only.")
if msg := st.session_state.pop("import_message", None):
    st.success(msg)

# The templates are always here (not only on an empty database): a team adding a second enterprise
# or a new batch of options needs the import columns as much as a first-time user.
t1, t2, t3 = st.columns(3)
for col, table in ((t1, "enterprises"), (t2, "options")):
    col.download_button(f"Template: {table} (CSV)", data=(",".join(columns(table)) + "\n").encode("utf-8"),
                        file_name=f"{table}_template.csv", mime=MIME["csv"], key=f"template_{table}",
                        icon=":material/download:", help=f"An empty {table} file with the columns the import expects.")
if eid is None:
    st.info("No enterprise is stored yet: import an enterprises file (and its options) above. The templates "
            "have the columns the import expects (hover a column in the table after import for its meaning and unit).")
    if cur.is_admin() and t3.button("Load the demo data", key="load_demo", help="Three demo enterprises (NL, DK, CN) with their options and scores."):
        report = cur.import_files([str(p) for p in DEMO_FILES])
        st.session_state["import_message"] = (f"Loaded the demo data: {report.enterprises} enterprise(s), "
                                              f"{report.options} option(s), {report.assessor_scores} assessor score(s).")
        st.rerun()
    st.stop()

# --- filters and the editable table -------------------------------------------------------
# The editor starts from a snapshot of the stored options read with its revision (store.edits).
# The snapshot is kept per enterprise in the session: while the user has an unsaved edit, a save
# made elsewhere does not replace the table under them (their edit would vanish); it is shown as
# what changed, and the user reapplies the edit on the saved options or discards it.  A save
# based on a stale snapshot is refused by the store, inside the transaction that would write.
snap = cur.load_options(eid)
opts = snap.options
if not writable:  # a viewer or a programme officer: the table to read, nothing offered that the store would refuse
    ents = data.enterprises(cur, version)
    _jur = dict(zip(ents["enterprise_id"], ents["jurisdiction"])).get(eid)
    st.info(read_only_reason(cur.grants(), eid, _jur), icon=":material/visibility:")
    f1, f2 = st.columns(2)
    cats = f1.multiselect("Category", list(CATEGORIES), key=scoped("filter_category", eid), placeholder="All categories")
    stats = f2.multiselect("Status", list(STATUSES), key=scoped("filter_status", eid), placeholder="All statuses")
    shown = opts
    if cats:
        shown = shown[shown["category"].isin(cats)]
    if stats:
        shown = shown[shown["status"].isin(stats)]
    currency = dict(zip(ents["enterprise_id"], ents["currency"])).get(eid)
    st.caption(f"{len(shown)} of {len(opts)} option(s) of **{md_text(eid)}**. Hover a column header for its meaning and unit.")
    st.dataframe(shown.reset_index(drop=True), column_config=column_config("options", currency if isinstance(currency, str) and currency else None),
                 hide_index=True, width="stretch", key="options_read_only")
else:
    bases: dict = st.session_state.setdefault("options_edit_base", {})
    # a new filter gives a new table (editor): while an edit is unsaved the filters are held, so it is not dropped
    _last = st.session_state.get("options_editor_shown") or ""
    _round = (bases.get(eid) or {}).get("round")
    held = _round is not None and _last.startswith(f"options_editor-{eid}-{_round}-") and (
        bool((bases.get(eid) or {}).get("reapplied"))
        or any((st.session_state.get(_last) or {}).get(k) for k in ("edited_rows", "added_rows", "deleted_rows")))
    hold_help = "Save or discard your edit first: another filter starts a new table." if held else None
    f1, f2 = st.columns(2)
    cats = f1.multiselect("Category", list(CATEGORIES), key=scoped("filter_category", eid), placeholder="All categories",
                          disabled=held, help=hold_help)
    stats = f2.multiselect("Status", list(STATUSES), key=scoped("filter_status", eid), placeholder="All statuses",
                           disabled=held, help=hold_help)


    def _editor_key(b: dict) -> str:
        return f"options_editor-{eid}-{b['round']}-{'/'.join(cats)}-{'/'.join(stats)}"


    def _pending(b: dict) -> bool:
        """True while the editor holds an edit not saved yet."""
        state = st.session_state.get(_editor_key(b)) or {}
        return b["reapplied"] or any(state.get(k) for k in ("edited_rows", "added_rows", "deleted_rows"))


    def _fresh(after_round: int, frame, revision: str) -> dict:
        return {"revision": revision, "saved": frame, "start": frame, "round": after_round + 1, "reapplied": False}


    base = bases.get(eid)
    if base is None or (base["revision"] != snap.revision and not _pending(base)):
        base = bases[eid] = _fresh(base["round"] if base else 0, opts, snap.revision)  # nothing unsaved: show what is stored
    stale = base["revision"] != snap.revision
    reapply_clicked = discard_clicked = False
    if stale:
        changes = describe_changes(base["saved"], opts) or ["the stored options changed"]
        st.warning("Someone saved these options since you opened them: " + "; ".join(map(md_text, changes)) + ". "
                   "Your edit is kept below: reapply it on the saved options, or discard it.", icon=":material/sync_problem:")
        r1, r2 = st.columns(2)
        reapply_clicked = r1.button("Reapply my edit on the saved options", key="reapply_edit", type="primary")
        discard_clicked = r2.button("Discard my edit", key="discard_edit")

    start = base["start"]
    shown = start
    if cats:
        shown = shown[shown["category"].isin(cats)]
    if stats:
        shown = shown[shown["status"].isin(stats)]
    shown = shown.reset_index(drop=True)

    st.caption(f"{len(shown)} of {len(start)} option(s) of **{md_text(eid)}**. Edit cells or add rows, then save. "
               "Hover a column header for its meaning and unit.")
    ents = data.enterprises(cur, version)
    currency = dict(zip(ents["enterprise_id"], ents["currency"])).get(eid)
    cfg = column_config("options", currency if isinstance(currency, str) and currency else None)
    cfg["enterprise_id"] = st.column_config.TextColumn("enterprise_id", disabled=True,
                                                       help="Set from the sidebar's enterprise")
    with st.container(key="options_editor"):  # a stable name for the grid (its own key changes per edit round)
        edited = st.data_editor(
            shown,
            column_config=cfg,
            column_order=[c for c in shown.columns],
            num_rows="add",
            hide_index=True,
            width="stretch",
            key=_editor_key(base),
        )
    st.session_state["options_editor_shown"] = _editor_key(base)

    if discard_clicked:
        bases[eid] = _fresh(base["round"], opts, snap.revision)
        st.session_state["save_message"] = "Your edit was discarded; the table shows the saved options."
        st.rerun()
    if reapply_clicked:
        mine, added = edit_changes(shown, edited)
        merged, lost = reapply(opts, mine, added)
        bases[eid] = {"revision": snap.revision, "saved": opts, "start": merged, "round": base["round"] + 1, "reapplied": True}
        st.session_state["reapply_message"] = lost
        st.rerun()
    if (lost := st.session_state.pop("reapply_message", None)) is not None:
        st.info("Your edit is laid on the saved options below: check it, then save." + (" " + " ".join(lost) if lost else ""))

    changed = base["reapplied"] or not edited.reset_index(drop=True).equals(shown)
    b1, b2 = st.columns([1, 5])
    if not stale and changed and b2.button("Discard my edit", key="discard_unsaved"):
        bases[eid] = _fresh(base["round"], opts, snap.revision)
        st.session_state["save_message"] = "Your edit was discarded; the table shows the saved options."
        st.rerun()
    if b1.button("Save changes", type="primary", disabled=not changed, key="save_options"):
        raw = edited.copy()
        raw["enterprise_id"] = eid  # new rows belong to the sidebar's enterprise
        raw = to_export_frame(raw, "options", formula_safe=False)
        try:
            after = cur.save_options(eid, raw, base["revision"], base=base["saved"])
            bases[eid] = _fresh(base["round"], after.options, after.revision)
            st.session_state["save_message"] = f"Saved {len(raw)} option(s)."
            st.rerun()
        except ValidationError as exc:
            st.session_state["save_errors"] = (exc.errors, edited)
        except StaleEditError:
            st.rerun()  # the next run shows what changed, with the edit kept
        except (SaveConflictError, StoreError) as exc:
            st.error(f"Not saved: {exc}")
    if msg := st.session_state.pop("save_message", None):
        st.success(msg)
    if "save_errors" in st.session_state:
        errors, bad_frame = st.session_state.pop("save_errors")
        st.error(f"Not saved: {len(errors)} bad cell(s), shown in red. Nothing was stored; fix them and save again.")
        st.dataframe(error_table(errors, bad_frame), hide_index=True, width="stretch")
        st.dataframe(highlight_errors(bad_frame, errors), hide_index=True, width="stretch")

    # --- delete -------------------------------------------------------------------------------
    DELETE_KEY = f"delete_ids-{eid}"
    if st.session_state.pop("delete_done", False):
        st.session_state[DELETE_KEY] = []  # before the widget is drawn: empty the selection
    # Two layout rules keep every click here landing where it was aimed (the browser test's first click
    # on the multiselect, and a user's, sometimes did nothing):
    # - a plain bordered section, not an expander: a click into an expander's content while its opening
    #   animation runs scrolled the clipped <details>, and that scroll closed the multiselect's list at once;
    # - the "Delete selected…" button stays in place (disabled) while the confirmation is asked, below
    #   it: replacing it with the confirmation left the old, focused button on the page until the next
    #   press, which removed it and moved "Yes"/"Cancel" up 56 px between mouse-down and mouse-up, so
    #   the press clicked nothing (measured: 4 presses in 8 lost).
    with st.container(border=True, key="delete_section"):
        st.markdown("**Delete options**")
        titles = dict(zip(opts["option_id"], opts["title"]))
        chosen = st.multiselect("Options to delete", list(titles), format_func=lambda o: f"{o}: {titles.get(o, '')}",
                                key=DELETE_KEY, placeholder="Choose options",
                                help="Each option goes with its assessors' scores and stored appraisals.")
        pending = st.session_state.get("delete_pending") == (eid, tuple(chosen))
        if not pending:  # nothing asked yet, or the selection changed since: ask (again)
            st.session_state.pop("delete_pending", None)
        if st.button("Delete selected…", disabled=pending or not chosen, key="delete_button", icon=":material/delete:"):
            st.session_state["delete_pending"] = (eid, tuple(chosen))
            st.rerun()
        if pending:
            n_scores = int(data.scores(cur, version, eid)["option_id"].isin(chosen).sum())
            st.warning(f"Delete {len(chosen)} option(s) of **{md_text(eid)}** ({', '.join(map(md_text, chosen))}) with their {n_scores} assessor "
                       "score(s) and stored appraisals? This cannot be undone; download the table below first to keep a copy.")
            b1, b2 = st.columns(2)
            if b1.button(f"Yes, delete {len(chosen)} option(s)", type="primary", key="delete_confirm"):
                st.session_state.pop("delete_pending", None)
                try:
                    n = cur.delete_options(chosen, enterprise_id=eid)
                except (UnknownOptionError, StoreError) as exc:  # e.g. deleted meanwhile in another browser session; not a member
                    st.session_state["delete_message"] = ("error", f"Nothing was deleted: {exc}")
                else:
                    st.session_state["delete_message"] = ("success", f"Deleted {n} option(s): {', '.join(map(md_text, chosen))}.")
                st.session_state["delete_done"] = True
                st.rerun()
            if b2.button("Cancel", key="delete_cancel"):
                st.session_state.pop("delete_pending", None)
                st.rerun()
    if msg := st.session_state.pop("delete_message", None):
        kind, text = msg
        (st.success if kind == "success" else st.error)(text)

# --- download -----------------------------------------------------------------------------
d1, d2 = st.columns([1, 3])
fmt = d1.selectbox("Download format", ["csv", "xlsx", "parquet"], key="download_format")
d2.download_button(
    f"Download {eid} options ({fmt})",
    data=data.options_download(opts, eid, snap.revision, fmt),  # cached on the snapshot's revision
    file_name=f"{eid}_options.{fmt}",
    mime=MIME[fmt],
    key="download_options",
)

# --- suggestions from real plants (US DOE IAC aggregates) ---------------------------------------
st.subheader("Suggestions from real plants")
_ent = ents[ents["enterprise_id"] == eid]
if _ent.empty:
    st.caption("No enterprise chosen.")
else:
    from screening.suggest import as_option, conversion_note, sic_major_groups, suggest

    _e = _ent.iloc[0].to_dict()
    _majors = sic_major_groups(_e.get("sector"))
    st.caption(f"Measures US DOE Industrial Assessment Centers recommended at plants like this one "
               f"(sector {md_text(_e.get('sector') or 'not given')} -> SIC major group "
               f"{', '.join(_majors) if _majors else 'none: all plants'}, size {md_text(_e.get('size_class'))}): how often, "
               f"how many plants implemented them, and their median cost, savings and payback. "
               f"{conversion_note(str(_e.get('currency') or ''))}")
    try:
        _sug = suggest(_e, top=st.columns([1, 4])[0].number_input("Suggestions shown", 5, 50, 10, 5, key=scoped("suggest_top", eid)))
    except ValueError as exc:
        st.error(f"No suggestions: {exc}")
    else:
        _cur = _e.get("currency")
        st.dataframe(
            _sug[["arc_code", "title", "group", "recommended", "implemented_share", "median_investment",
                  "median_annual_savings", "median_payback_years", "category"]],
            hide_index=True, width="stretch", key="suggestions_table",
            column_config={
                "arc_code": st.column_config.TextColumn("ARC"),
                "title": st.column_config.TextColumn("measure", width="medium"),
                "recommended": st.column_config.NumberColumn("recommended", help="IAC recommendations in the group compared with"),
                "group": st.column_config.TextColumn("compared with", help="the most specific group of US plants with at "
                                                     "least 5 recommendations of the measure: sector and size, sector, or all"),
                "implemented_share": st.column_config.NumberColumn("implemented", format="%.2f",
                                                                   help="share of the decided recommendations the plants implemented"),
                "median_investment": st.column_config.NumberColumn(f"median cost [{_cur}]", format="%,.0f"),
                "median_annual_savings": st.column_config.NumberColumn(f"savings [{_cur}/yr]", format="%,.0f",
                                                                      help="median yearly savings"),
                "median_payback_years": st.column_config.NumberColumn("payback [yr]", format="%.1f", help="median simple payback"),
            })
        if writable:  # adding is a change: only for who may change the enterprise's options
            s1, s2 = st.columns([3, 1], vertical_alignment="bottom")
            _pick = s1.selectbox("Add a suggestion as an option", list(range(len(_sug))), key=scoped("suggest_pick", eid),
                                 format_func=lambda i: f"ARC {_sug.loc[i, 'arc_code']}: {_sug.loc[i, 'title']}",
                                 help="It becomes an option with status proposed, its figures the IAC medians, "
                                      "flagged as typical values (attribute typical_values); a 10-year life is assumed.")
            if s2.button("Add as option", key="suggest_add", icon=":material/add:"):
                _taken = set(opts["option_id"].astype(str))
                _n = 1
                while f"IAC-{_sug.loc[_pick, 'arc_code']}-{_n}" in _taken:
                    _n += 1
                _row = as_option(_sug.loc[_pick], eid, f"IAC-{_sug.loc[_pick, 'arc_code']}-{_n}")
                try:
                    cur.save_options(eid, pd.DataFrame([_row]), snap.revision, base=snap.options)
                except ValidationError as exc:
                    st.error(f"Not added: {exc}")
                except (StaleEditError, SaveConflictError, StoreError) as exc:
                    st.error(f"Not added: {exc}")
                else:
                    st.session_state["suggest_message"] = f"Added {_row['option_id']} (typical values: replace them with your own)."
                    st.rerun()
    if msg := st.session_state.pop("suggest_message", None):
        st.success(msg)
