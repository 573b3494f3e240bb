"""Report page: an Excel workbook (one sheet per view) and a printable HTML report."""

from __future__ import annotations

import streamlit as st

st.title("Report")
