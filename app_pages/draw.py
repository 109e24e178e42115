"""Placeholder until the workflow module lands."""

from __future__ import annotations

import streamlit as st

from app_pages import common

common.guard(__file__)
st.info("…")
